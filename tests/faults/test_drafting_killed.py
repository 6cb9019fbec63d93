"""Drafting killed with SIGKILL: every draft saved before the kill is in the history, once.

The window saves a draft's history row when the draft has finished (MainWindow.
_on_draft_panel_draft_completed -> History.save_draft, one INSERT committed before it
returns); a draft still streaming when the process dies has no row, by design: nothing
was shown as final. So a kill can land while the model loads, while it streams, between
drafts or inside the INSERT, and the history must come back with every committed draft,
no half row, no duplicate, and open without being taken for a damaged file.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import sys
import time
from pathlib import Path

import pytest
from worker_processes import Worker

from radval_desktop.store.database import database_path
from radval_desktop.store.history import History

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")]

KILLS = 5  # of the real drafting process, at random moments
MAX_TOKENS = 24  # a short impression keeps each draft near a second; quality is tested elsewhere
# Sixteen cases, Chinese and English: more than five interrupted runs can use up.
_CASES = [("双肺纹理清晰，右肺上叶见磨玻璃影。", "chest", "CT"),
          ("Small right pleural effusion. No pneumothorax.", "chest", "CT"),
          ("肝右叶见类圆形低密度影，边界清。", "abdomen", "CT"),
          ("Acute infarct in the left basal ganglia on DWI.", "head", "MRI")]
CASES = [{"findings": f"{f} ({n})", "system": s, "modality": m}
         for n in range(4) for f, s, m in _CASES]
ROW_KILLS = 20  # of a process saving history rows as fast as it can
ROW_COUNT = 100_000  # more than it can write before the kill


def _history_rows(path: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return conn.execute("SELECT * FROM drafts ORDER BY id").fetchall()
    finally:
        conn.close()


def _restart_and_check(path: Path, reported: dict[str, str]) -> list[sqlite3.Row]:
    """What the window does at start (open the history), then the promise on the rows."""
    history = History()
    history.recent()
    assert history.recovered_from is None, "a killed history was taken for a damaged one"
    history.close()
    rows = _history_rows(path)
    uuids = [row["uuid"] for row in rows]
    assert len(set(uuids)) == len(uuids)
    findings = [row["findings"] for row in rows]
    assert len(set(findings)) == len(findings), "a draft was saved twice"
    by_uuid = {row["uuid"]: row for row in rows}
    for uuid, text in reported.items():
        assert uuid in by_uuid, f"draft {uuid} was saved before the kill and is gone"
        assert by_uuid[uuid]["findings"] == text
    for row in rows:  # no half-written row: every column the window wrote is there
        for column in ("created_at", "model_sha256", "sampling_json", "final_text"):
            assert row[column] is not None, (column, dict(row))
        assert row["total_seconds"] is not None
        assert row["attempts"] >= 1
    return rows


def test_sigkill_while_drafting_keeps_each_finished_draft_once(
        default_model_path: Path, radval_home: Path, tmp_path: Path) -> None:
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    path = database_path()
    cases_file = tmp_path / "cases.json"
    reported: dict[str, str] = {}  # uuid -> findings, for drafts a worker said it saved
    kills, done = 0, 0
    while kills < KILLS:
        remaining = [c for c in CASES if c["findings"] not in
                     {row["findings"] for row in (_history_rows(path) if path.exists() else [])}]
        assert len(remaining) > 2, f"the cases ran out before {KILLS} kills (seed {seed})"
        cases_file.write_text(json.dumps(remaining, ensure_ascii=False), encoding="utf-8")
        worker = Worker("draft", str(default_model_path), str(cases_file), str(MAX_TOKENS))
        worker.wait_for("loaded", timeout=180)
        # After 0, 1 or 2 finished drafts, then anywhere in the next one: prompt, stream,
        # guards, the INSERT, or between two drafts.
        for _ in range(kills % 3):
            worker.wait_for("saved", timeout=180)
        deadline = time.monotonic() + rng.uniform(0.0, 2.5)
        while time.monotonic() < deadline and worker.proc.poll() is None:
            time.sleep(0.01)
        assert worker.proc.poll() is None, f"the worker ended before its kill (seed {seed})"
        worker.proc.send_signal(signal.SIGKILL)
        worker.finish(timeout=60)
        assert worker.proc.returncode == -signal.SIGKILL
        kills += 1
        reported.update({line["uuid"]: line["findings"] for line in worker.saved()})
        done = len(_restart_and_check(path, reported))
        # At most the one draft whose INSERT committed just before the kill is unreported.
        assert done - len(reported) <= kills, f"seed {seed}"
    # The last run is not killed: it drafts what is left, and the history is complete.
    remaining = [c for c in CASES if c["findings"] not in {r["findings"] for r in
                                                           _history_rows(path)}]
    cases_file.write_text(json.dumps(remaining, ensure_ascii=False), encoding="utf-8")
    worker = Worker("draft", str(default_model_path), str(cases_file), str(MAX_TOKENS))
    worker.finish(timeout=300)
    assert worker.proc.returncode == 0, worker.stderr()[-3000:]
    reported.update({line["uuid"]: line["findings"] for line in worker.saved()})
    rows = _restart_and_check(path, reported)
    assert sorted(row["findings"] for row in rows) == sorted(c["findings"] for c in CASES)
    assert done < len(CASES)  # the kills really interrupted the work
    print(f"{KILLS} kills (seed {seed}): {done} drafts saved before the last kill, "
          f"{len(reported)} reported, {len(rows)} rows checked")


def test_sigkill_while_saving_history_rows_loses_no_committed_row(radval_home: Path,
                                                                  tmp_path: Path) -> None:
    # Saving takes milliseconds, so kills of a drafting process rarely land inside it: a
    # process that does nothing but save (and list, copy, dismiss) drafts is killed instead.
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    path = database_path()
    reported: dict[str, str] = {}
    for kill in range(ROW_KILLS):
        go = tmp_path / f"go-{kill}"
        worker = Worker("rows", str(ROW_COUNT), f"run {kill}", str(go))
        worker.wait_for("ready", timeout=120)
        go.touch()
        worker.wait_for("saved", timeout=60)
        time.sleep(rng.uniform(0.0, 0.4))
        worker.proc.send_signal(signal.SIGKILL)
        worker.finish(timeout=60)
        assert worker.proc.returncode == -signal.SIGKILL, f"seed {seed}"
        reported.update({line["uuid"]: line["findings"] for line in worker.saved()})
        rows = _restart_and_check(path, reported)
        assert len(rows) - len(reported) <= kill + 1, f"seed {seed}"
    assert len(reported) >= ROW_KILLS
    print(f"{ROW_KILLS} kills (seed {seed}): {len(rows)} rows, {len(reported)} reported saved")
