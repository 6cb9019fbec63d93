from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# --- IT's file fails closed (issue 17, item 4) ------------------------------------------------


def test_it_file_with_a_utf8_bom_is_read(tmp_path: Path) -> None:
    # Notepad writes one; IT's settings must not vanish because of it.
    system = tmp_path / "etc.toml"
    system.write_bytes(b"\xef\xbb\xbf[model]\nn_gpu_layers = 0\n")
    settings = load_settings(system, tmp_path / "none.toml")
    assert settings.system_error == ""
    assert settings["model.n_gpu_layers"] == 0
    assert "model.n_gpu_layers" in settings.locked


def test_it_file_with_a_syntax_error_locks_the_model(tmp_path: Path) -> None:
    system = _write(tmp_path / "etc.toml", "[model\nallowed_sha256 = ['" + "a" * 64 + "']\n")
    settings = load_settings(system, tmp_path / "none.toml")
    assert str(system) in settings.system_error
    assert "no model is loaded" in settings.system_error
    with pytest.raises(ConfigError, match="is not valid TOML"):
        resolve_model_path(settings)


def test_it_file_with_a_windows_backslash_path_says_how_to_write_it(tmp_path: Path) -> None:
    system = _write(tmp_path / "etc.toml", '[model]\npath = "C:\\Users\\it\\model.gguf"\n')
    settings = load_settings(system, tmp_path / "none.toml")
    assert "single quotes" in settings.system_error
    assert "forward slashes" in settings.system_error
    with pytest.raises(ConfigError, match="single quotes"):
        resolve_model_path(settings, str(tmp_path / "mine.gguf"))


def test_it_file_that_is_a_folder_locks_the_model(tmp_path: Path) -> None:
    system = tmp_path / "etc.toml"
    system.mkdir()
    settings = load_settings(system, tmp_path / "none.toml")
    assert str(system) in settings.system_error
    with pytest.raises(ConfigError):
        resolve_model_path(settings)


def test_absent_it_file_locks_nothing(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "none.toml", tmp_path / "none2.toml")
    assert settings.system_error == ""
    resolve_model_path(settings)


_AS_NOBODY = """
import os, sys
from pathlib import Path
from radval_desktop.config import load_settings
if os.geteuid() == 0:
    import pwd
    nobody = pwd.getpwnam("nobody")
    os.setgid(nobody.pw_gid)
    os.setuid(nobody.pw_uid)
print(load_settings(Path(sys.argv[1]), Path(sys.argv[2])).system_error)
"""


def test_it_file_the_user_cannot_read_locks_the_model() -> None:
    # CI runs as root, who reads any file: the check runs as "nobody" in a child process.
    folder = Path(tempfile.mkdtemp(prefix="radval-it-"))
    try:
        folder.chmod(0o755)
        system = _write(folder / "config.toml", "[model]\nn_gpu_layers = 0\n")
        system.chmod(0o000)
        proc = subprocess.run([sys.executable, "-c", _AS_NOBODY, str(system),
                               str(folder / "user.toml")], capture_output=True, text=True,
                              timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr
        assert str(system) in proc.stdout
        assert "no model is loaded" in proc.stdout
    finally:
        shutil.rmtree(folder)


# --- any text a user saves reads back, or is refused with the file kept (issue 17, 12d) ----

HOSTILE_VALUE = ("a\x00b\x1b[31mred\x1b[0m\nline two\r\ttab\x7fdel\x08\x0c\u2028\u0085"
                 "\\back\"quote'''triple\"\"\"😀 胸部 [model] = 1\n#")


def test_control_characters_in_a_value_round_trip_and_the_file_stays_toml(
        tmp_path: Path) -> None:
    user = tmp_path / "user.toml"
    settings = load_settings(tmp_path / "none.toml", user)
    changes = {"model.path": HOSTILE_VALUE, "drafting.template": "\x00",
               "models.folders": (HOSTILE_VALUE, "\x1f\x7f")}
    saved = save_user_settings(settings, changes, user)
    assert saved.warnings == ()
    assert {key: saved[key] for key in changes} == changes
    assert tomllib.loads(user.read_text(encoding="utf-8"))["model"]["path"] == HOSTILE_VALUE
    again = load_settings(tmp_path / "none.toml", user)  # as the next start reads it
    assert {key: again[key] for key in changes} == changes


def test_a_value_that_is_not_text_is_refused_and_the_file_kept(tmp_path: Path) -> None:
    user = tmp_path / "user.toml"
    settings = save_user_settings(load_settings(tmp_path / "none.toml", user),
                                  {"sampling.temperature": 0.3}, user)
    before = user.read_bytes()
    with pytest.raises(ConfigError, match=r"model\.path.*not saved") as caught:
        save_user_settings(settings, {"model.path": "C:/a\ud800b.gguf"}, user)
    assert str(caught.value).endswith(".")
    assert user.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["user.toml"]  # no temporary left


@settings(max_examples=300, deadline=None)
@given(value=st.text(st.characters(codec=None, categories=None), max_size=40))
def test_any_string_round_trips_or_is_refused(value: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        user = Path(folder) / "user.toml"
        settings = save_user_settings(load_settings(Path(folder) / "none.toml", user),
                                      {"model.adapter": "kept"}, user)
        before = user.read_bytes()
        try:
            saved = save_user_settings(settings, {"model.path": value}, user)
        except ConfigError:
            assert any(0xD800 <= ord(c) <= 0xDFFF for c in value)  # only a lone surrogate
            assert user.read_bytes() == before
            return
        assert saved["model.path"] == value
        assert saved["model.adapter"] == "kept"
        assert saved.warnings == ()


def test_nan_and_infinite_numbers_are_saved_as_toml_reads_them(tmp_path: Path) -> None:
    user = tmp_path / "user.toml"
    changes = {"sampling.temperature": float("nan"), "sampling.top_p": float("inf")}
    saved = save_user_settings(load_settings(tmp_path / "none.toml", user), changes, user)
    assert saved["sampling.temperature"] != saved["sampling.temperature"]  # NaN
    assert saved["sampling.top_p"] == float("inf")
    assert saved.warnings == ()


def test_batch_servers_come_from_its_file_only(tmp_path: Path) -> None:
    # Issue 18: a server named here receives findings; only IT may name one.
    system = _write(tmp_path / "etc.toml", '[batch]\nservers = {gpu1 = "http://10.0.0.5:8000", '
                    'bad = "ftp://x", "gpu 2" = "https://gpu2.hospital.local/v1/"}\n')
    user = _write(tmp_path / "user.toml", '[batch]\nservers = {mine = "http://evil.example"}\n')
    settings = load_settings(system, user)
    assert settings.servers() == {"gpu1": "http://10.0.0.5:8000",
                                  "gpu 2": "https://gpu2.hospital.local/v1"}
    assert any("ftp://x" in w and "bad" in w for w in settings.warnings)
    alone = load_settings(tmp_path / "none.toml", user)
    assert alone.servers() == {}
    assert any("'batch.servers'" in w and "IT's settings file only" in w
               for w in alone.warnings)
    # Saving the user's other settings keeps their (ignored) table readable as TOML.
    saved = save_user_settings(alone, {"sampling.temperature": 0.2}, user)
    assert tomllib.loads(user.read_text())["batch"]["servers"] == {"mine": "http://evil.example"}
    assert saved.servers() == {}
