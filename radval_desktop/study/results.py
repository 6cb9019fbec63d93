"""Study results (issue 6): the questionnaire's metrics put through evaluation's statistics."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from radval_desktop import csv_cells
from radval_desktop.errors import InputError, Words, sentence
from radval_desktop.evaluation.aggregates import (
    ALL_SYSTEMS,
    SCOPES,
    Aggregate,
    Counts,
    aggregate,
    aggregates_table,
    count,
    counts_table,
    find_study,
    load_ratings,
    study_case_count,
)
from radval_desktop.evaluation.agreement import (
    BOOTSTRAP_MIN_ITEMS,
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    POOLED,
    Agreement,
    agreement,
    agreement_table,
)
from radval_desktop.evaluation.batch import outputs_from_db
from radval_desktop.evaluation.html_report import Report, Section, render_html
from radval_desktop.evaluation.radar import RadarData, save_charts
from radval_desktop.evaluation.tables import Table, paper_tables
from radval_desktop.paths import PRIVATE_FILE_MODE, open_private
from radval_desktop.study.questionnaire import METRIC_KEYS, METRICS

AXES = tuple(f"{m.name}\n{m.name_zh}" for m in METRICS)  # the chart's seven axes, Fig. 6
LABELS = {m.key: f"{m.name} {m.name_zh}" for m in METRICS}


@dataclass(frozen=True)
class ExpertResults:
    study: str
    institution_1: str
    aggregates: list[Aggregate]
    agreement: list[Agreement]
    counts: Counts
    charts: list[RadarData]

    def tables(self) -> list[Table]:
        return [counts_table(self.counts),
                aggregates_table(self.aggregates, list(LABELS.items())),
                agreement_table(self.agreement, LABELS)]


_SCOPE_CAPTIONS = {"OG": sentence("ResultTables", "OG, all cases"),
                   "IHG": sentence("ResultTables", "IHG, institution {name}"),
                   "OHG": sentence("ResultTables", "OHG, institutions other than {name}")}
_CHART_TITLE = sentence("ResultTables", "{system} — {scope}")


def scope_caption(scope: str, institution_1: str) -> str:
    return _SCOPE_CAPTIONS[scope].format(name=institution_1)


def _chart_caption(system: str, scope: str, institution_1: str) -> Words:
    """The chart's title as the window translates it (body system keys: ui/i18n)."""
    return Words("ResultTables", _CHART_TITLE, (
        ("system", system),
        ("scope", Words("ResultTables", _SCOPE_CAPTIONS[scope], (("name", institution_1),)))))


def radar_charts(aggregates: Sequence[Aggregate], institution_1: str) -> list[RadarData]:
    """One chart per body system and scope (paper Fig. 6), models in name order."""
    charts = []
    systems = sorted({a.body_system for a in aggregates} - {ALL_SYSTEMS})
    for system in systems:
        for scope in SCOPES:
            rows = sorted((a for a in aggregates if a.body_system == system and a.scope == scope),
                          key=lambda a: a.model)
            if rows:
                charts.append(RadarData(
                    f"{system} — {scope_caption(scope, institution_1)}", AXES,
                    tuple((a.model, tuple(a.means[k] for k in METRIC_KEYS)) for a in rows),
                    group=system, caption=_chart_caption(system, scope, institution_1)))
    return charts


def expert_results(db: Database, study_name: str | None = None,
                   institution_1: str | None = None) -> ExpertResults | None:
    """Aggregates, agreement, counts and charts of the study; None when there is no study."""
    study = find_study(db, study_name)
    if study is None:
        return None
    first = institution_1 or study.institution_1
    ratings = load_ratings(db, study.uuid)
    aggregates = aggregate(ratings, METRIC_KEYS, first)
    return ExpertResults(study.name, first, aggregates, agreement(ratings, METRIC_KEYS),
                         count(ratings, study_case_count(db, study.uuid)),
                         radar_charts(aggregates, first))


