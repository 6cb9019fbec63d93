"""What a study lead does from the command line (issue 19): create, freeze, export, merge."""

from __future__ import annotations

import csv
import json
import os
import stat
from pathlib import Path

import pytest
from reader_study_data import CASES, STUDY, build_scored_study, write_jsonl

from radval_desktop.cli import main
from radval_desktop.errors import InputError
from radval_desktop.store.reader_study import (
    assign,
    open_study,
    save_rater,
    save_study,
)
from radval_desktop.study.importing import import_candidates


def _imported(path: Path) -> Path:
    """A study file with the fixture's 3 cases x 2 models imported, no study yet."""
    db = open_study(path)
    import_candidates(db, write_jsonl(path.with_suffix(".jsonl")))
    db.close()
    return path


def _study_rows(path: Path) -> list[tuple]:
    db = open_study(path)
    try:
        return db.execute("SELECT name, institution_1 FROM studies").fetchall()
    finally:
        db.close()


# --- item 2: institution 1 is checked ---------------------------------------------------

def test_create_without_institution_1_is_refused_by_the_command_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = _imported(tmp_path / "study.db")
    with pytest.raises(SystemExit) as stopped:
        main(["study", "create", "--db", str(db), "--name", STUDY])
    assert stopped.value.code == 2
    assert "--institution-1" in capsys.readouterr().err
    assert _study_rows(db) == []


def test_a_mistyped_institution_1_is_refused_naming_those_in_the_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = _imported(tmp_path / "study.db")
    assert main(["study", "create", "--db", str(db), "--name", STUDY,
                 "--institution-1", "Hospital A"]) == 1
    err = capsys.readouterr().err
    assert "Hospital A" in err
    assert "'1', '2'" in err  # the institutions actually in the file, as a sentence
    assert _study_rows(db) == []


def test_an_institution_1_present_in_the_file_is_saved(tmp_path: Path) -> None:
    db = _imported(tmp_path / "study.db")
    assert main(["study", "create", "--db", str(db), "--name", STUDY,
                 "--institution-1", " 2 "]) == 0
    assert _study_rows(db) == [(STUDY, "2")]


# --- item 10: a study handed out is frozen ----------------------------------------------

def _handed_out(path: Path) -> None:
    db = open_study(_imported(path))
    study = save_study(db, STUDY, institution_1="1")
    assign(db, study, save_rater(db, "Dr Li", "senior"))
    db.close()


def _more_candidates(path: Path) -> None:
    extra = path.with_name("more.jsonl")
    case = CASES[0]
    row = {"case_id": case["case_id"], "institution": "1", "body_system": "chest",
           "findings": case["findings"], "model": "model-c", "candidate": "右肺下叶肺炎。"}
    extra.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    db = open_study(path)
    summary = import_candidates(db, extra)
    assert summary.candidates == 1
    db.close()


def test_a_study_handed_out_does_not_grow_after_a_new_import(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db_path = tmp_path / "study.db"
    _handed_out(db_path)
    _more_candidates(db_path)
    assert main(["study", "create", "--db", str(db_path), "--name", STUDY,
                 "--institution-1", "1"]) == 1
    err = capsys.readouterr().err
    assert "handed out" in err
    assert "1 new candidate" in err
    assert "--name" in err
    db = open_study(db_path)
    count = db.execute("SELECT COUNT(*) FROM study_candidates").fetchone()[0]
    db.close()
    assert count == 6  # the raters' copies hold 6; the study still does


def test_a_new_study_takes_the_new_candidates(tmp_path: Path) -> None:
    db_path = tmp_path / "study.db"
    _handed_out(db_path)
    _more_candidates(db_path)
    assert main(["study", "create", "--db", str(db_path), "--name", "pilot 2",
                 "--institution-1", "1"]) == 0
    db = open_study(db_path)
    counts = dict(db.execute("SELECT s.name, COUNT(*) FROM study_candidates c JOIN studies s "
                             "ON s.uuid = c.study_uuid GROUP BY s.name").fetchall())
    db.close()
    assert counts == {STUDY: 6, "pilot 2": 7}


def test_a_handed_out_study_keeps_its_seed(tmp_path: Path) -> None:
    db_path = tmp_path / "study.db"
    _handed_out(db_path)
    db = open_study(db_path)
    with pytest.raises(InputError, match="handed out"):
        save_study(db, STUDY, institution_1="1", seed=7)
    # The same settings again change nothing and are no error.
    save_study(db, STUDY, institution_1="1")
    db.close()


# --- item 11: the export has the original case id and is owner-only ----------------------

def test_scores_export_has_the_case_id_and_is_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    build_scored_study(db)
    out = tmp_path / "answers.csv"
    old = os.umask(0o002)
    try:
        assert main(["scores", "export", "--db", str(db), "-o", str(out)]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with open(out, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 126
    assert {r["case_id"] for r in rows} == {"zh-1", "zh-2", "en-1"}
    assert {r["source_file"] for r in rows} == {"study.jsonl"}


def test_an_export_over_a_world_readable_file_becomes_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    build_scored_study(db)
    out = tmp_path / "answers.csv"
    out.write_text("old")
    out.chmod(0o644)
    assert main(["scores", "export", "--db", str(db), "-o", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


# --- item 12: messages worded for the lead ----------------------------------------------

def test_several_studies_message_names_the_option(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    db_path = tmp_path / "study.db"
    build_scored_study(db_path)
    db = open_study(db_path)
    save_study(db, "second", institution_1="2")
    db.close()
    assert main(["report", "--study", str(db_path), "--out", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert "--study-name" in err
    assert "pilot" in err
    assert "second" in err


def test_merging_a_file_that_is_not_a_database_is_worded_for_the_lead(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "li.db"
    build_scored_study(good)
    wrong = tmp_path / "wang.db"
    wrong.write_text("case,findings\n1,none\n", encoding="utf-8")
    out = tmp_path / "merged.db"
    assert main(["scores", "merge", str(good), str(wrong), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "wang.db" in err
    assert "nothing was merged" in err
    assert "ask the study lead" not in err  # the lead is the reader
    assert not out.exists()  # refused before anything was written
