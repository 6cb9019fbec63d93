from __future__ import annotations

import json
import time
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


# --- workbooks whose row numbers or <dimension> lie (issue 17, item 12a) --------------------

XLSX_BUDGET_S = 5.0  # one of these looped about 10**12 times before; a refusal takes < 1 s


def _forged_xlsx(path: Path, rows: list[tuple[int, str, str]], dimension: str) -> Path:
    """A real workbook (openpyxl) whose sheet XML is rewritten: the given row numbers for its
    data rows and the given <dimension ref>, as a broken exporter or a crafted file has them."""
    import re
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["findings", "impression"])
    for _, findings, impression in rows:
        sheet.append([findings, impression])
    plain = path.with_name("plain-" + path.name)
    book.save(plain)
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                # From the last row up, so that row 2 -> 1000 does not meet row 3's refs.
                for written, (number, _, _) in reversed(list(enumerate(rows, 2))):
                    text = re.sub(rf'r="([A-Z]*){written}"', rf'r="\g<1>{number}"', text)
                text = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"', text)
                data = text.encode()
            dst.writestr(item, data)
    return path


def test_xlsx_with_a_bogus_dimension_reads_its_rows_at_once(tmp_path: Path) -> None:
    # "A1:XFD3000000" made openpyxl hand over 3 million rows of 16,384 cells each.
    path = _forged_xlsx(tmp_path / "dim.xlsx", [(2, "Lungs clear.", "Normal."),
                                                (3_000_000, "Small nodule.", "Follow up.")],
                        "A1:XFD3000000")
    start = time.perf_counter()
    with pytest.raises(InputError, match=r"past Excel's last row \(1,048,576\)") as caught:
        read_cases(path)
    assert time.perf_counter() - start < XLSX_BUDGET_S
    assert "dim.xlsx" in str(caught.value)


def test_xlsx_with_a_row_a_billion_down_is_refused_with_a_sentence(tmp_path: Path) -> None:
    for dimension in ("A1:B1000000000", "A1:XFD1000000000"):
        path = _forged_xlsx(tmp_path / "gap.xlsx", [(2, "Lungs clear.", "Normal."),
                                                    (1_000_000_000, "Mass.", "Biopsy.")],
                            dimension)
        start = time.perf_counter()
        with pytest.raises(InputError, match=r"past Excel's last row.*save it again\."):
            read_cases(path)
        assert time.perf_counter() - start < XLSX_BUDGET_S


def test_xlsx_rows_past_a_stale_dimension_are_read_not_dropped(tmp_path: Path) -> None:
    # An exporter that writes "A1:B2" and then 3 rows, one after a gap: openpyxl's read-only
    # mode trusted the dimension and silently dropped the last two.
    path = _forged_xlsx(tmp_path / "stale.xlsx", [(2, "Lungs clear.", "Normal."),
                                                  (3, "Effusion.", "Pleural effusion."),
                                                  (1_000, "Mass.", "Biopsy.")], "A1:B2")
    result = read_cases(path)
    assert [(row.line, row["impression"]) for row in result.rows] == [
        (2, "Normal."), (3, "Pleural effusion."), (1_000, "Biopsy.")]
    assert result.problems == []


def test_xlsx_rows_widened_to_the_last_column_are_refused_past_a_cell_budget(
        tmp_path: Path) -> None:
    # 1,300 rows with a cell in XFD: small XML, 21 million cells once openpyxl widens each
    # row to its last cell.
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["findings", "impression"])
    for number in range(1_300):
        sheet.append(["Lungs clear.", f"Normal {number}."] + [None] * 16_381 + ["x"])
    path = tmp_path / "wide.xlsx"
    book.save(path)
    start = time.perf_counter()
    with pytest.raises(InputError, match=r"wide\.xlsx is too large to read.*20,000,000 cells"):
        read_cases(path)
    assert time.perf_counter() - start < XLSX_BUDGET_S * 4  # openpyxl parses 1,300 rows first


def _workbook(path: Path) -> Path:
    """An export as hospitals keep them: a sheet per month, and a notes sheet."""
    import openpyxl

    book = openpyxl.Workbook()
    jan = book.active
    jan.title = "2024-01"
    jan.append(["检查所见", "诊断意见", "检查部位", "设备类型"])
    jan.append(["右肺上叶磨玻璃结节。", "右肺上叶结节。", "胸部", "CT"])
    jan.append(["肝右叶低密度灶。", "", "腹部", "CT"])
    notes = book.create_sheet("说明")
    notes.append(["导出说明"])
    notes.append(["本表由 RIS 导出。"])
    feb = book.create_sheet("2024-02")
    feb.append(["设备类型", "检查部位", "诊断意见", "检查所见"])  # another column order
    feb.append(["", "胸部CT平扫", "左肺下叶少许纤维灶。", "左肺下叶见条索影。"])
    feb.append(["DR", "胸部", "未见异常。", "双肺纹理清晰。"])
    book.save(path)
    return path


def test_every_sheet_of_a_workbook_is_read(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "export.xlsx")
    result = read_cases(path, required=("findings", "impression", "body_system", "modality"))
    assert [(r.sheet, r.line) for r in result.rows] == [("2024-01", 2), ("2024-02", 2),
                                                        ("2024-02", 3)]
    assert [(r["body_system"], r["modality"]) for r in result.rows] == [
        ("chest", "CT"), ("chest", "CT"), ("chest", "XR")]
    assert result.rows[1]["findings"] == "左肺下叶见条索影。"
    problems = [str(p) for p in result.problems]
    # The empty impression in January, and the notes sheet said once (not once per row).
    assert problems[0] == "sheet '2024-01' line 3: empty impression"
    assert len(problems) == 2
    assert problems[1].startswith("sheet '说明' line 2: export.xlsx has no column for findings")


def test_one_sheet_is_read_when_named(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "export.xlsx")
    result = read_cases(path, sheet="2024-02")
    assert [(r.sheet, r.line) for r in result.rows] == [("", 2), ("", 3)]
    with pytest.raises(InputError, match=r"export\.xlsx has no sheet named 'March'; its sheets "
                                         r"are: 2024-01, 说明, 2024-02\."):
        read_cases(path, sheet="March")


def test_batch_names_the_sheet_of_each_case_and_reads_the_one_asked(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from radval_desktop.evaluation.batch import BATCH_REQUIRED, cases_from_rows

    path = _workbook(tmp_path / "export.xlsx")
    cases = cases_from_rows(read_cases(path, required=BATCH_REQUIRED).rows, path.name)
    assert [(c.source_file, c.source_line) for c in cases] == [
        ("export.xlsx [2024-01]", 2), ("export.xlsx [2024-02]", 2), ("export.xlsx [2024-02]", 3)]
    proc = subprocess.run([sys.executable, "-m", "radval_desktop", "batch", str(path), "--db",
                           str(tmp_path / "b.db"), "--sheet", "March"], capture_output=True,
                          text=True, timeout=120, check=False, env=os.environ.copy())
    assert proc.returncode != 0
    assert "export.xlsx has no sheet named 'March'" in proc.stderr
