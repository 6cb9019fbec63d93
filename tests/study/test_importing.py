"""Importing cases and candidates: column mapping, bad rows reported by line, no duplicates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from reader_study_data import write_jsonl

from radval_desktop import cli
from radval_desktop.store.reader_study import open_study
from radval_desktop.study.importing import import_candidates

HEADER = "编号,检查所见,诊断意见,部位,模型,生成结果\n"


def test_bad_rows_are_reported_by_line_and_the_rest_imported(tmp_path: Path) -> None:
    source = tmp_path / "cases.csv"
    source.write_text(
        HEADER
        + "1,胸部CT：右肺下叶斑片影。,右肺下叶肺炎。,胸部,A,右肺下叶炎症。\n"
        + "2,胸部CT：左肺结节。,左肺结节。,胸部,A,\n"  # no candidate
        + "3,头颅CT：未见异常。,未见异常。,脚趾,A,颅脑未见异常。\n"  # unknown body system
        + "4,胸部CT：右肺下叶斑片影。,右肺下叶肺炎。,胸部,B,右肺下叶肺炎。\n",
        encoding="utf-8")
    db = open_study(tmp_path / "study.db")
    summary = import_candidates(db, source, {"model": "模型", "candidate": "生成结果"})
    assert [p.line for p in summary.problems] == [3, 4]
    assert "empty candidate" in str(summary.problems[0])
    assert (summary.cases, summary.candidates) == (1, 2)
    assert db["candidates"].count == 2
    assert {r["source"] for r in db["candidates"].rows} == {"import"}


def test_importing_twice_adds_nothing(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "cases.jsonl")
    db = open_study(tmp_path / "study.db")
    import_candidates(db, source)
    import_candidates(db, source)
    assert (db["cases"].count, db["candidates"].count) == (3, 6)


def test_cli_import_prints_each_bad_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    source = write_jsonl(tmp_path / "cases.jsonl")
    with source.open("a", encoding="utf-8") as handle:
        handle.write("{not json\n")
        handle.write(json.dumps({"findings": "胸部CT：未见异常。", "model": "A"}) + "\n")
    assert cli.main(["study", "import", str(source), "--db", str(tmp_path / "s.db")]) == 0
    err = capsys.readouterr()
    assert "cases.jsonl line 7: not valid JSON" in err.err
    assert "cases.jsonl line 8: empty candidate" in err.err
    assert "3 cases, 6 candidates imported" in err.out
