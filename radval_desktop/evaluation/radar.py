"""Radar charts like the paper's Figure 6: seven metric axes, one polygon per model."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from radval_desktop import paths
from radval_desktop.errors import Words, sentence

if TYPE_CHECKING:
    from matplotlib.figure import Figure, SubFigure


CJK_FONT_FILE = "wqy-microhei.ttc"  # the app's bundled font (ui/fonts.py)
SCORE_RANGE = (0, 100)  # SPEC §7: scores 0-100, bands of 20
LEGEND_ROW_CHARS = 28  # model names that fit on one legend line under one 3.9 in chart
# Fixed colours per position so model 1 has the same colour in every chart of a report.
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")


def cjk_font_path() -> Path:
    return paths.resources_dir() / "fonts" / CJK_FONT_FILE


@cache
def font_families() -> tuple[str, ...]:
    """Register the bundled CJK font with matplotlib; the family list charts should use.

    DejaVu Sans first keeps Latin text in matplotlib's usual face; characters it lacks
    fall back to WenQuanYi, so Chinese axis labels never show as boxes.
    """
    from matplotlib import font_manager

    path = cjk_font_path()
    if not path.is_file():
        return ("DejaVu Sans",)
    font_manager.fontManager.addfont(str(path))
    return ("DejaVu Sans", font_manager.FontProperties(fname=str(path)).get_name())


def literal(text: str) -> str:
    """``text`` for matplotlib as written. Names and titles come from users and model files:
    two "$" in one are set as a formula, and an unbalanced one ("$\\alpha_{1$") stopped the
    whole report. An escaped "$" is shown as "$"; parse_math=False would not do: text
    wrapping measures words as mathtext regardless (matplotlib 3.11)."""
    return text.replace("$", r"\$")


@dataclass(frozen=True)
class RadarData:
    title: str
    axes: tuple[str, ...]  # axis labels, may hold a line break and Chinese
    series: tuple[tuple[str, tuple[float | None, ...]], ...]  # (model, one value per axis)
    group: str = ""  # charts of one group (a body system) are drawn side by side in reports
    caption: Words | None = None  # the title as a template, for the window's translation
    # The gap note in the reader's language (study/report_language.py); None: na_note's English.
    note: str | None = None

    @property
    def slug(self) -> str:
        keep = "".join(c if c.isalnum() else "-" for c in self.title.lower())
        return "-".join(part for part in keep.split("-") if part)


LABEL_PT = 9  # the metric names around the chart
LABEL_PAD_PT = 14


def radar_figure(data: RadarData, size: float = 6.0) -> Figure:
    """A figure (not pyplot: nothing global, safe off the GUI thread)."""
    # matplotlib is imported here, not at the top: it costs ~0.3 s and the window's start-up
    # imports this module (the Results tab) long before anyone draws a chart.
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size, size * 0.92), layout="constrained")
    draw_radar(fig, data)
    return fig


def draw_radar(fig: Figure | SubFigure, data: RadarData) -> None:
    """Draw the chart into a figure or a subfigure; an NA-only metric as a gap, noted."""
    from matplotlib.projections.polar import PolarAxes
    from matplotlib.transforms import ScaledTranslation

    families = list(font_families())
    ax = fig.add_subplot(projection="polar")
    assert isinstance(ax, PolarAxes)  # for the type checker: add_subplot says plain Axes
    n = len(data.axes)
    angles = [2 * math.pi * i / n for i in range(n)]
    # First axis at the top, then clockwise, as the paper's Figure 6; the full circle fixed,
    # or matplotlib narrows the theta range to the data.
    ax.set_theta_offset(math.pi / 2)
    ax.set_theta_direction(-1)
    ax.set_thetalim(0, 2 * math.pi)
    lines = []
    for index, (_, values) in enumerate(data.series):
        # A metric every rater marked NA has no score: a gap in the polygon (NaN breaks
        # matplotlib's line), not 0, the worst score (issue 19). The shading needs a whole
        # polygon, so a model with a gap is drawn as its outline only.
        points = [math.nan if v is None else float(v) for v in values]
        colour = COLOURS[index % len(COLOURS)]
        lines += ax.plot([*angles, angles[0]], [*points, points[0]], color=colour, linewidth=2,
                         marker="o", markersize=3)
        if None not in values:
            ax.fill([*angles, angles[0]], [*points, points[0]], color=colour, alpha=0.08)
    ax.set_ylim(*SCORE_RANGE)
    ax.set_yticks([20, 40, 60, 80, 100])  # the questionnaire's band edges
    ax.set_yticklabels(["20", "40", "60", "80", "100"], fontsize=8, color="#666666",
                       family=families)
    ax.set_rlabel_position(180 / n)  # between the first two axes
    ax.set_xticks(angles)
    ax.set_xticklabels([literal(a) for a in data.axes], fontsize=LABEL_PT, family=families)
    ax.tick_params(axis="x", pad=LABEL_PAD_PT)
    ax.set_title(literal(data.title), fontsize=11, family=families, pad=18)
    # Handles and labels given, not collected: a label matplotlib finds on its own is dropped
    # when it starts with "_", so a model named "_base" would be missing from the legend.
    # Side by side while the names are short; long ones ("radiologists' own impressions"
    # beside a file name) one a line, or the legend ran past a chart in a row of three.
    names = [model for model, _ in data.series]
    columns = min(len(names), 3) if sum(len(n) for n in names) <= LEGEND_ROW_CHARS else 1
    # Below the lowest metric names, a fixed distance in points (their pad and two lines):
    # a fraction of the axes (-0.08) overlapped them once the chart was drawn smaller.
    below = ScaledTranslation(0, -(LABEL_PAD_PT + 2.6 * LABEL_PT) / 72, fig.dpi_scale_trans)
    ax.legend(lines, [literal(model) for model in names], loc="upper center",
              bbox_to_anchor=(0.5, 0), bbox_transform=ax.transAxes + below, ncol=columns,
              frameon=False, prop={"family": families, "size": 9})
    note = na_note(data)
    if note:
        fig.supxlabel(literal(note), fontsize=8, color="#8a4b00", family=families, wrap=True)


_NA_NOTE = sentence("Charts", "Gap = every answer NA (no score), not 0: {gaps}.")


def na_gaps(data: RadarData, chinese: bool = False) -> str:
    """Each model with a metric left as a gap, and those metrics: by their English names,
    or by their Chinese ones (an axis's second line) with Chinese punctuation."""
    line, names_sep, model_sep, models_sep = (1, "、", "：", "；") if chinese else (
        0, ", ", ": ", "; ")
    gaps = []
    for model, values in data.series:
        parts = [axis.split("\n") for axis, v in zip(data.axes, values, strict=True)
                 if v is None]
        names = [part[line] if line < len(part) else part[0] for part in parts]
        if names:
            gaps.append(f"{model}{model_sep}{names_sep.join(names)}")
    return models_sep.join(gaps)


def na_words(data: RadarData, chinese: bool = False) -> Words | None:
    """The sentence under a chart naming each metric left as a gap, per model; None if none."""
    gaps = na_gaps(data, chinese)
    return Words("Charts", _NA_NOTE, (("gaps", gaps),)) if gaps else None


def na_note(data: RadarData) -> str:
    """The note drawn under the chart: its own (translated), else the English; "" if none."""
    if data.note is not None:
        return data.note
    return str(na_words(data) or "")


# One chart of a row: three side by side fill A4 landscape, each printed about 3.5 in
# wide. Drawn near that size, so that its text prints near the size it is set in: at
# 5.5 in the 8 pt ticks and NA note printed at 5.2 pt (issue 19: "tiny text"); the dpi
# keeps the pixels a 5.5 in panel had at 150 dpi.
PANEL_INCHES = 3.9
ROW_DPI = 220


def render_row(charts: Sequence[RadarData], fmt: str) -> bytes:
    """Charts side by side in one image (a body system's scopes): 'png' or 'svg'."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(PANEL_INCHES * len(charts), PANEL_INCHES * 1.02),
                 layout="constrained")
    for panel, data in zip(fig.subfigures(1, len(charts), squeeze=False)[0], charts,
                           strict=True):
        draw_radar(panel, data)
    buffer = io.BytesIO()
    # "tight": an axis label at a panel's outer edge ("Relevance") was cut by the canvas.
    fig.savefig(buffer, format=fmt, dpi=ROW_DPI, metadata=_metadata(fmt), bbox_inches="tight",
                pad_inches=0.05)
    return buffer.getvalue()


def render(data: RadarData, fmt: str) -> bytes:
    """The chart as 'png' (150 dpi) or 'svg' (text as paths: Chinese shows without fonts)."""
    buffer = io.BytesIO()
    radar_figure(data).savefig(buffer, format=fmt, dpi=150, metadata=_metadata(fmt))
    return buffer.getvalue()


def _metadata(fmt: str) -> dict[str, str | None]:
    # No creation date: the same study gives byte-identical charts (reproducible reports).
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None}
    return {}


def save_charts(charts: Sequence[RadarData], folder: Path) -> list[Path]:
    """Each chart as PNG and SVG in folder; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for data in charts:
        for fmt in ("png", "svg"):
            path = folder / f"radar-{data.slug}.{fmt}"
            path.write_bytes(render(data, fmt))
            written.append(path)
    return written
