from __future__ import annotations

import json
from pathlib import Path

import pytest

from radval_desktop.case_files import read_cases
from radval_desktop.errors import InputError

ROWS = [
    {"医院": "A", "部位": "胸部", "检查方式": "CT", "检查所见": "右肺上叶磨玻璃影。",
     "诊断意见": "右肺炎症"},
    {"医院": "B", "部位": "头颅", "检查方式": "磁共振", "检查所见": "脑室不大。",
     "诊断意见": "未见异常"},
]


def test_csv_with_chinese_columns_in_gbk(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    header = ",".join(ROWS[0])
    lines = [header] + [",".join(row.values()) for row in ROWS]
    path.write_bytes("\n".join(lines).encode("gbk"))
    result = read_cases(path)
    assert not result.problems
    assert [r["institution"] for r in result.rows] == ["A", "B"]
    assert [r["body_system"] for r in result.rows] == ["chest", "head"]
    assert result.rows[1]["modality"] == "MRI"
    assert result.columns["findings"] == "检查所见"
    assert [r.line for r in result.rows] == [2, 3]


def test_bad_rows_are_reported_with_line_and_reason(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text(
        "findings,impression,body_system,modality\n"
        "Lungs clear.,Normal.,chest,CT\n"
        ",Missing findings.,chest,CT\n"
        "Liver lesion.,Cyst.,foot,CT\n"
        "\"Multi-line\nfindings.\",Fine.,abdomen,MR\n"
        "Too,many,cells,here,really\n"
        "Brain ok.,,head,MRI\n",
        encoding="utf-8",
    )
    result = read_cases(path)
    assert [r.line for r in result.rows] == [2, 6]
    assert result.rows[1]["findings"] == "Multi-line\nfindings."
    reasons = {p.line: p.reason for p in result.problems}
    assert reasons[3] == "empty findings"
    assert "foot" in reasons[4]
    assert "more cells" in reasons[7]
    assert reasons[8] == "empty impression"


def test_jsonl_bad_json_line_does_not_stop_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    good = {"findings": "Lungs clear.", "impression": "Normal.", "body_system": "chest",
            "modality": "XR", "institution": "1"}
    path.write_text(json.dumps(good) + "\n{broken\n\n[1,2]\n" + json.dumps(good) + "\n")
    result = read_cases(path)
    assert [r.line for r in result.rows] == [1, 5]
    assert [p.line for p in result.problems] == [2, 4]
    assert "not valid JSON" in result.problems[0].reason


def test_xlsx_with_mapping(tmp_path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Report Description", "Report Result", "Part"])
    sheet.append(["双肺纹理清晰。", "未见异常", "胸部"])
    sheet.append([None, None, None])
    sheet.append(["肝脏低密度灶。", None, "腹部"])
    path = tmp_path / "export.xlsx"
    book.save(path)
    result = read_cases(path, mapping={"body_system": "Part"})
    assert [r["findings"] for r in result.rows] == ["双肺纹理清晰。"]
    assert result.rows[0]["body_system"] == "chest"
    assert [(p.line, p.reason) for p in result.problems] == [(4, "empty impression")]


def test_missing_required_column_and_bad_mapping(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("text,label\nLungs clear.,Normal.\n")
    with pytest.raises(InputError, match="no column for findings, impression"):
        read_cases(path)
    with pytest.raises(InputError, match="'notes' mapped to findings is not in the file"):
        read_cases(path, mapping={"findings": "notes"})
    ok = read_cases(path, mapping={"findings": "text", "impression": "label"})
    assert ok.rows[0]["impression"] == "Normal."


def test_unreadable_and_unknown_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot be read"):
        read_cases(tmp_path / "absent.csv")
    other = tmp_path / "cases.pdf"
    other.write_bytes(b"%PDF")
    with pytest.raises(InputError, match="use a .csv"):
        read_cases(other)
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a readable Excel"):
        read_cases(junk)


def test_defaults_fill_missing_fields(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("findings,impression\nLungs clear.,Normal.\n")
    result = read_cases(path, required=("findings", "impression", "institution"),
                        defaults={"institution": "Hospital 1"})
    assert result.rows[0]["institution"] == "Hospital 1"
