from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from radval_desktop.engine import default_model
from radval_desktop.engine.default_model import DEFAULT, Part
from radval_desktop.engine.default_model import default_model_path as locate_default
from radval_desktop.errors import ModelFileError

pytestmark = pytest.mark.slow


def test_default_model_is_assembled_and_verified(default_model_path: Path) -> None:
    assert default_model_path.stat().st_size == DEFAULT.size
    assert default_model_path.read_bytes()[:4] == b"GGUF"
    assert default_model_path.parent.stat().st_mode & 0o777 == 0o700


def test_assembly_into_an_empty_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      default_model_path: Path) -> None:
    monkeypatch.setenv("RADVAL_CACHE", str(tmp_path / "cache"))
    path = locate_default()
    assert path != default_model_path
    assert path.stat().st_size == DEFAULT.size
    assert not list(path.parent.glob(".*.part"))  # no half-written file left behind


def test_tampered_assembled_model_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    monkeypatch.setenv("RADVAL_CACHE", str(tmp_path))
    target = tmp_path / "models" / DEFAULT.filename
    target.parent.mkdir(parents=True)
    target.write_bytes(b"\0" * DEFAULT.size)  # right size, wrong bytes
    assert locate_default() == target
    assert target.read_bytes()[:4] == b"GGUF"


def test_packages_that_do_not_match_the_pin_are_refused(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RADVAL_CACHE", str(tmp_path))
    with pytest.raises(ModelFileError, match="checksum mismatch"):
        locate_default(replace(DEFAULT, sha256="0" * 64))
    assert not (tmp_path / "models" / DEFAULT.filename).exists()


def test_wrong_package_version_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    parts = (replace(DEFAULT.parts[0], version="9.9.9"),) + DEFAULT.parts[1:]
    monkeypatch.setattr(default_model, "DEFAULT", replace(DEFAULT, parts=parts))
    with pytest.raises(ModelFileError, match="version 0.9.0, but RadVal was tested with 9.9.9"):
        default_model.default_model_path(default_model.DEFAULT)


def test_missing_package_is_refused() -> None:
    absent = replace(DEFAULT, parts=(Part("radval-no-such-model", "1.0", "x.gguf"),))
    with pytest.raises(ModelFileError, match="not installed"):
        locate_default(absent)
