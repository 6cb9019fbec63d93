"""The study report as a PDF drawn by matplotlib: works offline, needs no browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from radval_desktop.evaluation.html_report import Report
from radval_desktop.evaluation.radar import draw_radar, font_families, literal
from radval_desktop.evaluation.tables import Table

A4_LANDSCAPE = (11.69, 8.27)  # inches
ROWS_PER_PAGE = 28  # fits A4 landscape at 7.5 pt with a title


def _text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) <= 1 else f"{value:.2f}"
    return str(value)


def _table_pages(table: Table, heading: str) -> Iterator[Figure]:
    families = list(font_families())
    rows = ([[literal(_text(v)) for v in row] for row in table.rows]
            or [["none"] * len(table.columns)])
    chunks = [rows[i:i + ROWS_PER_PAGE] for i in range(0, len(rows), ROWS_PER_PAGE)]
    for page, chunk in enumerate(chunks, start=1):
        fig = Figure(figsize=A4_LANDSCAPE)
        more = f" ({page}/{len(chunks)})" if len(chunks) > 1 else ""
        fig.text(0.04, 0.95, literal(f"{heading}: {table.title}{more}"), fontsize=12,
                 family=families)
        ax = fig.add_axes((0.04, 0.05, 0.92, 0.86))
        ax.axis("off")
        drawn = ax.table(cellText=chunk, colLabels=[literal(c) for c in table.columns],
                         loc="upper center", cellLoc="left")
        drawn.auto_set_font_size(False)
        drawn.set_fontsize(7.5)
        drawn.auto_set_column_width(list(range(len(table.columns))))
        for cell in drawn.get_celld().values():
            cell.get_text().set_fontfamily(families)
        yield fig


def _title_page(report: Report) -> Figure:
    families = list(font_families())
    fig = Figure(figsize=A4_LANDSCAPE)
    fig.text(0.5, 0.6, literal(report.title), ha="center", fontsize=20, family=families)
    fig.text(0.5, 0.52, literal(report.subtitle), ha="center", fontsize=11, family=families,
             color="#555555", wrap=True)
    return fig


def _chart_pages(report: Report) -> Iterator[Figure]:
    # Two charts a page, side by side: a polygon per model stays readable at that size.
    charts = [c for s in report.sections for c in s.charts]
    for i in range(0, len(charts), 2):
        page = Figure(figsize=A4_LANDSCAPE, layout="constrained")
        halves = page.subfigures(1, 2, squeeze=False)[0]
        for half, data in zip(halves, charts[i:i + 2], strict=False):
            draw_radar(half, data)
        yield page


def write_pdf(report: Report, path: Path) -> Path:
    """Title, then every section's tables, then the radar charts; the path written."""
    with PdfPages(path, metadata={"Title": report.title, "CreationDate": None}) as pdf:
        pdf.savefig(_title_page(report))
        for section in report.sections:
            for table in section.tables:
                for fig in _table_pages(table, section.heading):
                    pdf.savefig(fig)
        for fig in _chart_pages(report):
            pdf.savefig(fig)
    return path
