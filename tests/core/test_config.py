from __future__ import annotations

from pathlib import Path

import pytest

from radval_desktop.config import load_settings, resolve_model_path, save_user_settings
from radval_desktop.errors import ConfigError


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_when_no_files(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "none.toml", tmp_path / "none2.toml")
    assert settings["model.n_ctx"] == 4096
    assert settings["sampling.max_tokens"] == 512
    assert settings.sources["model.n_ctx"] == "default"
    assert not settings.locked


def test_system_file_wins_and_locks(tmp_path: Path) -> None:
    system = _write(tmp_path / "etc.toml",
                    "[model]\nn_gpu_layers = 0\n[history]\nenabled = false\n")
    user = _write(tmp_path / "user.toml", "[model]\nn_gpu_layers = 20\nn_ctx = 8192\n")
    settings = load_settings(system, user)
    assert settings["model.n_gpu_layers"] == 0
    assert settings.sources["model.n_gpu_layers"] == str(system)
    assert settings["model.n_ctx"] == 8192
    assert settings.sources["model.n_ctx"] == str(user)
    assert settings["history.enabled"] is False
    assert settings.locked == {"model.n_gpu_layers", "history.enabled"}
    with pytest.raises(ConfigError, match="set by IT"):
        save_user_settings(settings, {"model.n_gpu_layers": 5}, user)


def test_unknown_keys_and_bad_types_warn_not_crash(tmp_path: Path) -> None:
    user = _write(tmp_path / "user.toml", "[model]\ncolour = 'red'\nn_ctx = 'big'\n"
                  "[sampling]\ntemperature = 1\n")
    settings = load_settings(tmp_path / "none.toml", user)
    assert settings["model.n_ctx"] == 4096
    assert settings["sampling.temperature"] == 1.0
    assert any("colour" in w for w in settings.warnings)
    assert any("n_ctx" in w for w in settings.warnings)


def test_broken_toml_is_ignored_with_warning(tmp_path: Path) -> None:
    user = _write(tmp_path / "user.toml", "[model\nthis is not toml")
    settings = load_settings(tmp_path / "none.toml", user)
    assert settings["model.n_ctx"] == 4096
    assert any("cannot be read" in w for w in settings.warnings)


def test_save_user_settings_round_trip(tmp_path: Path) -> None:
    user = tmp_path / "user.toml"
    settings = load_settings(tmp_path / "none.toml", user)
    saved = save_user_settings(settings, {"sampling.temperature": 0.3, "model.path": 'C:\\m "x"'},
                               user)
    assert saved["sampling.temperature"] == 0.3
    assert saved["model.path"] == 'C:\\m "x"'
    assert saved.sources["sampling.temperature"] == str(user)
    assert user.stat().st_mode & 0o777 == 0o600


def test_it_model_path_wins_over_command_line(tmp_path: Path) -> None:
    system = _write(tmp_path / "etc.toml", f"[model]\npath = '{tmp_path / 'it.gguf'}'\n")
    settings = load_settings(system, tmp_path / "none.toml")
    path, source = resolve_model_path(settings)
    assert path == tmp_path / "it.gguf"
    assert source == str(system)
    with pytest.raises(ConfigError, match="IT fixed the model"):
        resolve_model_path(settings, str(tmp_path / "other.gguf"))


def test_user_model_path_and_override(tmp_path: Path) -> None:
    user = _write(tmp_path / "user.toml", "[model]\npath = '/models/a.gguf'\n")
    settings = load_settings(tmp_path / "none.toml", user)
    assert resolve_model_path(settings) == (Path("/models/a.gguf"), str(user))
    assert resolve_model_path(settings, "/b.gguf") == (Path("/b.gguf"), "command line")
