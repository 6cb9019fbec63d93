"""Retention reaches every copy of the findings, down to the file's bytes (issue 17, item 11).

Every Copy also stores the findings in the example corpus (safety/retrieval.py), which the
retention never purged; and SQLite leaves deleted rows in free pages, where any tool that
reads the file still finds them. Pairs IT imported (the department's past reports, a
reference corpus like the reporting system's own archive) are not drafts and stay.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from radval_desktop.safety.retrieval import ExampleCorpus, Pair
from radval_desktop.store.database import database_path
from radval_desktop.store.history import History, NewDraft

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=31)
# Markers no other text holds, so finding their bytes in the file means the row is there.
OLD_EN = "Qxzebramarker 4.2 cm hypodense lesion in hepatic segment VII, Qxzebra tail."
OLD_ZH = "斑马标记：肝右叶见类圆形低密度影，约4.2cm，边界清，鹦鹉螺纹。"
IMPRESSION = "Qxwalrusmarker hepatic lesion."
RECENT = "Right lower lobe consolidation with air bronchograms."
IMPORTED = "Old imported report: small left pleural effusion, no pneumothorax."


def _draft(findings: str) -> NewDraft:
    return NewDraft(
        findings=findings, body_system="abdomen", modality="CT", language="en",
        template_id="t6_conclusion", template_version="1", model_name="m",
        model_sha256="ab" * 32, sampling_json="{}", raw_output=IMPRESSION,
        final_text=IMPRESSION, ok=True, message="", attempts=1, prompt_tokens=1,
        completion_tokens=1, first_token_seconds=0.1, total_seconds=0.2, tokens_per_second=5.0)


def _copy(history: History, corpus: ExampleCorpus, findings: str, when: datetime) -> None:
    """What the window does on Copy: the copied text on the draft, the pair in the corpus."""
    uuid = history.save_draft(_draft(findings), now=when)
    assert uuid is not None
    history.set_copied(uuid, IMPRESSION)
    history.dismiss_flag(uuid, "missed", f"missed:{findings[:12]}", findings[:20], now=when)
    corpus.add(Pair(findings, IMPRESSION, "abdomen"), now=when)


def _file_bytes() -> bytes:
    path = database_path()
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal"))
                    if p.exists())


def _kept_history() -> tuple[History, ExampleCorpus]:
    history = History(retention_days=30)
    db = history.database()
    assert db is not None
    corpus = ExampleCorpus(db, history.path)
    for findings in (OLD_EN, OLD_ZH):
        _copy(history, corpus, findings, OLD)
    _copy(history, corpus, RECENT, NOW - timedelta(days=1))
    corpus.add(Pair(IMPORTED, "Left pleural effusion.", "chest", source="ris-2019.csv"),
               now=OLD - timedelta(days=3000))
    return history, corpus


def test_retention_purges_the_corpus_pairs_of_old_drafts_but_not_imported_ones() -> None:
    history, corpus = _kept_history()
    assert corpus.count() == 4
    assert history.purge_expired(NOW) == 2
    assert [r.findings for r in history.recent()] == [RECENT]
    assert corpus.count() == 2
    assert corpus.count(body_system="chest") == 1  # IT's import stays, however old
    # Nothing of the purged pairs is left for retrieval to hand the model as an example.
    assert all(e.findings not in (OLD_EN, OLD_ZH)
               for e in corpus.similar(OLD_EN, "abdomen", k=3))
    assert all(e.findings not in (OLD_EN, OLD_ZH)
               for e in corpus.similar("hypodense lesion hepatic segment", "abdomen", k=3))
    db = history.database()
    assert db is not None
    assert db.execute("SELECT COUNT(*) FROM flag_dismissals").fetchone() == (1,)
    assert db.execute("SELECT COUNT(*) FROM examples_fts").fetchone() == (2,)
    history.close()


def test_a_pair_copied_again_is_kept_as_long_as_its_newest_copy() -> None:
    history, corpus = _kept_history()
    _copy(history, corpus, OLD_EN, NOW - timedelta(days=2))  # the same findings, copied again
    history.purge_expired(NOW)
    assert corpus.count(body_system="abdomen") == 2  # OLD_EN (copied again) and RECENT
    history.close()


def test_purged_findings_are_gone_from_the_files_bytes() -> None:
    history, _corpus = _kept_history()
    history.close()  # a checkpoint: every row is in the main file now
    data = _file_bytes()
    for marker in ("Qxzebramarker", "斑马标记", "鹦鹉螺", "qxzebramarker"):
        assert marker.encode() in data, marker  # the probe sees rows that are there
    history = History(retention_days=30)
    assert history.purge_expired(NOW) == 2
    data = _file_bytes()
    # Findings (drafts, corpus, its word index), the dismissed flag's reason: all zeroed.
    for marker in ("Qxzebramarker", "qxzebramarker", "Qxzebra tail", "斑马标记", "鹦鹉螺"):
        assert marker.encode() not in data, marker
    assert RECENT.encode() in data
    assert IMPORTED.encode() in data
    history.close()
