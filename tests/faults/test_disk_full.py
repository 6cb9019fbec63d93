"""A write that fails (file-size limit as a full disk) is reported; committed data survives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from faults_data import SAMPLE_DRAFT

from radval_desktop.store.history import History
from radval_desktop.store.reader_study import load_answers, open_study

pytestmark = pytest.mark.slow  # a subprocess each

TESTS = Path(__file__).resolve().parents[1]
# Room for a few more pages once the limit is set: enough for some writes to succeed first.
HEADROOM_BYTES = 48 * 1024
MAX_WRITES = 5_000  # a bound so a limit that never bites fails the test instead of hanging

_PRELUDE = f"""
import json, resource, signal, sys
from pathlib import Path
# Past RLIMIT_FSIZE the kernel sends SIGXFSZ (which kills); ignored, write() fails with EFBIG.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
from radval_desktop.errors import StoreError

def limit_files(path):
    used = max(p.stat().st_size for p in path.parent.iterdir())
    resource.setrlimit(resource.RLIMIT_FSIZE, (used + {HEADROOM_BYTES}, resource.RLIM_INFINITY))

def report(done, error, readable):
    print(json.dumps({{"done": done, "error": error, "readable": readable}}))
"""

_HISTORY = """
from faults_data import SAMPLE_DRAFT
from radval_desktop.store.history import History
history = History(path=Path(sys.argv[1]))
for _ in range(20):
    history.save_draft(SAMPLE_DRAFT)
limit_files(Path(sys.argv[1]))
done, error = 20, None
for _ in range({max_writes}):
    try:
        history.save_draft(SAMPLE_DRAFT)
    except StoreError as err:
        error = str(err)
        break
    done += 1
report(done, error, len(history.recent(limit=100_000)))
"""

_ANSWERS = """
from reader_study_data import build_study
from radval_desktop.store.reader_study import Answer, open_study, save_answer, save_rater
path = Path(sys.argv[1])
study = build_study(path)
db = open_study(path)
candidate = db.execute("SELECT uuid FROM candidates").fetchone()[0]
limit_files(path)
done, error = 0, None
for i in range({max_writes}):
    try:
        rater = save_rater(db, f"Dr {{i}}", "senior")  # a new rater each: the file grows
        save_answer(db, study.uuid, rater.uuid, candidate,
                    Answer("overall", 50, explanation="x" * 400), path)
    except StoreError as err:
        error = str(err)
        break
    done += 1
report(done, error, db.execute("SELECT count(*) FROM answers").fetchone()[0])
"""


def _run_until_full(body: str, path: Path) -> dict[str, object]:
    code = _PRELUDE + textwrap.dedent(body).format(max_writes=MAX_WRITES)
    env = dict(os.environ, PYTHONPATH=str(TESTS / "faults") + os.pathsep + str(TESTS))
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                          text=True, timeout=120, check=False, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_history_write_past_a_full_disk_is_reported_and_kept_drafts_survive(
        tmp_path: Path) -> None:
    path = tmp_path / "radval.db"
    result = _run_until_full(_HISTORY, path)
    assert isinstance(result["error"], str), "the size limit never stopped a write"
    assert result["error"].startswith(f"The history database ({path}) cannot be")
    assert isinstance(result["done"], int)
    assert result["done"] > 20  # some writes fitted in the headroom before the limit bit
    assert result["readable"] == result["done"]  # still readable in the failing process
    history = History(path=path)
    assert len(history.recent(limit=100_000)) == result["done"]  # committed = kept, once
    db = history.database()
    assert db is not None
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert history.save_draft(SAMPLE_DRAFT) is not None  # with space again, writing resumes
    history.close()


def test_answer_write_past_a_full_disk_is_reported_and_kept_answers_survive(
        tmp_path: Path) -> None:
    path = tmp_path / "study.db"
    result = _run_until_full(_ANSWERS, path)
    assert isinstance(result["error"], str), "the size limit never stopped a write"
    assert result["error"].startswith("The study database")
    assert "cannot be read or written" in result["error"]
    assert "Your answer is kept on screen" in result["error"]
    assert isinstance(result["done"], int)
    assert result["done"] > 0
    assert result["readable"] == result["done"]
    db = open_study(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM answers").fetchone()[0] == result["done"]
    study, = [row[0] for row in db.execute("SELECT uuid FROM studies")]
    raters = [row[0] for row in db.execute("SELECT rater_uuid FROM answers")]
    assert all(load_answers(db, study, r) for r in raters)
    db.close()
