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


WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from radval_desktop.store.reader_study import list_studies, open_study, save_rater
    from radval_desktop.study.session import ScoringSession

    path, rater = Path(sys.argv[1]), sys.argv[2]
    db = open_study(path)
    session = ScoringSession(db, list_studies(db)[0], save_rater(db, rater, "senior"), path)
    while not session.finished():
        given = session.progress()[0]
        session.set_score(given * 2 % 101)  # the score says which answer it was
        session.next_metric()
        print(given + 1, flush=True)  # answers this rater has, saved
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_while_answers_are_being_written_loses_none(tmp_path: Path) -> None:
    # The first test kills an idle scorer; here the kill lands while answers are written.
    import random

    path = tmp_path / "study.db"
    build_study(path)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    # 42 answers take ~80 ms to write here: one rater a round.
    raters = [f"Dr {n}" for n in range(20)]
    reported = dict.fromkeys(raters, 0)
    rng = random.Random(20261130)
    kills = 0
    for rater in raters:
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), rater],
                                  stdout=subprocess.PIPE, text=True, env=env)
        assert writer.stdout is not None
        # Killed after a random number of answers it reported, while it goes on writing:
        # by progress, not by a clock, so a slow or busy machine kills mid-writing too.
        first = ""
        for _ in range(rng.randint(1, 30)):
            first = writer.stdout.readline().strip() or first
        writer.send_signal(signal.SIGKILL)
        out, _ = writer.communicate(timeout=30)
        kills += writer.returncode == -signal.SIGKILL
        printed = [int(n) for n in [first, *out.split()] if n]
        reported[rater] = max([reported[rater], *printed])
        db = open_study(path)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        session = ScoringSession(db, list_studies(db)[0], save_rater(db, rater, "senior"), path)
        saved = session.progress()[0]
        db.close()
        # Every answer reported saved is there; at most one saved but not yet reported.
        assert reported[rater] <= saved <= reported[rater] + 1, (rater, reported, saved)
    assert kills >= 16  # most rounds were killed mid-writing, not after finishing
    for rater in raters:  # each finishes; every answer once, with the score it was given
        subprocess.run([sys.executable, "-c", WRITER, str(path), rater], env=env, check=True,
                       stdout=subprocess.DEVNULL, timeout=120)
    db = open_study(path)
    for rater in raters:
        scores = [r[0] for r in db.execute(
            "SELECT a.score FROM answers a JOIN raters r ON r.uuid = a.rater_uuid "
            "WHERE r.name = ?", [rater])]
        assert sorted(scores) == sorted(p * 2 % 101 for p in range(42)), rater
