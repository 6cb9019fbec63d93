"""Two RadVal instances on one database (one scoring, one drafting) corrupt nothing.

Real processes, started together on the app's own database (RADVAL_HOME): the drafting
one is the real window (window_child.py: MainWindow offscreen, the default model), the
scoring one answers the reader study as the Scoring tab does. WAL lets the history list
read while the other writes, the busy timeout makes each writer wait its turn, and opening
a new file is safe when several windows start at the same moment.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import time
from pathlib import Path

import pytest
from reader_study_data import build_study
from worker_processes import WINDOW, Worker

from radval_desktop.store.database import database_path
from radval_desktop.study.questionnaire import METRICS

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes")]

RATERS = 8  # at least: x 6 candidates x 7 metrics = 336 answers, each with its cursor
# Drafted by the window with the model, each then Copied (and its first flag dismissed),
# while the scorer answers: the scorer goes on until the window is done.
_CASES = [("双肺纹理清晰，右肺上叶见磨玻璃影。", "chest", "CT"),
          ("Small right pleural effusion. No pneumothorax.", "chest", "CT"),
          ("肝右叶见类圆形低密度影，边界清。", "abdomen", "CT")]
CASES = [{"findings": f"{f} ({n})", "system": s, "modality": m}
         for n in range(2) for f, s, m in _CASES]
MAX_TOKENS = 16  # short drafts: what is tested is the writing, not the impression
STARTERS = 6  # windows opened on one new database at the same moment
ROUNDS = 2  # each on a new database
# window_child's probe: each SQL statement starts 2 ms late, so that the windows' first
# migrations overlap: a start without the write lock was then caught in 4 runs of 4, and
# without the probe in 1 run of 3.
SLOW_SQL_MS = 2.0


def _go(workers: list[Worker], go: Path) -> None:
    for worker in workers:
        worker.wait_for("ready", timeout=120)
    go.touch()


def test_scoring_and_drafting_at_once_keep_every_row(radval_home: Path, tmp_path: Path,
                                                     default_model_path: Path) -> None:
    began = time.monotonic()
    config = radval_home / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    # The model file read as it is: a BF16 copy costs each window 2-3 s to make (see
    # test_drafting_killed._write_config).
    config.write_text(f"[model]\nn_threads = 1\nbf16_copy = false\n\n"
                      f"[sampling]\nmax_tokens = {MAX_TOKENS}\n", encoding="utf-8")
    path = database_path()
    study = build_study(path)  # the study lives in the history's own database file
    go, stop = tmp_path / "go", tmp_path / "stop"
    cases = tmp_path / "cases.json"
    cases.write_text(json.dumps(CASES, ensure_ascii=False), encoding="utf-8")
    scorer = Worker("score", str(RATERS), "scorer", str(go), "0", str(stop))
    window = Worker("draft", str(cases), "--copy", "--go", str(go), script=WINDOW)
    scorer.wait_for("ready", timeout=120)
    window.wait_for("started", timeout=120)
    go.touch()
    drafted = window.finish(timeout=600)
    stop.touch()
    scored = scorer.finish(timeout=300)
    for worker in (scorer, window):
        assert worker.proc.returncode == 0, worker.stderr()[-3000:]
        assert "locked" not in worker.stderr()
        assert "Traceback" not in worker.stderr()
    answers = [line for line in scored if line["event"] == "answer"]
    saved = window.saved()
    copied = [line for line in drafted if line["event"] == "copied"]
    raters = len({line["rater"] for line in answers})
    assert raters >= RATERS
    assert len(answers) == raters * 6 * len(METRICS)  # every rater finished the study
    assert len(saved) == len(CASES)
    # Every draft the guards let through was copied (a refused one has nothing to copy).
    assert [line["n"] for line in copied] == [line["n"] for line in saved if line["ok"]]
    assert len(copied) >= len(CASES) // 2
    for line in copied:  # the window said "Copied", not that the database was busy
        assert line["message"].startswith("Copied"), line
    # The window drafted, saved and copied while the scorer was writing answers.
    (s_done,) = [line for line in scored if line["event"] == "done"]
    assert s_done["first"] < saved[0]["t"]
    assert copied[-1]["t"] < s_done["last"]
    window_span = copied[-1]["t"] - saved[0]["t"]

    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        rows = conn.execute("SELECT rater_uuid, candidate_uuid, metric, score FROM answers "
                            "WHERE study_uuid = ?", [study.uuid]).fetchall()
        assert len(rows) == len(answers)  # every answer reported as saved, once
        assert len({r[:3] for r in rows}) == len(rows)
        assert all(r[3] is not None for r in rows)
        drafts = conn.execute("SELECT uuid, final_text, copied_text FROM drafts").fetchall()
        assert {uuid for uuid, _, _ in drafts} == {line["uuid"] for line in saved}
        copies = {line["uuid"]: line["copied"] for line in copied}
        for uuid, final, copied_text in drafts:  # each Copy landed on its own draft
            assert copied_text == copies.get(uuid)
            if uuid in copies:
                assert copied_text == final.strip() != ""
        dismissed = conn.execute("SELECT count(*) FROM flag_dismissals").fetchone()[0]
        assert dismissed == sum(line["dismissed"] for line in copied)
        # Each Copy became an example for later drafts, read by the window's drafting thread.
        assert conn.execute("SELECT count(*) FROM examples").fetchone()[0] == len(copied)
        assert conn.execute("SELECT count(*) FROM cursors").fetchone()[0] == raters
    finally:
        conn.close()
    print(f"{len(answers)} answers by {raters} raters while the window drafted, saved and "
          f"copied {len(saved)} drafts ({dismissed} flags dismissed) in {window_span:.1f} s; "
          f"{time.monotonic() - began:.0f} s")


def test_windows_opened_together_on_a_new_database_all_start(
        radval_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Before: the first window created the tables and the others failed at once with
    # "The history database is locked by another program" (SQLite answers BUSY without
    # waiting when a reader with an old snapshot tries to write).
    for round_ in range(ROUNDS):
        monkeypatch.setenv("RADVAL_HOME", str(tmp_path / f"home-{round_}"))
        go = tmp_path / f"go-{round_}"
        starters = [Worker("open", str(go), "--slow-sql", str(SLOW_SQL_MS), script=WINDOW)
                    for _ in range(STARTERS)]
        _go(starters, go)
        for worker in starters:
            lines = worker.finish(timeout=120)
            assert worker.proc.returncode == 0, worker.stderr()[-3000:]
            assert [line["event"] for line in lines] == ["ready", "opened"]
            # The window started with its history open: not "locked", nothing set aside.
            assert lines[1]["message"] == "", (round_, lines[1])
            assert lines[1]["recovered"] == "", lines[1]
            assert lines[1]["drafts"] == 0
        conn = sqlite3.connect(database_path())
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            applied = conn.execute("SELECT name FROM _sqlite_migrations").fetchall()
            assert len(applied) == len(set(applied))  # each migration applied once
        finally:
            conn.close()
