"""`scores merge` takes nothing on trust (issue 17, item 10b).

A scorer's file may be edited by hand or by a script: a changed_at far in the future won
every later merge, a score of 150 or a rater level "professor" went into the results, and
the same answer under another uuid was counted twice. Each incoming row is checked; a bad
one is left out with a sentence, the good ones are merged; a row from the future is capped
at the merge time and reported; merging the same file again adds and changes nothing.
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from reader_study_data import build_scored_study, dump_tables

from radval_desktop import cli
from radval_desktop.store import reader_study
from radval_desktop.store.merge import merge_databases
from radval_desktop.store.reader_study import Answer, list_studies, open_study, save_answer
from radval_desktop.study.questionnaire import METRIC_KEYS

ANSWERS = 3 * 6 * 7  # build_scored_study: 3 raters x 6 candidates x 7 metrics


@pytest.fixture
def lead(tmp_path: Path) -> Path:
    path = tmp_path / "lead.db"
    build_scored_study(path)
    return path


def _edit(path: Path, sql: str, params: list[object] | None = None) -> int:
    conn = sqlite3.connect(path)
    with conn:
        changed = conn.execute(sql, params or []).rowcount
    conn.close()
    return changed


def _one_answer(path: Path, rater: str = "Dr Junior") -> tuple[str, str, str, str]:
    conn = sqlite3.connect(path)
    row = conn.execute(
        "SELECT a.uuid, a.study_uuid, a.rater_uuid, a.candidate_uuid FROM answers a JOIN "
        "raters r ON r.uuid = a.rater_uuid WHERE r.name = ? AND a.metric = ? "
        "ORDER BY a.candidate_uuid LIMIT 1", [rater, METRIC_KEYS[0]]).fetchone()
    conn.close()
    return row


def test_bad_rows_are_left_out_with_a_sentence_and_the_good_ones_merged(
        tmp_path: Path, lead: Path) -> None:
    forged = tmp_path / "forged.db"
    shutil.copy(lead, forged)
    aid, study, rater, candidate = _one_answer(forged)
    # A score out of range, NA with a score, a metric that does not exist.
    assert _edit(forged, "UPDATE answers SET score = 150 WHERE uuid = ?", [aid]) == 1
    assert _edit(forged, "UPDATE answers SET na = 1, score = 40 WHERE metric = ? AND "
                 "rater_uuid = ? AND candidate_uuid = ?",
                 [METRIC_KEYS[1], rater, candidate]) == 1
    assert _edit(forged, "UPDATE answers SET metric = 'beauty' WHERE metric = ? AND "
                 "rater_uuid = ? AND candidate_uuid = ?",
                 [METRIC_KEYS[2], rater, candidate]) == 1
    # A rater level that does not exist: the rater and every answer of theirs are left out.
    assert _edit(forged, "UPDATE raters SET level = 'professor' WHERE name = 'Dr Senior'") == 1
    # The same answer again under a made-up uuid: it would be counted twice.
    conn = sqlite3.connect(forged)
    with conn:
        conn.execute("INSERT INTO answers SELECT ?, study_uuid, rater_uuid, candidate_uuid, "
                     "metric, score, na, quotes, explanation, given_at, changed_at FROM answers "
                     "WHERE rater_uuid = ? AND metric = ? AND candidate_uuid != ? LIMIT 1",
                     [str(uuid.uuid4()), rater, METRIC_KEYS[3], candidate])
    conn.close()
    out = tmp_path / "merged.db"
    report = merge_databases([forged], out)
    problems = "\n".join(report.problems)
    assert len(report.problems) == 6, problems
    assert "score 150 is not 0 to 100" in problems
    assert "NA with a score" in problems
    assert "'beauty' is not one of the seven metrics" in problems
    assert "level 'professor' is not junior, intermediate or senior" in problems
    assert "42 answers of Dr Senior" in problems
    assert "uuid does not match" in problems
    assert all(p.startswith("forged.db: ") for p in report.problems)
    merged = sqlite3.connect(out)
    # Two good raters' answers, less the three bad ones (the duplicate is not added).
    assert merged.execute("SELECT COUNT(*) FROM answers").fetchone() == (2 * 6 * 7 - 3,)
    assert merged.execute("SELECT COUNT(*) FROM raters").fetchone() == (2,)
    assert merged.execute("SELECT MAX(score), MIN(score) FROM answers").fetchone()[0] <= 100
    assert merged.execute("SELECT COUNT(*) FROM answers WHERE na = 1 AND score IS NOT NULL"
                          ).fetchone() == (0,)
    merged.close()


def test_a_row_from_the_future_is_capped_reported_and_loses_to_a_later_edit(
        tmp_path: Path, lead: Path) -> None:
    forged, honest = tmp_path / "forged.db", tmp_path / "honest.db"
    shutil.copy(lead, forged)
    shutil.copy(lead, honest)
    aid, study, rater, candidate = _one_answer(forged)
    _edit(forged, "UPDATE answers SET score = 3, changed_at = '2999-01-01T00:00:00.000000+00:00'"
          " WHERE uuid = ?", [aid])
    out = tmp_path / "merged.db"
    before = datetime.now(UTC).isoformat(timespec="microseconds")
    report = merge_databases([forged], out)
    after = datetime.now(UTC).isoformat(timespec="microseconds")
    assert len(report.problems) == 1
    assert "changed in the future (2999-01-01" in report.problems[0]
    merged = sqlite3.connect(out)
    score, changed = merged.execute("SELECT score, changed_at FROM answers WHERE uuid = ?",
                                    [aid]).fetchone()
    merged.close()
    assert score == 3
    assert before <= changed <= after  # capped at the merge time
    # The rater revises the answer later in their own file: the revision wins, even when
    # the forged file is merged again beside it, in either order.
    db = open_study(honest)
    save_answer(db, study, rater, candidate, Answer(METRIC_KEYS[0], 77))
    db.close()
    for order in ([forged, honest], [honest, forged]):
        merge_databases(order, out)
        merged = sqlite3.connect(out)
        assert merged.execute("SELECT score FROM answers WHERE uuid = ?", [aid]).fetchone() \
            == (77,)
        merged.close()


def test_merging_the_same_files_again_adds_and_changes_nothing(tmp_path: Path,
                                                               lead: Path) -> None:
    forged = tmp_path / "forged.db"
    shutil.copy(lead, forged)
    aid = _one_answer(forged)[0]
    _edit(forged, "UPDATE answers SET changed_at = '2999-01-01T00:00:00.000000+00:00' "
          "WHERE uuid = ?", [aid])
    _edit(forged, "UPDATE answers SET score = 101 WHERE uuid != ? AND metric = ? AND score = 80",
          [aid, METRIC_KEYS[0]])
    out = tmp_path / "merged.db"
    merge_databases([forged, lead], out)
    first = dump_tables(out)
    for sources in ([forged, lead], [forged], [lead, forged]):
        again = merge_databases(sources, out)
        assert dump_tables(out) == first
        assert sum(again.added.values()) == 0, again.added
        assert again.conflicts == []


def test_cli_merge_prints_each_problem_and_keeps_the_good_rows(
        tmp_path: Path, lead: Path, capsys: pytest.CaptureFixture[str]) -> None:
    forged = tmp_path / "forged.db"
    shutil.copy(lead, forged)
    _edit(forged, "UPDATE answers SET score = -5 WHERE uuid = ?", [_one_answer(forged)[0]])
    out = tmp_path / "study.db"
    assert cli.main(["scores", "merge", str(lead), str(forged), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "problem: forged.db: answers row" in printed
    assert "score -5 is not 0 to 100" in printed
    assert "1 row left out" in printed
    db = open_study(out)
    assert db["answers"].count == ANSWERS
    assert [s.name for s in list_studies(db)] == ["pilot"]
    db.close()


def test_the_store_knows_the_questionnaires_metrics() -> None:
    # store/ cannot import study/ (layers): its own list must stay the questionnaire's.
    assert reader_study.METRIC_KEYS == METRIC_KEYS
