"""Merging scorers' databases: idempotent, one row per answer, latest edit kept and listed."""

from __future__ import annotations

import csv
import shutil
import sqlite3
from pathlib import Path

import pytest
from reader_study_data import build_study, dump_tables

from radval_desktop import cli
from radval_desktop.store.merge import merge_databases
from radval_desktop.store.reader_study import list_studies, open_study, save_rater
from radval_desktop.study.session import ScoringSession

RATERS = (("Dr Li", "junior"), ("Dr Wang", "intermediate"), ("Dr Zhang", "senior"))


def _score(path: Path, name: str, level: str, scores: list[int | None]) -> None:
    db = open_study(path)
    session = ScoringSession(db, list_studies(db)[0], save_rater(db, name, level), path)
    for score in scores:
        if score is None:
            session.set_na(True)
            session.add_quote(session.item.text[:4])
            session.set_explanation("与检查所见无关")
        else:
            session.set_score(score)
        session.next_metric()
    db.close()


@pytest.fixture
def scorer_files(tmp_path: Path) -> list[Path]:
    """The study lead's file copied to three raters, each scoring part of it."""
    base = tmp_path / "lead.db"
    build_study(base)
    files = []
    for k, (name, level) in enumerate(RATERS):
        path = tmp_path / f"rater{k}.db"
        shutil.copy(base, path)
        _score(path, name, level, [10 * k + 5, None, 90, 60, 70 + k])
        files.append(path)
    return files


def test_merging_three_raters_twice_gives_the_same_database(tmp_path: Path,
                                                            scorer_files: list[Path]) -> None:
    first, second = tmp_path / "merged1.db", tmp_path / "merged2.db"
    report = merge_databases(scorer_files, first)
    merge_databases(scorer_files, second)
    assert dump_tables(first) == dump_tables(second)
    dump = dump_tables(first)
    assert len(dump["answers"]) == 15
    assert len(dump["raters"]) == 3
    assert len(dump["candidates"]) == 6  # the shared cases are not duplicated
    assert report.conflicts == []
    again = merge_databases(scorer_files, first)  # into the same output: nothing changes
    assert dump_tables(first) == dump
    assert again.added["answers"] == 0


def test_the_same_answer_in_two_files_counts_once(tmp_path: Path,
                                                  scorer_files: list[Path]) -> None:
    copy = tmp_path / "copy-of-rater0.db"
    shutil.copy(scorer_files[0], copy)
    out = tmp_path / "merged.db"
    report = merge_databases([scorer_files[0], copy], out)
    assert dump_tables(out)["answers"] == dump_tables(scorer_files[0])["answers"]
    assert report.conflicts == []


def test_conflicting_edits_keep_the_latest_and_are_listed(tmp_path: Path,
                                                          scorer_files: list[Path]) -> None:
    laptop = tmp_path / "laptop.db"
    shutil.copy(scorer_files[0], laptop)
    _score(laptop, "Dr Li", "junior", [])  # resumes after the 5 answers given
    db = open_study(laptop)
    session = ScoringSession(db, list_studies(db)[0], save_rater(db, "Dr Li", "junior"), laptop)
    session.go(0, 0)
    session.set_score(99)  # revised later on the laptop
    db.close()
    out = tmp_path / "merged.db"
    for order in ([scorer_files[0], laptop], [laptop, scorer_files[0]]):
        out.unlink(missing_ok=True)
        report = merge_databases(order, out)
        assert len(report.conflicts) == 1
        conflict = report.conflicts[0]
        assert (conflict.kept["score"], conflict.dropped["score"]) == (99, 5)
        assert "Dr Li" in str(conflict)
        assert "kept 99" in str(conflict)
        scores = [r[0] for r in sqlite3.connect(out).execute(
            "SELECT score FROM answers WHERE metric = 'understandability'")]
        assert 99 in scores
        assert 5 not in scores


def test_cli_merge_then_export_one_row_per_answer(tmp_path: Path, scorer_files: list[Path],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out, table = tmp_path / "study.db", tmp_path / "scores.csv"
    assert cli.main(["scores", "merge", *map(str, scorer_files), "-o", str(out)]) == 0
    assert "0 conflicting edits" in capsys.readouterr().out
    assert cli.main(["scores", "export", "--db", str(out), "-o", str(table)]) == 0
    assert table.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese right
    rows = list(csv.DictReader(table.open(encoding="utf-8-sig")))
    assert len(rows) == 15
    na = [r for r in rows if r["na"] == "1"]
    assert len(na) == 3
    assert all(r["score"] == "" and r["explanation"] == "与检查所见无关" for r in na)
    assert all(r["quotes"].startswith('["') for r in na)
    assert {r["rater_level"] for r in rows} == {"junior", "intermediate", "senior"}
    assert {r["scope"] for r in rows} <= {"IHG", "OHG"}
    assert all(r["model"] in ("model-a", "model-b") for r in rows)


def test_merge_refuses_to_write_into_an_input(scorer_files: list[Path]) -> None:
    with pytest.raises(Exception, match="also an input"):
        merge_databases(scorer_files, scorer_files[0])
