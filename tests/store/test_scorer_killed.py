"""A scorer killed with SIGKILL in the middle of a case keeps every answer already given."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from reader_study_data import build_study

from radval_desktop.store.reader_study import list_studies, open_study, save_rater
from radval_desktop.study.session import ScoringSession

ANSWERS = 10  # the first impression's seven metrics and three of the second's

SCORER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from radval_desktop.store.reader_study import list_studies, open_study, save_rater
    from radval_desktop.study.session import ScoringSession

    path = Path(sys.argv[1])
    db = open_study(path)
    session = ScoringSession(db, list_studies(db)[0], save_rater(db, "Dr Li", "senior"), path)
    for n in range(1, int(sys.argv[2]) + 1):
        session.set_score(n * 5)
        session.next_metric()
        print(n, flush=True)
    sys.stdin.read()  # mid-case, waiting for the next answer when the signal comes
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_mid_case_loses_no_answer(tmp_path: Path) -> None:
    path = tmp_path / "study.db"
    build_study(path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    scorer = subprocess.Popen([sys.executable, "-c", SCORER, str(path), str(ANSWERS)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    assert scorer.stdout is not None
    lines = [scorer.stdout.readline().strip() for _ in range(ANSWERS)]
    assert lines[-1] == str(ANSWERS)
    scorer.send_signal(signal.SIGKILL)
    scorer.wait(timeout=30)
    assert scorer.returncode == -signal.SIGKILL
    db = open_study(path)
    session = ScoringSession(db, list_studies(db)[0], save_rater(db, "Dr Li", "senior"), path)
    assert session.progress() == (ANSWERS, 42)
    assert sorted(r["score"] for r in db["answers"].rows) == [n * 5 for n in range(1, 11)]
    assert (session.index, session.metric_index) == (1, 3)  # where the scorer stopped
