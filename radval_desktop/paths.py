"""Where RadVal keeps user data, configuration, logs and models on this machine."""

from __future__ import annotations

import os
import sys
from contextlib import suppress
from pathlib import Path
from typing import TextIO

import platformdirs

APP_NAME = "radval"

# Owner-only: history and logs hold patient findings.
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def open_private(path: Path, encoding: str = "utf-8", newline: str | None = None) -> TextIO:
    """``path`` opened for writing text, owner-only (0600) as the databases: created with
    the mode (never briefly wider), and a file that was there before narrowed too. For
    exports (issue 19: the answers CSV was world-readable, the report as well)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with suppress(AttributeError, OSError):  # no fchmod on Windows: the folder's ACLs decide
        os.fchmod(fd, PRIVATE_FILE_MODE)
    return open(fd, "w", encoding=encoding, newline=newline)


def _home() -> Path | None:
    value = os.environ.get("RADVAL_HOME")
    return Path(value) if value else None


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` owner-only, with every missing parent owner-only too, and return it.

    mkdir(parents=True) makes the parents under the umask: ~/.local/state/radval, the
    log's parent, was left readable by everyone.
    """
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(exist_ok=True, mode=PRIVATE_DIR_MODE)
        os.chmod(folder, PRIVATE_DIR_MODE)
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


# The package's own folder: a source checkout has pyproject.toml beside it, an install has not.
PACKAGE_DIR = Path(__file__).resolve().parent
WINDOWS = os.name == "nt"
# FOLDERID_ProgramData (KnownFolders.h): where per-machine settings live on Windows.
_FOLDERID_PROGRAM_DATA = "{62AB5D82-FDC1-4DC3-A9DD-070D1D495D97}"


def _runs_from_source_checkout() -> bool:
    """True only for ``pip install -e`` / a checkout, never for the frozen or wheel install."""
    return (not getattr(sys, "frozen", False)
            and (PACKAGE_DIR.parent / "pyproject.toml").is_file())


def known_program_data() -> Path:
    """Windows' ProgramData from the shell's known-folder API, not from %PROGRAMDATA%, which
    any user can set for the processes they start."""
    if sys.platform == "win32":
        import ctypes
        from ctypes import wintypes

        class GUID(ctypes.Structure):
            _fields_ = [("Data1", wintypes.DWORD), ("Data2", wintypes.WORD),
                        ("Data3", wintypes.WORD), ("Data4", ctypes.c_ubyte * 8)]

        folder_id = GUID()
        ctypes.oledll.ole32.CLSIDFromString(_FOLDERID_PROGRAM_DATA, ctypes.byref(folder_id))
        found = ctypes.c_wchar_p()
        # HRESULT failures raise OSError (oledll checks them).
        ctypes.oledll.shell32.SHGetKnownFolderPath(ctypes.byref(folder_id), 0, None,
                                                   ctypes.byref(found))
        try:
            if not found.value:  # never a relative path: that would be the user's folder
                raise OSError("Windows did not give the ProgramData folder.")
            return Path(found.value)
        finally:
            ctypes.windll.ole32.CoTaskMemFree(found)
    raise OSError("The ProgramData known folder exists only on Windows.")


# IT's file on Linux: the only one an installed app reads (tests/faults moves it in a child
# that runs as the installed app does, to prove the user cannot replace it).
LINUX_SYSTEM_CONFIG = Path("/etc/radval/config.toml")


def system_config_file() -> Path:
    """IT's system-wide file; its values cannot be overridden by the user.

    ``RADVAL_SYSTEM_CONFIG`` is honoured only when the app runs from a source checkout, which
    is how the test suite runs it (tests/conftest.py sets it). The installed app (frozen by
    PyInstaller, or a wheel) reads only the fixed path: otherwise any user could start it with
    the variable pointing elsewhere and drop IT's allowlist, pin and locked model (issue 17).
    A user who can edit a checkout's code could change anything anyway.
    """
    value = os.environ.get("RADVAL_SYSTEM_CONFIG")
    if value and _runs_from_source_checkout():
        return Path(value)
    if WINDOWS:
        return known_program_data() / "RadVal" / "config.toml"
    return LINUX_SYSTEM_CONFIG


def resources_dir() -> Path:
    """The editable data shipped with the app (templates, term lists, fonts)."""
    here = PACKAGE_DIR
    for candidate in (here / "resources", here.parent / "resources"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("RadVal's resources folder is missing from this installation.")
