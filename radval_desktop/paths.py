"""Where RadVal keeps user data, configuration, logs and models on this machine."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "radval"

# Owner-only: history and logs hold patient findings.
PRIVATE_DIR_MODE = 0o700


def _home() -> Path | None:
    value = os.environ.get("RADVAL_HOME")
    return Path(value) if value else None


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) owner-only and return it."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    os.chmod(path, PRIVATE_DIR_MODE)
    return path


def data_dir() -> Path:
    home = _home()
    return ensure_private_dir(home / "data" if home else platformdirs.user_data_path(APP_NAME))


def config_dir() -> Path:
    home = _home()
    return ensure_private_dir(home / "config" if home else platformdirs.user_config_path(APP_NAME))


def log_dir() -> Path:
    home = _home()
    return ensure_private_dir(home / "logs" if home else platformdirs.user_log_path(APP_NAME))


def cache_dir() -> Path:
    """Rebuildable files (the assembled default model). RADVAL_CACHE lets tests share one."""
    value = os.environ.get("RADVAL_CACHE")
    if value:
        return ensure_private_dir(Path(value))
    home = _home()
    return ensure_private_dir(home / "cache" if home else platformdirs.user_cache_path(APP_NAME))


def models_dir() -> Path:
    """Where users (or IT) may drop GGUF files."""
    return ensure_private_dir(data_dir() / "models")


def user_config_file() -> Path:
    return config_dir() / "config.toml"


def system_config_file() -> Path:
    """IT's system-wide file; its values cannot be overridden by the user."""
    value = os.environ.get("RADVAL_SYSTEM_CONFIG")
    if value:
        return Path(value)
    if os.name == "nt":
        return Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData")) / "RadVal" / "config.toml"
    return Path("/etc/radval/config.toml")


def resources_dir() -> Path:
    """The editable data shipped with the app (templates, term lists, fonts)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "resources", here.parent / "resources"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("RadVal's resources folder is missing from this installation.")
