"""Issue 19: a lead's own case file, with its own column names, mapped to the import's fields
(guessed from known names in both languages, confirmed, remembered per header)."""

from __future__ import annotations

from pathlib import Path

import pytest

from radval_desktop import cli
from radval_desktop.errors import InputError
from radval_desktop.store.reader_study import open_study
from radval_desktop.study.columns import (
    file_columns,
    guess_columns,
    parse_columns,
    recall_columns,
    remember_columns,
)

ZH_HEADER = ["编号", "检查所见", "诊断意见", "部位", "检查方式", "医院", "模型名", "模型输出"]
EN_HEADER = ["Report ID", "Findings", "Impression", "Body part", "Modality", "Site", "AI model",
             "AI draft"]


def write_lead_csv(path: Path) -> Path:
    """Three rows as a reporting system exports them; line 3 has no findings."""
    path.write_text(
        ",".join(ZH_HEADER) + "\n"
        + "A1,胸部CT：右肺下叶斑片影。,右肺下叶肺炎。,胸部,CT,协和,甲,右肺下叶炎症。\n"
        + "A2,,左肺结节。,胸部,CT,协和,甲,左肺结节。\n"
        + "A3,上腹部CT：肝右叶低密度影。,肝血管瘤。,腹部,CT,湘雅,乙,肝右叶血管瘤。\n",
        encoding="utf-8")
    return path


def test_known_chinese_and_english_names_are_guessed_and_unknown_ones_left_to_the_lead(
        tmp_path: Path) -> None:
    assert file_columns(write_lead_csv(tmp_path / "zh.csv")) == ZH_HEADER
    assert guess_columns(ZH_HEADER) == {
        "case_id": "编号", "findings": "检查所见", "impression": "诊断意见",
        "body_system": "部位", "modality": "检查方式", "institution": "医院"}
    assert guess_columns(EN_HEADER) == {
        "case_id": "Report ID", "findings": "Findings", "impression": "Impression",
        "body_system": "Body part", "modality": "Modality", "institution": "Site"}


def test_a_mapping_is_remembered_for_the_same_header_only(radval_home: Path) -> None:
    assert recall_columns(ZH_HEADER) is None
    mapping = {**guess_columns(ZH_HEADER), "model": "模型名", "candidate": "模型输出"}
    remember_columns(ZH_HEADER, mapping)
    assert recall_columns(ZH_HEADER) == mapping
    assert recall_columns(EN_HEADER) is None
    assert recall_columns([*ZH_HEADER, "备注"]) is None  # another export, another mapping
    saved = next((radval_home / "config").glob("column*"))
    assert saved.stat().st_mode & 0o077 == 0  # owner-only, as every file RadVal writes


def test_columns_option_parses_pairs_and_refuses_a_broken_one_with_a_sentence() -> None:
    assert parse_columns(["model=模型名, candidate=模型输出", "findings=检查所见"]) == {
        "model": "模型名", "candidate": "模型输出", "findings": "检查所见"}
    with pytest.raises(InputError, match=r"--columns takes FIELD=COLUMN.*'模型名'"):
        parse_columns(["模型名"])
    with pytest.raises(InputError, match=r"'modle' is not a field.*findings"):
        parse_columns(["modle=模型名"])


def test_cli_import_with_columns_reports_rows_missing_a_mapped_value_by_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_lead_csv(tmp_path / "export.csv")
    db_path = tmp_path / "study.db"
    assert cli.main(["study", "import", str(source), "--db", str(db_path),
                     "--columns", "model=模型名,candidate=模型输出"]) == 0
    out = capsys.readouterr()
    assert "export.csv line 3: empty findings; skipped" in out.err
    assert "columns: findings=检查所见, impression=诊断意见, model=模型名, candidate=模型输出, " \
           "institution=医院, body_system=部位, modality=检查方式, case_id=编号" in out.out
    assert "2 cases, 2 candidates imported" in out.out
    db = open_study(db_path)
    assert sorted(r["institution"] for r in db["cases"].rows) == sorted(["协和", "湘雅"])
    assert sorted(r["source_id"] for r in db["cases"].rows) == ["A1", "A3"]
    assert sorted(r["model_name"] for r in db["candidates"].rows) == ["乙", "甲"]
    db.close()
    # The next export with the same header needs no --columns: the mapping was remembered.
    again = write_lead_csv(tmp_path / "next export.csv")
    assert cli.main(["study", "import", str(again), "--db", str(db_path)]) == 0
    assert "model=模型名, candidate=模型输出" in capsys.readouterr().out
    # Another header is guessed afresh; the columns it cannot guess are named.
    other = tmp_path / "english.csv"
    other.write_text(",".join(EN_HEADER) + "\nR1,CT chest: clear.,Normal.,chest,CT,2,m,ok\n",
                     encoding="utf-8")
    assert cli.main(["study", "import", str(other), "--db", str(db_path)]) != 0
    assert "no column for model, candidate" in capsys.readouterr().err


def test_a_reporting_system_export_without_a_model_column_is_imported_under_a_given_name(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 19: the radiologists' own impressions imported as a blinded "model": the export
    has findings and impression only, so every row is named by the lead."""
    source = tmp_path / "ris.csv"
    source.write_text("检查所见,诊断意见,医院\n胸部CT：右肺下叶斑片影。,右肺下叶肺炎。,协和\n"
                      "头颅CT：未见异常。,,协和\n", encoding="utf-8")
    db_path = tmp_path / "study.db"
    assert cli.main(["study", "import", str(source), "--db", str(db_path), "--columns",
                     "candidate=诊断意见,impression=", "--model-name", "radiologist"]) == 0
    out = capsys.readouterr()
    assert "ris.csv line 3: empty candidate; skipped" in out.err
    assert "1 cases, 1 candidates imported" in out.out
    db = open_study(db_path)
    assert [(r["model_name"], r["text"]) for r in db["candidates"].rows] == [
        ("radiologist", "右肺下叶肺炎。")]
    assert [r["reference_impression"] for r in db["cases"].rows] == [""]  # "impression=": none
    db.close()
