"""Scoring sessions: blinded shuffled order, answers written at once, resume, failed writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from reader_study_data import CANDIDATES, build_study

from radval_desktop.errors import InputError, StoreError
from radval_desktop.store.reader_study import (
    Rater,
    list_studies,
    load_answers,
    open_study,
    save_rater,
)
from radval_desktop.study.session import ScoringSession


def _session(path: Path, name: str = "Dr Li", level: str = "senior") -> ScoringSession:
    db = open_study(path)
    return ScoringSession(db, list_studies(db)[0], save_rater(db, name, level), path)


@pytest.fixture
def study_path(tmp_path: Path) -> Path:
    path = tmp_path / "study.db"
    build_study(path)
    return path


def test_each_rater_has_an_own_order_that_keeps_a_case_together(study_path: Path) -> None:
    li, wang = _session(study_path, "Dr Li"), _session(study_path, "Dr Wang", "junior")
    again = _session(study_path, "Dr Li")
    order = [i.candidate_uuid for i in li.items]
    assert order == [i.candidate_uuid for i in again.items]  # the same after a restart
    assert order != [i.candidate_uuid for i in wang.items]
    cases = [i.case_uuid for i in li.items]
    assert len(cases) == 6
    # The two candidates of a case sit side by side, numbered 1 and 2 in that case.
    assert all(cases[k] == cases[k + 1] for k in (0, 2, 4))
    assert [(i.case_number, i.candidate_number) for i in li.items] == [
        (1, 1), (1, 2), (2, 1), (2, 2), (3, 1), (3, 2)]


def test_items_carry_no_model_name(study_path: Path) -> None:
    item = _session(study_path).items[0]
    assert not any("model-" in str(value) for value in vars(item).values())
    assert item.text in {t for per_case in CANDIDATES.values() for t in per_case.values()}


def test_an_answer_is_in_the_file_before_the_call_returns(study_path: Path) -> None:
    session = _session(study_path)
    session.set_score(85)
    session.add_quote("  右肺下叶 ")
    session.set_explanation("first reason\n\n  \nsecond reason  \n")
    other = sqlite3.connect(study_path)  # another connection sees the committed row
    row = other.execute("SELECT score, na, quotes, explanation FROM answers").fetchone()
    assert row == (85, 0, '["右肺下叶"]', "first reason\nsecond reason")
    other.close()


def test_na_clears_the_score_and_a_score_clears_na(study_path: Path) -> None:
    session = _session(study_path)
    session.set_score(40)
    assert session.set_na(True).score is None
    assert session.set_score(10).na is False


def test_score_outside_0_to_100_is_refused(study_path: Path) -> None:
    with pytest.raises(InputError, match="0 to 100"):
        _session(study_path).set_score(101)


def test_resume_lands_on_the_next_unanswered_metric(study_path: Path) -> None:
    session = _session(study_path)
    for score in range(7):
        session.set_score(score * 10)
        session.next_metric()
    session.set_na(True)
    session.next_metric()
    assert (session.index, session.metric_index) == (1, 1)
    resumed = _session(study_path)
    assert (resumed.index, resumed.metric_index) == (1, 1)
    assert resumed.progress() == (8, 42)


def test_revisiting_an_answered_item_then_reopening_goes_to_the_next_gap(
        study_path: Path) -> None:
    session = _session(study_path)
    session.set_score(70)
    session.next_metric()
    session.go(0, 0)  # back to revise; the cursor now points at an answered metric
    resumed = _session(study_path)
    assert (resumed.index, resumed.metric_index) == (0, 1)


def test_next_unanswered_wraps_and_reports_when_all_are_done(study_path: Path) -> None:
    session = _session(study_path)
    session.go(5, 6)
    assert session.next_unanswered()
    assert (session.index, session.metric_index) == (0, 0)
    for _ in range(42):
        session.set_score(50)
        session.next_unanswered()
    assert session.finished()
    assert not session.next_unanswered()


def test_a_failed_write_keeps_the_answer_and_the_next_change_saves_it(study_path: Path) -> None:
    session = _session(study_path)
    session.db.execute("PRAGMA busy_timeout = 50")
    holder = sqlite3.connect(study_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    with pytest.raises(StoreError, match="locked by another program"):
        session.set_score(60)
    assert session.current_answer().score == 60  # still on screen
    assert session.pending
    holder.execute("ROLLBACK")
    holder.close()
    session.add_quote("右肺")
    assert not session.pending
    rater: Rater = session.rater
    saved = load_answers(session.db, session.study.uuid, rater.uuid)
    assert [(a.score, a.quotes) for a in saved.values()] == [(60, ("右肺",))]
