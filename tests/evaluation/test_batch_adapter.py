"""`radval batch --adapter FILE` (issue 16): the default model with a LoRA adapter on top,
evaluated by the same code as without it, its drafts stored apart, and IT's allowlist holding
for the adapter as it does in the window."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlite_utils
from gguf_builder import write_lora_adapter

from radval_desktop.cli import main
from radval_desktop.engine.checksums import remember_sha256, sha256_file
from radval_desktop.engine.default_model import DEFAULT

pytestmark = pytest.mark.slow

CASE = {"institution": "1", "body_system": "chest", "modality": "XR",
        "findings": "Patchy consolidation in the right lower lobe.",
        "impression": "Right lower lobe pneumonia."}


def _cases(tmp_path: Path) -> str:
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(CASE) + "\n", encoding="utf-8")
    return str(path)


def _system(home: Path, text: str) -> None:
    path = home / "system-config.toml"  # conftest points RADVAL_SYSTEM_CONFIG here
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_batch_with_an_adapter_drafts_apart_from_the_base(
        default_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    remember_sha256(default_model_path, DEFAULT.sha256)
    adapter = write_lora_adapter(tmp_path / "hospital-a.gguf")
    db = tmp_path / "study.db"
    base_args = ["batch", _cases(tmp_path), "--db", str(db), "--model",
                 str(default_model_path)]
    assert main(base_args) == 0
    assert "1 generated, 0 already done" in capsys.readouterr().out
    # The same case again with the adapter: not "already done" by the base.
    assert main([*base_args, "--adapter", str(adapter)]) == 0
    assert "1 generated, 0 already done" in capsys.readouterr().out
    assert main([*base_args, "--adapter", str(adapter)]) == 0
    assert "0 generated, 1 already done" in capsys.readouterr().out
    rows = list(sqlite_utils.Database(db).query(
        "SELECT model_sha256, model_name FROM candidates ORDER BY rowid"))
    assert len(rows) == 2
    assert rows[0]["model_sha256"] == DEFAULT.sha256
    assert rows[1]["model_sha256"] != DEFAULT.sha256
    assert "hospital-a" in rows[1]["model_name"]
    assert "hospital-a" not in rows[0]["model_name"]


def test_batch_adapter_not_on_its_allowlist_is_refused(
        default_model_path: Path, tmp_path: Path, radval_home: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    remember_sha256(default_model_path, DEFAULT.sha256)
    adapter = write_lora_adapter(tmp_path / "unapproved.gguf")
    _system(radval_home, f'[model]\nallowed_sha256 = ["{DEFAULT.sha256}"]\n')
    db = tmp_path / "study.db"
    code = main(["batch", _cases(tmp_path), "--db", str(db), "--model",
                 str(default_model_path), "--adapter", str(adapter)])
    err = capsys.readouterr().err
    assert code != 0
    assert "unapproved.gguf" in err
    # Approved by IT, the same adapter runs.
    _system(radval_home, f'[model]\nallowed_sha256 = ["{DEFAULT.sha256}", '
                         f'"{sha256_file(adapter)}"]\n')
    assert main(["batch", _cases(tmp_path), "--db", str(db), "--model",
                 str(default_model_path), "--adapter", str(adapter)]) == 0


def test_batch_adapter_is_refused_where_it_locked_another(
        tmp_path: Path, radval_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _system(radval_home, '[model]\nadapter = "/models/it-approved.gguf"\n')
    code = main(["batch", _cases(tmp_path), "--db", str(tmp_path / "out.db"),
                 "--adapter", str(tmp_path / "mine.gguf")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "IT set model.adapter" in err
    assert "--adapter" in err
