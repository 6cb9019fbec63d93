"""The study report as one self-contained HTML file: tables, counts and radar charts inline."""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from radval_desktop.evaluation.radar import RadarData, cjk_font_path, render_row
from radval_desktop.evaluation.tables import Table


@dataclass(frozen=True)
class Section:
    heading: str
    tables: tuple[Table, ...] = ()
    charts: tuple[RadarData, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Report:
    title: str
    subtitle: str
    sections: tuple[Section, ...] = field(default_factory=tuple)
    # The words above are in this language (study/report_language.py); BCP 47, for <html>.
    language: str = "en"
    empty: str = "none"  # the one cell of a table without rows


# Sizes in points and tables at the page width: the same rules serve a browser, its
# print dialog and Qt's PDF printer (ui/report_pdf.py), which reads CSS 2.1's subset
# (no flex, no @page) and repeats a table's <thead> on each page it spans.
_STYLE = """
@page { size: A4 landscape; margin: 12mm; }
body { font-family: "RadVal CJK", "DejaVu Sans", "Noto Sans", sans-serif; margin: 2em auto;
       max-width: 80em; color: #222; padding: 0 1em; font-size: 10pt; }
h1 { font-size: 16pt; margin-bottom: .2em; }
h2 { font-size: 13pt; margin-top: 1.2em; border-bottom: 1px solid #ccc; }
h3 { font-size: 10.5pt; margin: 1em 0 .3em; }
.subtitle, .note { color: #555; }
table { border-collapse: collapse; margin: .3em 0 .8em; font-size: 7.5pt; width: 100%; }
th, td { border: 1px solid #bbb; padding: 2px 4px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th { background-color: #eeeeee; font-weight: bold; }
h2.new-page, h3.new-page { page-break-before: always; }
.chart { margin: .4em 0 1em; page-break-inside: avoid; break-inside: avoid; }
.chart img { max-width: 100%; height: auto; }
table, .chart { page-break-inside: avoid; }
"""
# Three charts side by side fill A4 landscape less its margins (1,030 px at CSS's 96 px an
# inch); each body system then takes a printed page of its own.
CHART_WIDTH_PX = 1020


def _cell(table: Table, value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<td class="num">{table.show(value)}</td>'
    return f"<td>{html.escape(str(value))}</td>"


# A header breaks only before its Chinese name or a bracket: Qt wraps a narrow column
# anywhere ("Understanda / bility") when left to itself.
_HEADER_BREAK = re.compile(r" (?=[\u2e80-\u9fff(（])")


def header_html(label: str) -> str:
    return "<br>".join(html.escape(part) for part in _HEADER_BREAK.split(label))


# Widths in Latin characters of the tables' 7.5 pt font: a word is never cut (a header word
# is the reader's key to its column), a cell longer than CELL_CHARS_MAX wraps at its spaces
# and hyphens. Bold headers and DejaVu's wide letters weigh more than a count says; about
# PAGE_CHARS fit across A4 landscape (all measured on Qt's printed page).
CELL_CHARS_MAX = 20
HEADER_FACTOR, CELL_FACTOR, PADDING = 1.15, 1.0, 3
PAGE_CHARS = 170
_WORD = re.compile(r"[^\s-]+-?")


def _chars(text: str) -> int:
    # A Chinese character is about as wide as two Latin ones.
    return sum(2 if ord(c) > 0x2E7F else 1 for c in text)


def _longest_word(text: str) -> int:
    return max((_chars(w) for w in _WORD.findall(text)), default=0)


def column_widths(table: Table) -> list[int]:
    """Percent of the page width per column: first each column's longest word, then what
    is left to the columns whose cells would wrap, in proportion to what they lack.

    Qt's printer shares a table's width out by itself badly: it left a model's name one
    syllable a line beside wide columns of numbers. The hint serves browsers as well.
    """
    least, wanted = [], []
    for index, label in enumerate(table.columns):
        cells = [table.show(row[index]) for row in table.rows]
        word = max(HEADER_FACTOR * max(_longest_word(p) for p in _HEADER_BREAK.split(label)),
                   *(CELL_FACTOR * _longest_word(c) for c in cells))
        whole = max((CELL_FACTOR * min(_chars(c), CELL_CHARS_MAX) for c in cells), default=0)
        least.append(word + PADDING)
        wanted.append(max(word, whole) + PADDING)
    spare = PAGE_CHARS - sum(least)
    lacking = sum(w - m for w, m in zip(wanted, least, strict=True))
    if spare > 0 and lacking > 0:
        share = min(1.0, spare / lacking)
        least = [m + share * (w - m) for w, m in zip(wanted, least, strict=True)]
    total = sum(least)
    return [max(1, round(100 * w / total)) for w in least]


def table_html(table: Table, empty: str = "none") -> str:
    head = "".join(f'<th width="{width}%">{header_html(c)}</th>'
                   for c, width in zip(table.columns, column_widths(table), strict=True))
    body = "\n".join("<tr>" + "".join(_cell(table, v) for v in row) + "</tr>" for row in table.rows)
    if not table.rows:
        body = f'<tr><td colspan="{len(table.columns)}">{html.escape(empty)}</td></tr>'
    # width, border and cellspacing as attributes too: Qt's printer reads those, not CSS.
    return (f"<h3>{html.escape(table.title)}</h3>\n"
            '<table width="100%" border="1" cellspacing="0" cellpadding="3">\n'
            f"<thead><tr>{head}</tr></thead>\n"
            f"<tbody>\n{body}\n</tbody>\n</table>")


def chart_html(charts: Sequence[RadarData], fmt: str = "svg", new_page: bool = False) -> str:
    """One image of charts side by side (a body system's scopes), under its group's name.

    SVG by default: text as paths, sharp at any zoom. A data URI rather than inline <svg>:
    matplotlib's element ids would clash between charts in one page. PNG for Qt's PDF
    printer, whose SVG reader dropped matplotlib's glyphs.
    """
    data = base64.b64encode(render_row(charts, fmt)).decode("ascii")
    mime = "image/svg+xml" if fmt == "svg" else "image/png"
    title = html.escape(charts[0].group or charts[0].title)
    width = round(CHART_WIDTH_PX * min(len(charts), 3) / 3)  # one panel size throughout
    # The image in a paragraph of its own: Qt set it inline beside the heading otherwise.
    heading = '<h3 class="new-page">' if new_page else "<h3>"
    return (f'<div class="chart">{heading}{title}</h3><p><img alt="Radar charts: {title}" '
            f'width="{width}" src="data:{mime};base64,{data}"></p></div>')


def chart_rows(charts: Sequence[RadarData]) -> list[list[RadarData]]:
    """Consecutive charts of one group together, in order; an ungrouped chart alone."""
    rows: list[list[RadarData]] = []
    for chart in charts:
        if rows and chart.group and rows[-1][0].group == chart.group:
            rows[-1].append(chart)
        else:
            rows.append([chart])
    return rows


def cjk_font_face(text: str) -> str:
    """An @font-face with the bundled CJK font cut down to the characters of text.

    A colleague's machine may have no Chinese font (Chromium on a bare Linux showed
    boxes); the whole font is 5 MB, the characters one report uses a few kB. It comes first
    in font-family, limited by unicode-range to those characters: as a mere fallback,
    Chromium still drew some words as boxes.
    """
    wanted = sorted({c for c in text if ord(c) > 0x2E7F})  # CJK blocks start at U+2E80
    path = cjk_font_path()
    if not wanted or not path.is_file():
        return ""
    from fontTools import subset  # ~0.13 s to import: only when a report is written

    options = subset.Options()
    options.font_number = 0  # WenQuanYi Micro Hei; face 1 is its monospaced twin
    options.flavor = "woff"  # zlib only: no brotli needed
    options.name_IDs = ["*"]
    options.drop_tables += ["FFTM"]  # FontForge's timestamps: fontTools warns, nobody reads
    font = subset.load_font(str(path), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in wanted])
    subsetter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    ranges = ",".join(f"U+{ord(c):X}" for c in wanted)
    return ('@font-face { font-family: "RadVal CJK"; '
            f'src: url(data:font/woff;base64,{data}) format("woff"); '
            f"unicode-range: {ranges}; }}")


def render_html(report: Report, charts: str = "svg") -> str:
    """The whole page; charts 'svg' (the HTML file) or 'png' (printed to PDF)."""
    body = _body(report, charts)
    return "\n".join([
        "<!DOCTYPE html>", f'<html lang="{html.escape(report.language)}">', "<head>",
        '<meta charset="utf-8">',
        f"<title>{html.escape(report.title)}</title>",
        f"<style>{cjk_font_face(body)}{_STYLE}</style>", "</head>", body, "</html>", ""])


def _body(report: Report, charts: str) -> str:
    parts = [
        "<body>", f"<h1>{html.escape(report.title)}</h1>",
        f'<p class="subtitle">{html.escape(report.subtitle)}</p>',
    ]
    for section in report.sections:
        # Charts start a page: their heading was left alone at the foot of the one before.
        new_page = ' class="new-page"' if section.charts else ""
        parts.append(f"<h2{new_page}>{html.escape(section.heading)}</h2>")
        if section.note:
            parts.append(f'<p class="note">{html.escape(section.note)}</p>')
        parts.extend(table_html(t, report.empty) for t in section.tables)
        parts.extend(chart_html(row, charts, new_page=index > 0)
                     for index, row in enumerate(chart_rows(section.charts)))
    parts.append("</body>")
    return "\n".join(parts)
