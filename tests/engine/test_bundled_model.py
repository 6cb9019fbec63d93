"""The installed app ships the assembled default model inside its bundle and uses it first."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from radval_desktop.engine.default_model import DefaultModel, bundled_model_file, default_model_path
from radval_desktop.errors import ModelFileError

DATA = b"GGUF" + bytes(60)
TINY = DefaultModel("tiny", "tiny.gguf", len(DATA), hashlib.sha256(DATA).hexdigest(), parts=())


def _bundle(tmp_path: Path, data: bytes, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "models").mkdir()
    path = tmp_path / "models" / TINY.filename
    path.write_bytes(data)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    return path


def test_not_frozen_means_no_bundled_model() -> None:
    assert not hasattr(sys, "_MEIPASS")
    assert bundled_model_file(TINY) is None


def test_frozen_app_uses_the_bundled_file_without_packages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _bundle(tmp_path, DATA, monkeypatch)
    # parts=() : the pip packages are not consulted at all.
    assert default_model_path(TINY) == path


def test_a_changed_bundled_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                          ) -> None:
    _bundle(tmp_path, DATA[:-1] + b"x", monkeypatch)
    with pytest.raises(ModelFileError, match="Reinstall RadVal"):
        default_model_path(TINY)
