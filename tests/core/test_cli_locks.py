"""IT's settings hold against the command line (issue 17): a broken IT file refuses, a locked
key refuses a different command-line value with exit 2. None of these loads a model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from radval_desktop.cli import main

CASE = {"findings": "Lungs clear. No effusion.", "impression": "Normal chest.",
        "body_system": "chest", "modality": "CT"}


def _system(home: Path, text: str) -> Path:
    # conftest points RADVAL_SYSTEM_CONFIG at this file.
    path = home / "system-config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _cases(tmp_path: Path) -> str:
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(CASE) + "\n", encoding="utf-8")
    return str(path)


def test_batch_with_a_broken_it_file_refuses_even_with_model(
        tmp_path: Path, radval_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _system(radval_home, "[model\nallowed_sha256 = []\n")
    code = main(["batch", _cases(tmp_path), "--db", str(tmp_path / "out.db"),
                 "--model", str(tmp_path / "mine.gguf")])
    err = capsys.readouterr().err
    assert code == 1
    assert "is not valid TOML" in err
    assert "no model is loaded" in err


def test_draft_with_a_broken_it_file_refuses(
        tmp_path: Path, radval_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _system(radval_home, "[model]\npath = \"C:\\models\\a.gguf\"\n")
    findings = tmp_path / "f.txt"
    findings.write_text("Lungs clear.", encoding="utf-8")
    code = main(["draft", str(findings), "--system", "chest", "--model",
                 str(tmp_path / "mine.gguf")])
    err = capsys.readouterr().err
    assert code == 1
    assert "single quotes" in err
