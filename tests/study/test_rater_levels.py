"""Issue 19, item 3: a rater's level is the study lead's, set once; nothing changes it silently."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from reader_study_data import build_study

from radval_desktop.cli.main import main
from radval_desktop.errors import InputError
from radval_desktop.store.reader_study import find_rater, open_study, save_rater


def _levels(path: Path) -> dict[str, str]:
    conn = sqlite3.connect(path)
    try:
        return dict(conn.execute("SELECT name, level FROM raters").fetchall())
    finally:
        conn.close()


def test_saving_a_rater_again_with_another_level_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "study.db"
    build_study(path)
    db = open_study(path)
    save_rater(db, "Dr Li", "senior")
    with pytest.raises(InputError, match="Dr Li is already senior"):
        save_rater(db, "dr  LI", "junior")  # the same rater: names match without case/spaces
    assert save_rater(db, "Dr Li", "senior").level == "senior"  # the same level: fine
    found = find_rater(db, "DR LI")
    assert found is not None
    assert found.level == "senior"
    assert find_rater(db, "Dr Nobody") is None
    # The lead may change it, but only by asking for it.
    assert save_rater(db, "Dr Li", "intermediate", change_level=True).level == "intermediate"
    db.close()
    assert _levels(path) == {"Dr Li": "intermediate"}


def test_study_assign_again_with_another_level_is_refused_unless_asked(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "study.db"
    build_study(path)
    base = ["study", "assign", "--db", str(path), "--study", "pilot", "--rater", "Dr Wang"]
    assert main([*base, "--level", "junior"]) == 0
    assert main([*base, "--level", "senior"]) == 1
    err = capsys.readouterr().err
    assert "Dr Wang is already junior" in err
    assert "--change-level" in err
    assert _levels(path) == {"Dr Wang": "junior"}
    assert main([*base, "--level", "senior", "--change-level"]) == 0
    assert _levels(path) == {"Dr Wang": "senior"}
