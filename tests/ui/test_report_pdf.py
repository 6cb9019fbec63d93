"""The study report's PDF handout (issue 19): A4, every table whole, a chart per body system,
page numbers, text a reader can copy. Read back with poppler's pdftotext and pdfimages."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from reader_study_data import build_scored_study

from radval_desktop.cli import main
from radval_desktop.store.evaluation_runs import (
    ModelRecord,
    NewCandidate,
    save_candidate,
    save_model,
)
from radval_desktop.store.reader_study import open_study
from radval_desktop.study.results import build_report

POPPLER = shutil.which("pdftotext") and shutil.which("pdfimages")
pytestmark = pytest.mark.skipif(not POPPLER, reason="poppler-utils absent: "
                                "apt-get install -y poppler-utils")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
A4_LANDSCAPE_PT = (842, 595)  # 297 x 210 mm


def _fixture_study(path: Path) -> Path:
    """3 raters (one per level), 2 models, 2 institutions, 2 body systems, and one batch
    model's outputs so that the ROUGE, utility and guard tables are there too."""
    build_scored_study(path)
    db = open_study(path)
    save_model(db, ModelRecord("s" * 64, "Model X", "model-x-q4_k_m.gguf", "qwen2",
                               494_000_000, "Q4_K_M", 1))
    for case, reference in db.execute("SELECT uuid, reference_impression FROM cases"):
        save_candidate(db, NewCandidate(case, "s" * 64, "Model X", "batch", "t2", "v1",
                                        reference, seconds=1.5, attempts=2, empty_attempts=1))
    db.close()
    return path


def _pdftotext(pdf: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(pdf), "-"], check=True, timeout=60,
                          capture_output=True, text=True).stdout


def _words(text: str) -> list[str]:
    return text.split()


@pytest.fixture
def written(tmp_path: Path) -> tuple[Path, Path]:
    db = _fixture_study(tmp_path / "study.db")
    out = tmp_path / "report"
    assert main(["report", "--study", str(db), "--out", str(out)]) == 0
    return db, out / "report.pdf"


def test_pdf_is_a4_with_every_table_whole_and_numbered_pages(
        written: tuple[Path, Path]) -> None:
    db_path, pdf = written
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                          text=True).stdout
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert size is not None
    assert (round(float(size[1])), round(float(size[2]))) == A4_LANDSCAPE_PT
    pages = int(re.search(r"Pages:\s+(\d+)", info)[1])
    assert 2 <= pages <= 8  # small tables share pages (one table a page before)

    text = _pdftotext(pdf)
    flat = " ".join(_words(text))
    db = open_study(db_path)
    try:
        report, _, _ = build_report(db, "t")
    finally:
        db.close()
    tables = [t for s in report.sections for t in s.tables]
    assert len(tables) == 8
    for table in tables:
        assert " ".join(_words(table.title)) in flat, table.title
        # Every column header and every cell of the first and last row: a table cut at
        # either side loses its outer columns (issue 19: OG/IHG/OHG and the counts).
        for header in table.columns:
            for word in _words(header):
                assert word in flat, (table.name, header)
        for row in (table.rows[0], table.rows[-1]):
            for value in row:
                for word in _words(table.show(value)):
                    assert word in flat, (table.name, value)

    # Nothing drawn outside the page: every word's box lies on it.
    boxes = _pdftotext(pdf, "-bbox")
    for match in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                             r'yMax="([\d.]+)">', boxes):
        x_min, y_min, x_max, y_max = (float(v) for v in match.groups())
        assert min(x_min, y_min) >= 0, match.group(0)
        assert x_max <= A4_LANDSCAPE_PT[0] + 0.5, match.group(0)
        assert y_max <= A4_LANDSCAPE_PT[1] + 0.5, match.group(0)

    for page in range(1, pages + 1):
        assert f"Page {page} of {pages}" in _pdftotext(pdf, "-f", str(page), "-l", str(page))
    assert "可理解性" in text  # Chinese is text, not boxes or pictures
    assert "Gap = every answer NA" not in text  # no NA-only metric in this study

    if os.environ.get("RADVAL_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(exist_ok=True)
        shutil.copyfile(pdf, SCREENSHOTS / "report.pdf")


def test_every_report_file_is_owner_only(written: tuple[Path, Path]) -> None:
    _, pdf = written
    files = [p for p in pdf.parent.rglob("*") if p.is_file()]
    assert len(files) == 1 + 1 + 1 + 8 + 8  # pdf, html, md, 8 CSVs, 4 charts x PNG/SVG
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in files} == {
        p.name: 0o600 for p in files}


def test_pdf_has_one_chart_per_body_system(written: tuple[Path, Path]) -> None:
    _, pdf = written
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], check=True,
                             capture_output=True, text=True).stdout.splitlines()[2:]
    images = [line.split() for line in listing if line.split()[2] == "image"]
    assert len(images) == 2  # chest and abdomen, each with its scopes side by side
    for image in images:
        width, height = int(image[3]), int(image[4])
        assert width >= 1500
        assert height >= 400
