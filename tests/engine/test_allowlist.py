"""IT's allowlist of model sha256 values: read from the system file, refused at load."""

from __future__ import annotations

from pathlib import Path

import pytest
from gguf_builder import write_gguf

from radval_desktop.config import load_settings, save_user_settings
from radval_desktop.engine.allowlist import allowed_by, check_allowed, is_allowed
from radval_desktop.engine.checksums import sha256_file
from radval_desktop.engine.llama_engine import LlamaEngine
from radval_desktop.errors import ModelFileError

A, B = "a" * 64, "b" * 64


def _tiny_gguf(path: Path) -> Path:
    return write_gguf(path, {"general.architecture": "llama", "general.name": "tiny"},
                      [("token_embd.weight", [8, 4])])


def _settings(tmp_path: Path, system_toml: str):
    system = tmp_path / "etc" / "config.toml"
    system.parent.mkdir(parents=True, exist_ok=True)
    system.write_text(system_toml, encoding="utf-8")
    return load_settings(system, tmp_path / "user.toml")


def test_no_list_allows_every_model() -> None:
    assert allowed_by(A, []) is None
    assert allowed_by(A, ["", "  "]) is None
    check_allowed("any.gguf", A, [])  # no error


def test_digest_on_the_list_ignores_case_and_blanks() -> None:
    assert allowed_by(A, [f"  {A.upper()} ", B]) is True
    assert allowed_by("c" * 64, [A, B]) is False


def test_model_off_the_list_is_refused_with_one_sentence() -> None:
    with pytest.raises(ModelFileError) as caught:
        check_allowed("mine.gguf", "c" * 64, [A])
    message = str(caught.value)
    assert "mine.gguf is not on IT's list of approved models (sha256 cccccccccccc…)" in message
    assert message.count(".") <= 3  # one sentence (plus the file name's dot and the ellipsis)


def test_system_file_sets_and_locks_the_allowlist(tmp_path: Path) -> None:
    settings = _settings(tmp_path, f'[model]\nallowed_sha256 = ["{A}", "{B.upper()}"]\n')
    assert settings["model.allowed_sha256"] == (A, B.upper())
    assert "model.allowed_sha256" in settings.locked
    assert settings.engine().allowed_sha256 == (A, B.upper())
    assert is_allowed(B, settings) is True
    assert is_allowed("c" * 64, settings) is False
    assert not settings.warnings


def test_default_is_no_allowlist(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "none.toml", tmp_path / "user.toml")
    assert settings["model.allowed_sha256"] == ()
    assert is_allowed(A, settings) is None


def test_a_string_instead_of_a_list_warns_and_keeps_no_list(tmp_path: Path) -> None:
    settings = _settings(tmp_path, f'[model]\nallowed_sha256 = "{A}"\n')
    assert settings["model.allowed_sha256"] == ()
    assert any("list of strings" in w for w in settings.warnings)


def test_a_malformed_digest_warns_and_matches_nothing(tmp_path: Path) -> None:
    settings = _settings(tmp_path, '[model]\nallowed_sha256 = ["1d9614638d18"]\n')
    assert any("not sha256 values" in w for w in settings.warnings)
    assert is_allowed(A, settings) is False  # a typo refuses models; it never opens the door


def test_user_file_round_trips_a_list(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "none.toml", tmp_path / "user.toml")
    saved = save_user_settings(settings, {"model.allowed_sha256": (A,)}, tmp_path / "user.toml")
    assert saved["model.allowed_sha256"] == (A,)


def test_engine_refuses_a_model_off_the_list_before_llama_cpp_sees_it(tmp_path: Path) -> None:
    model = _tiny_gguf(tmp_path / "tiny.gguf")
    settings = _settings(tmp_path, f'[model]\nallowed_sha256 = ["{A}"]\n')
    with pytest.raises(ModelFileError, match="not on IT's list of approved models"):
        LlamaEngine(model, settings.engine()).inspect()


def test_engine_accepts_a_model_on_the_list(tmp_path: Path) -> None:
    model = _tiny_gguf(tmp_path / "tiny.gguf")
    settings = _settings(tmp_path, f'[model]\nallowed_sha256 = ["{sha256_file(model)}"]\n')
    _, digest = LlamaEngine(model, settings.engine()).inspect()
    assert digest == sha256_file(model)
