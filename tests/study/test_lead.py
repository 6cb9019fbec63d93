"""Issue 19, item 6: the lead's operations: hand out one file per rater, merge, progress."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
from reader_study_data import build_study, progress_from_sql, score_handed_out

from radval_desktop.errors import InputError
from radval_desktop.store.merge import merge_databases
from radval_desktop.store.reader_study import list_studies, open_study, save_rater
from radval_desktop.study.lead import hand_out, institutions, study_progress

RATERS = (("Dr Junior", "junior"), ("Dr Middle", "intermediate"), ("Dr Senior", "senior"))


def test_hand_out_merge_and_progress(tmp_path: Path) -> None:
    lead_file = tmp_path / "lead" / "study.db"
    lead_file.parent.mkdir()
    build_study(lead_file)
    db = open_study(lead_file)
    assert institutions(db) == ["1", "2"]
    raters = [save_rater(db, name, level) for name, level in RATERS]
    study = list_studies(db)[0]
    db.close()

    folder = tmp_path / "out"
    files = hand_out(lead_file, study, raters, folder)
    assert [f.name for f in files] == ["pilot - Dr Junior.db", "pilot - Dr Middle.db",
                                       "pilot - Dr Senior.db"]
    for file, (name, _level) in zip(files, RATERS, strict=True):
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
        assert not Path(f"{file}-wal").exists()
        conn = sqlite3.connect(file)
        assert conn.execute("SELECT name FROM raters").fetchall() == [(name,)]
        assert conn.execute("SELECT COUNT(*) FROM assignments").fetchone() == (6,)
        conn.close()
        others = [n for n, _ in RATERS if n != name]
        assert not any(o.encode() in file.read_bytes() for o in others)  # zeroed, not freed
    with pytest.raises(InputError, match="already exist"):
        hand_out(lead_file, study, raters, folder)

    db = open_study(lead_file)
    before = study_progress(db, study)
    db.close()
    assert [(p.name, p.answered, p.total, p.last_activity) for p in before] == [
        ("Dr Junior", 0, 42, None), ("Dr Middle", 0, 42, None), ("Dr Senior", 0, 42, None)]

    score_handed_out(files[0], 42, 60)
    score_handed_out(files[1], 20, 40, na_every=5)
    report = merge_databases(files, lead_file)
    assert report.problems == []
    db = open_study(lead_file)
    progress = {p.name: p for p in study_progress(db, study)}
    db.close()
    from_sql = progress_from_sql(lead_file)
    for name, p in progress.items():
        answered, total, na, last, mean = from_sql[name]
        assert (p.answered, p.total, p.na, p.last_activity) == (answered, total, na, last)
        assert p.mean == pytest.approx(mean) if mean is not None else p.mean is None
    assert (progress["Dr Junior"].answered, progress["Dr Junior"].finished) == (42, True)
    assert (progress["Dr Middle"].answered, progress["Dr Middle"].na) == (20, 4)
    assert progress["Dr Senior"].answered == 0
    assert progress["Dr Junior"].means["understandability"] == 60
    assert progress["Dr Junior"].means["overdiagnosis"] == 66


def test_the_command_line_hands_out_and_shows_progress(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from radval_desktop.cli.main import main

    path = tmp_path / "study.db"
    build_study(path)
    for name, level in RATERS[:2]:
        assert main(["study", "assign", "--db", str(path), "--study", "pilot", "--rater", name,
                     "--level", level]) == 0
    capsys.readouterr()
    assert main(["study", "handout", "--db", str(path), "--study", "pilot",
                 "-o", str(tmp_path / "out")]) == 0
    files = capsys.readouterr().out.split()
    assert len([f for f in files if f.endswith(".db")]) == 2
    score_handed_out(tmp_path / "out" / "pilot - Dr Middle.db", 10, 70)
    merge_databases(sorted((tmp_path / "out").iterdir()), path)
    assert main(["study", "progress", "--db", str(path), "--study", "pilot"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[:4] for line in lines] == [
        ["Dr Junior", "junior", "0/42", "NA 0"], ["Dr Middle", "intermediate", "10/42", "NA 0"]]
    assert "mean 72.4" in lines[1]  # 70 + the metric index, 0-6 then 0-2: 724 / 10
