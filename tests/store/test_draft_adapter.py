"""Drafts record the LoRA adapter they were written with (issue 11, migration m005)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlite_utils import Database

from radval_desktop.store.database import open_database
from radval_desktop.store.history import History, NewDraft
from radval_desktop.store.schema import migrations

DRAFT = NewDraft(
    findings="Right lower lobe consolidation.", body_system="chest", modality="CT",
    language="en", template_id="t3", template_version="2026.11.1", model_name="Qwen",
    model_sha256="ab" * 32, sampling_json="{}", raw_output="Pneumonia.", final_text="Pneumonia.",
    ok=True, message="", attempts=1, prompt_tokens=10, completion_tokens=3,
    first_token_seconds=0.1, total_seconds=0.2, tokens_per_second=20.0,
)


def test_draft_keeps_its_adapter_and_one_without_keeps_none(tmp_path: Path) -> None:
    history = History(path=tmp_path / "radval.db")
    with_adapter = history.save_draft(replace(DRAFT, adapter_name="hospital-a",
                                              adapter_sha256="cd" * 32))
    without = history.save_draft(DRAFT)
    assert with_adapter is not None
    assert without is not None
    record = history.get(with_adapter)
    assert record is not None
    assert (record.adapter_name, record.adapter_sha256) == ("hospital-a", "cd" * 32)
    plain = history.get(without)
    assert plain is not None
    assert (plain.adapter_name, plain.adapter_sha256) == ("", "")
    history.close()


def test_history_from_before_adapters_is_migrated_with_its_drafts(tmp_path: Path) -> None:
    path = tmp_path / "radval.db"
    old = Database(path)
    migrations.apply(old, stop_before="m005_draft_adapter")
    old["drafts"].insert({"uuid": "u1", "created_at": "2026-01-01T00:00:00+00:00",
                          "findings": "x", "model_name": "Qwen"})
    old.close()
    db = open_database(path)
    assert {"adapter_name", "adapter_sha256"} <= set(db["drafts"].columns_dict)
    db.close()
    [record] = History(path=path).recent()
    assert record.uuid == "u1"
    assert record.adapter_name == ""
