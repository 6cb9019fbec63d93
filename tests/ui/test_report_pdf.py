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


def _page_texts(pdf: Path) -> list[str]:
    """Each page's text as laid out (pdftotext -layout), the footer line left out."""
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                          text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info)[1])
    texts = []
    for page in range(1, pages + 1):
        lines = _pdftotext(pdf, "-layout", "-f", str(page), "-l", str(page)).splitlines()
        texts.append("\n".join(line for line in lines if " · Page " not in line))
    return texts


def _last_line(text: str) -> str:
    return next(line.strip() for line in reversed(text.splitlines()) if line.strip())


def _on_one_page(words: set[str], pages: list[str]) -> bool:
    return any(words <= set(_words(page)) for page in pages)


def test_no_heading_ends_a_page_and_no_table_row_spans_two(
        written: tuple[Path, Path]) -> None:
    db_path, pdf = written
    db = open_study(db_path)
    try:
        report, _, _ = build_report(db, "t")
    finally:
        db.close()
    headings = {" ".join(_words(s.heading)) for s in report.sections}
    headings |= {" ".join(_words(t.title)) for s in report.sections for t in s.tables}
    charts = {c.group or c.title for s in report.sections for c in s.charts}
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], check=True,
                             capture_output=True, text=True).stdout.splitlines()[2:]
    image_pages = {int(line.split()[0]) for line in listing if line.split()[2] == "image"}
    pages = _page_texts(pdf)
    assert len(pages) >= 3
    for number, text in enumerate(pages, 1):
        # A heading alone at the foot of a page, its table or chart on the next (issue 19).
        last = " ".join(_last_line(text).split())
        assert last not in headings, (number, last)
        if last in charts:  # a chart's name is the last text above its (textless) chart
            assert number in image_pages, (number, last)
    for table in (t for s in report.sections for t in s.tables):
        for row in table.rows:  # every cell of the row on one page, not cut between two
            words = {w for value in row for w in _words(table.show(value))}
            assert _on_one_page(words, pages), (table.name, row)


def test_a_row_of_several_lines_moves_whole_to_the_next_page(tmp_path: Path) -> None:
    """60 rows of five lines each: without care Qt printed a row's first lines at the foot of
    one page and the rest under the repeated header of the next."""
    from radval_desktop.ui.report_pdf import write_pdf

    rows = "".join(f"<tr><td>row{i:02d}</td><td>alpha{i:02d}<br>beta{i:02d}<br>gamma{i:02d}"
                   f"<br>delta{i:02d}<br>omega{i:02d}</td><td>{i}</td></tr>" for i in range(60))
    tables = "".join(f"<h3>Table {t}</h3><table width='100%' border='1' cellspacing='0'>"
                     f"<thead><tr><th>name</th><th>lines</th><th>n</th></tr></thead>"
                     f"<tbody>{rows.replace('row', f'row{t}x')}</tbody></table>"
                     for t in range(2))
    pdf = write_pdf(f"<html><body><h1>Rows</h1>{tables}</body></html>", tmp_path / "rows.pdf",
                    "rows")
    pages = _page_texts(pdf)
    assert len(pages) >= 6
    for t in range(2):
        for i in range(60):
            words = {f"row{t}x{i:02d}", *(f"{w}{i:02d}" for w in ("alpha", "delta", "omega"))}
            assert _on_one_page(words, pages), (t, i)
    for number, text in enumerate(pages, 1):
        assert not _last_line(text).startswith("Table "), number


def test_every_report_file_is_owner_only(written: tuple[Path, Path]) -> None:
    _, pdf = written
    files = [p for p in pdf.parent.rglob("*") if p.is_file()]
    assert len(files) == 1 + 1 + 1 + 8 + 8  # pdf, html, md, 8 CSVs, 4 charts x PNG/SVG
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in files} == {
        p.name: 0o600 for p in files}


def test_the_folders_radval_makes_for_a_report_are_owner_only(written: tuple[Path, Path]
                                                               ) -> None:
    # The files were 0600 in folders anyone could list (0755): the names of the charts and
    # tables say what the study holds.
    _, pdf = written
    folders = [pdf.parent, pdf.parent / "charts"]
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in folders} == {
        p.name: 0o700 for p in folders}


def test_a_folder_the_user_had_keeps_its_mode(tmp_path: Path) -> None:
    db = _fixture_study(tmp_path / "study.db")
    out = tmp_path / "shared-with-my-team"
    out.mkdir(mode=0o755)
    out.chmod(0o755)
    assert main(["report", "--study", str(db), "--out", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o755  # theirs: not ours to narrow
    assert stat.S_IMODE((out / "charts").stat().st_mode) == 0o700  # made by RadVal


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


# DejaVu Sans's and WenQuanYi's line box is about 1.16 em: 8.1 pt of box is 7 pt of type.
SMALLEST_BOX_PT = 8.1


def test_no_text_is_set_smaller_than_seven_points(written: tuple[Path, Path]) -> None:
    """Item 1's "tiny text": every word of the handout, table cells and page numbers
    included, is at least 7 pt (tables are 7.5 pt, body text 10 pt)."""
    _, pdf = written
    boxes = re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>',
                       _pdftotext(pdf, "-bbox"))
    assert len(boxes) > 500
    small = [word for top, bottom, word in boxes if float(bottom) - float(top) < SMALLEST_BOX_PT]
    assert small == []


def test_chart_text_prints_at_seven_points_or_more(written: tuple[Path, Path]) -> None:
    """The charts are images: their smallest text (the 20-100 ticks, the NA note) prints at
    its matplotlib size times the image's scale on the page, saved dpi / printed ppi. It
    was 8 pt x 150 / 233 = 5.2 pt."""
    from matplotlib.figure import Figure
    from matplotlib.text import Text

    from radval_desktop.evaluation.radar import ROW_DPI, RadarData, draw_radar

    _, pdf = written
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], check=True,
                             capture_output=True, text=True).stdout.splitlines()[2:]
    ppis = [float(line.split()[12]) for line in listing if line.split()[2] == "image"]
    assert len(ppis) == 2
    figure = Figure()
    draw_radar(figure.add_subfigure(figure.add_gridspec(1, 1)[0]), RadarData(
        "chest — OG", tuple(f"Metric {i}\n指标" for i in range(7)),
        (("model-a", (80.0, 70, 60, 50, 40, 30, None)),)))
    figure.canvas.draw()  # tick labels exist once drawn
    sizes = [t.get_fontsize() for t in figure.findobj(Text) if t.get_text().strip()]
    assert len(sizes) >= 7 + 5 + 3  # axes, ticks, title, legend, note
    printed = min(sizes) * ROW_DPI / max(ppis)
    assert printed >= 7, f"{min(sizes)} pt drawn, {printed:.1f} pt printed"