def build_report(db: Database, title: str, study_name: str | None = None,
                 institution_1: str | None = None) -> tuple[Report, list[Table],
                                                             ExpertResults | None]:
    """The report, the ROUGE/utility/guard tables and the expert results behind it."""
    outputs = outputs_from_db(db)
    expert = expert_results(db, study_name, institution_1)
    if not outputs and expert is None:
        raise InputError(sentence("RadvalError",
                                  "This database holds no batch outputs yet and no reader study; "
                                  "run `radval batch` or `radval study` first."))
    first = institution_1 or (expert.institution_1 if expert else None)
    rouge = paper_tables(outputs, first) if outputs else []
    sections = []
    if expert is not None:
        counts, aggregates, agree = expert.tables()
        sections += [
            Section("Counts", (counts,)),
            Section("Expert evaluation", (aggregates,), note=(
                "Each rater's mean over the items, averaged within level (junior, "
                "intermediate, senior), then across levels; NA answers left out and counted. "
                "Higher is better on every metric.")),
            Section("Radar charts", charts=tuple(expert.charts), note=(
                "One row per body system, a chart per scope, one polygon per model; "
                "a metric every rater marked NA is a gap in the polygon, named under the chart, "
                "not a score of 0.")),
            Section("Agreement", (agree,), note=(
                "ICC(2,1): how far a single rater's score can be trusted; ICC(2,k): the "
                "reliability of the mean of the k raters (both two-way random effects, "
                "absolute agreement, Shrout & Fleiss 1979, on the items every rater "
                "scored; 95% CI from the F distribution, McGraw & Wong 1996). "
                "Krippendorff's alpha, interval metric, on the items two raters or more "
                "scored, NA as missing; 95% CI: percentile bootstrap over items "
                f"({BOOTSTRAP_RESAMPLES:,} resamples, seed {BOOTSTRAP_SEED}; none under "
                f"{BOOTSTRAP_MIN_ITEMS} items). Each model is "
                f"given on its own; '{POOLED}' pools them, which adds the difference "
                "between models to the spread of the items and so reads higher: quote the "
                "per-model rows.")),
        ]
    if rouge:
        sections.append(Section("ROUGE, practical utility and output guards", tuple(rouge)))
    else:
        sections.append(Section("ROUGE, practical utility and output guards", note=(
            "No batch outputs in this database (imported candidates only): "
            "run `radval batch` for these tables.")))
    subtitle = (f"Study '{expert.study}', institution 1 = {expert.institution_1}" if expert
                else "No reader study in this database") + f" · {len(outputs)} batch outputs"
    return Report(title, subtitle, tuple(sections)), rouge, expert


PdfWriter = Callable[[str, Path, str], Path]  # (print HTML, path, title) -> path


@dataclass(frozen=True)
class WrittenReport:
    html: Path
    pdf: Path | None
    markdown: Path
    files: list[Path]


def _write_private(path: Path, text: str, encoding: str = "utf-8",
                   newline: str | None = None) -> Path:
    # The report names raters and models and may be all a colleague needs of the study.
    with open_private(path, encoding, newline) as handle:
        handle.write(text)
    return path


def write_report(db: Database, out: Path, title: str, study_name: str | None = None,
                 institution_1: str | None = None, pdf_writer: PdfWriter | None = None
                 ) -> WrittenReport:
    """report.html (self-contained), report.md, a CSV per table, chart files, and
    report.pdf printed from the same report by pdf_writer (ui/report_pdf.py: the core has
    no Qt) when one is given."""
    report, rouge, expert = build_report(db, title, study_name, institution_1)
    out.mkdir(parents=True, exist_ok=True)
    tables = [*(expert.tables() if expert else []), *rouge]
    files = []
    for table in tables:
        files.append(_write_private(out / f"{table.name}.csv", table.to_csv(),
                                    encoding=csv_cells.ENCODING, newline=""))
    if expert is not None:
        files += save_charts(expert.charts, out / "charts")
        for path in files[len(tables):]:
            path.chmod(PRIVATE_FILE_MODE)
    markdown = _write_private(out / "report.md", f"# {title}\n\n"
                              + "\n".join(t.to_markdown() for t in tables))
    html_path = _write_private(out / "report.html", render_html(report))
    pdf = None
    if pdf_writer is not None:
        pdf = pdf_writer(render_html(report, charts="png"), out / "report.pdf", title)
        pdf.chmod(PRIVATE_FILE_MODE)
    return WrittenReport(html_path, pdf, markdown, files)
