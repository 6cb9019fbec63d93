"""The study report as one self-contained HTML file: tables, counts and radar charts inline."""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field

from radval_desktop.evaluation.radar import RadarData, cjk_font_path, render
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


# Print rules keep a chart or table from being cut across PDF pages.
_STYLE = """
body { font-family: "RadVal CJK", "DejaVu Sans", "Noto Sans", sans-serif; margin: 2em auto;
       max-width: 72em; color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid
#ccc; } h3 { font-size: 1.05em; margin: 1.2em 0 .4em; }
.subtitle, .note { color: #555; }
table { border-collapse: collapse; margin: .4em 0 1em; font-size: .85em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f2f2f2; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; width: 30em; max-width: 100%; break-inside: avoid; }
figure img { width: 100%; }
table, figure { page-break-inside: avoid; }
"""


def _cell(table: Table, value: object) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<td class="num">{table.show(value)}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def table_html(table: Table) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = "\n".join("<tr>" + "".join(_cell(table, v) for v in row) + "</tr>" for row in table.rows)
    if not table.rows:
        body = f'<tr><td colspan="{len(table.columns)}">none</td></tr>'
    return (f"<h3>{html.escape(table.title)}</h3>\n<table>\n<thead><tr>{head}</tr></thead>\n"
            f"<tbody>\n{body}\n</tbody>\n</table>")


def chart_html(data: RadarData) -> str:
    # An SVG data URI rather than inline <svg>: matplotlib's element ids would clash
    # between charts in one page, and an <img> keeps each chart's styles to itself.
    svg = base64.b64encode(render(data, "svg")).decode("ascii")
    title = html.escape(data.title)
    return (f'<figure><img alt="Radar chart: {title}" '
            f'src="data:image/svg+xml;base64,{svg}"></figure>')


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


def render_html(report: Report) -> str:
    body = _body(report)
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{html.escape(report.title)}</title>",
        f"<style>{cjk_font_face(body)}{_STYLE}</style>", "</head>", body, "</html>", ""])


def _body(report: Report) -> str:
    parts = [
        "<body>", f"<h1>{html.escape(report.title)}</h1>",
        f'<p class="subtitle">{html.escape(report.subtitle)}</p>',
    ]
    for section in report.sections:
        parts.append(f"<h2>{html.escape(section.heading)}</h2>")
        if section.note:
            parts.append(f'<p class="note">{html.escape(section.note)}</p>')
        parts.extend(table_html(t) for t in section.tables)
        if section.charts:
            parts.append('<div class="charts">')
            parts.extend(chart_html(c) for c in section.charts)
            parts.append("</div>")
    parts.append("</body>")
    return "\n".join(parts)
