"""History: drafts saved, copied text recorded, searched, purged; nothing written when off."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

from radval_desktop.store.database import database_path
from radval_desktop.store.history import History, NewDraft


def _draft(findings: str = "Right lower lobe consolidation.", text: str = "Pneumonia.") -> NewDraft:
    return NewDraft(
        findings=findings, body_system="chest", modality="CT", language="en",
        template_id="t3_system_modality", template_version="2026.11.1",
        model_name="Qwen", model_sha256="ab" * 32, sampling_json='{"temperature": 0.0}',
        raw_output="Impression: " + text, final_text=text, ok=True, message="", attempts=1,
        prompt_tokens=120, completion_tokens=8, first_token_seconds=0.5, total_seconds=0.9,
        tokens_per_second=20.0,
    )


def test_saved_draft_is_listed_with_every_field() -> None:
    history = History()
    draft_uuid = history.save_draft(_draft())
    assert draft_uuid
    [record] = history.recent()
    assert record.uuid == draft_uuid
    assert record.findings == "Right lower lobe consolidation."
    assert record.model_sha256 == "ab" * 32
    assert record.sampling_json == '{"temperature": 0.0}'
    assert record.raw_output == "Impression: Pneumonia."
    assert record.ok is True
    assert record.copied_text is None
    assert record.impression == "Pneumonia."
    assert datetime.fromisoformat(record.created_at).tzinfo is not None
    history.close()


def test_copy_records_the_edited_text() -> None:
    history = History()
    draft_uuid = history.save_draft(_draft())
    assert draft_uuid
    assert history.set_copied(draft_uuid, "Right lower lobe pneumonia.")
    record = history.get(draft_uuid)
    assert record is not None
    assert record.copied_text == "Right lower lobe pneumonia."
    assert record.impression == "Right lower lobe pneumonia."
    assert not history.set_copied("no-such-uuid", "x")
    history.close()


def test_search_matches_findings_and_impression_and_escapes_wildcards() -> None:
    history = History()
    history.save_draft(_draft("双肺纹理增多。", "支气管炎。"))
    history.save_draft(_draft("Liver 100% normal_size.", "Normal liver."))
    history.save_draft(_draft("Brain atrophy.", "Age-related atrophy."))
    assert [r.findings for r in history.search("支气管")] == ["双肺纹理增多。"]
    assert [r.findings for r in history.search("LIVER")] == ["Liver 100% normal_size."]
    assert [r.findings for r in history.search("100%")] == ["Liver 100% normal_size."]
    assert history.search("0%x") == []
    assert history.search("n_a") == []  # "_" is literal: "Brain atrophy" must not match
    assert len(history.search("  ")) == 3
    history.close()


def test_recent_lists_newest_first() -> None:
    history = History()
    now = datetime.now(UTC)
    history.save_draft(_draft("old"), now=now - timedelta(hours=2))
    history.save_draft(_draft("new"), now=now)
    assert [r.findings for r in history.recent()] == ["new", "old"]
    assert [r.findings for r in history.recent(limit=1)] == ["new"]
    history.close()


def test_purge_deletes_only_drafts_older_than_retention() -> None:
    history = History(retention_days=30)
    now = datetime.now(UTC)
    history.save_draft(_draft("ancient"), now=now - timedelta(days=31))
    history.save_draft(_draft("recent"), now=now - timedelta(days=29))
    assert history.purge_expired(now) == 1
    assert [r.findings for r in history.recent()] == ["recent"]
    history.close()


def test_zero_retention_keeps_everything() -> None:
    history = History(retention_days=0)
    history.save_draft(_draft("ancient"), now=datetime.now(UTC) - timedelta(days=3650))
    assert history.purge_expired() == 0
    assert len(history.recent()) == 1
    history.close()


def test_history_off_writes_nothing() -> None:
    history = History.from_settings({"history.enabled": False, "history.retention_days": 90})
    assert history.save_draft(_draft()) is None
    assert history.recent() == []
    assert not history.set_copied("x", "y")
    assert not database_path().exists()


def test_database_file_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    history = History(path=path)
    history.save_draft(_draft())
    for file in [path, *tmp_path.glob("h.db-*")]:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    history.close()
