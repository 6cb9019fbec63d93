"""Two RadVal instances on one database (one scoring, one drafting) corrupt nothing.

Real processes, started together on the app's own database (RADVAL_HOME): WAL lets the
history list read while the other window writes, the busy timeout makes each writer wait
its turn, and opening a new file is safe when several windows start at the same moment.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest
from reader_study_data import build_study
from worker_processes import Worker

from radval_desktop.store.database import database_path
from radval_desktop.study.questionnaire import METRICS

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes")]

RATERS = 8  # at least: x 6 candidates x 7 metrics = 336 answers, each with its cursor
DRAFTS = 250  # at least: each saved, listed, copied; every fifth has a flag dismissed
SECONDS = 3.0  # and both go on this long, so that they overlap on a fast machine too
STARTERS = 4  # windows opened on one new database at the same moment


def _go(workers: list[Worker], go: Path) -> None:
    for worker in workers:
        worker.wait_for("ready", timeout=120)
    go.touch()


def test_scoring_and_drafting_at_once_keep_every_row(radval_home: Path, tmp_path: Path) -> None:
    path = database_path()
    study = build_study(path)  # the study lives in the history's own database file
    go = tmp_path / "go"
    scorer = Worker("score", str(RATERS), "scorer", str(go), str(SECONDS))
    drafter = Worker("rows", str(DRAFTS), "drafter", str(go), str(SECONDS))
    _go([scorer, drafter], go)
    scored = scorer.finish(timeout=300)
    drafter.finish(timeout=300)
    for worker in (scorer, drafter):
        assert worker.proc.returncode == 0, worker.stderr()[-3000:]
        assert "locked" not in worker.stderr()
    answers = [line for line in scored if line["event"] == "answer"]
    saved = drafter.saved()
    raters = len({line["rater"] for line in answers})
    assert raters >= RATERS
    assert len(answers) == raters * 6 * len(METRICS)  # every rater finished the study
    assert len(saved) >= DRAFTS
    # The two really wrote at the same time: their busy spans overlap.
    (s_done,), (d_done,) = ([line for line in w.seen if line["event"] == "done"]
                            for w in (scorer, drafter))
    overlap = min(s_done["last"], d_done["last"]) - max(s_done["first"], d_done["first"])
    assert overlap > SECONDS / 2, (s_done, d_done)

    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        rows = conn.execute("SELECT rater_uuid, candidate_uuid, metric, score FROM answers "
                            "WHERE study_uuid = ?", [study.uuid]).fetchall()
        assert len(rows) == len(answers)  # every answer reported as saved, once
        assert len({r[:3] for r in rows}) == len(rows)
        assert all(r[3] is not None for r in rows)
        drafts = conn.execute("SELECT uuid, findings, copied_text FROM drafts").fetchall()
        assert {uuid for uuid, _, _ in drafts} == {line["uuid"] for line in saved}
        for _, findings, copied in drafts:  # each Copy landed on its own draft
            assert copied == findings.replace("Small right", "Right")
        dismissed = conn.execute("SELECT count(*) FROM flag_dismissals").fetchone()[0]
        assert dismissed == (len(saved) + 4) // 5
        assert conn.execute("SELECT count(*) FROM cursors").fetchone()[0] == raters
    finally:
        conn.close()
    print(f"{len(answers)} answers by {raters} raters and {len(saved)} drafts "
          f"({dismissed} flags dismissed) at once, overlapping {overlap:.1f} s")


def test_windows_opened_together_on_a_new_database_all_start(radval_home: Path,
                                                              tmp_path: Path) -> None:
    # Before: the first window created the tables and the others failed at once with
    # "The history database is locked by another program" (SQLite answers BUSY without
    # waiting when a reader with an old snapshot tries to write).
    go = tmp_path / "go"
    starters = [Worker("open", str(go)) for _ in range(STARTERS)]
    _go(starters, go)
    for worker in starters:
        lines = worker.finish(timeout=120)
        assert worker.proc.returncode == 0, worker.stderr()[-3000:]
        assert [line["event"] for line in lines] == ["ready", "opened"]
    conn = sqlite3.connect(database_path())
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        applied = conn.execute("SELECT name FROM _sqlite_migrations").fetchall()
        assert len(applied) == len(set(applied))  # each migration applied once
    finally:
        conn.close()
