"""Study results (issue 6): the questionnaire's metrics put through evaluation's statistics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

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
from radval_desktop.paths import PRIVATE_FILE_MODE, ensure_private_dir, open_private
from radval_desktop.study.questionnaire import METRIC_KEYS, METRICS
from radval_desktop.study.report_language import ENGLISH_WORDS, PageFooter, ReportWords

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


# The report's fixed words (study/report_language.py says them in the reader's language).
_TITLE = sentence("Report", "RadVal evaluation: {name}")
_COUNTS = sentence("Report", "Counts")
_EXPERT = sentence("Report", "Expert evaluation")
_EXPERT_NOTE = sentence(
    "Report", "Each rater's mean over the items, averaged within level (junior, intermediate, "
    "senior), then across levels; NA answers left out and counted. Higher is better on every "
    "metric.")
_RADAR = sentence("Report", "Radar charts")
_RADAR_NOTE = sentence(
    "Report", "One row per body system, a chart per scope, one polygon per model; a metric "
    "every rater marked NA is a gap in the polygon, named under the chart, not a score of 0.")
_AGREEMENT = sentence("Report", "Agreement")
_AGREEMENT_NOTE = sentence(
    "Report", "ICC(2,1): how far a single rater's score can be trusted; ICC(2,k): the "
    "reliability of the mean of the k raters (both two-way random effects, absolute "
    "agreement, Shrout & Fleiss 1979, on the items every rater scored; 95% CI from the F "
    "distribution, McGraw & Wong 1996). Krippendorff's alpha, interval metric, on the items "
    "two raters or more scored, NA as missing; 95% CI: percentile bootstrap over items "
    "({resamples:,} resamples, seed {seed}; none under {least} items). Each model is given "
    "on its own; '{pooled}' pools them, which adds the difference between models to the "
    "spread of the items and so reads higher: quote the per-model rows.")
_ROUGE = sentence("Report", "ROUGE, practical utility and output guards")
_NO_OUTPUTS = sentence("Report", "No batch outputs in this database (imported candidates "
                       "only): run `radval batch` for these tables.")
_STUDY = sentence("Report", "Study '{study}', institution 1 = {institution}")
_NO_STUDY = sentence("Report", "No reader study in this database")
_OUTPUTS = sentence("Report", " · {count} batch outputs")


def report_title(words: ReportWords, name: str) -> str:
    """The report's title (and its PDF's, on each page's footer) for a database file."""
    return words.say(_TITLE, name=name)


def build_report(db: Database, title: str, study_name: str | None = None,
                 institution_1: str | None = None, words: ReportWords = ENGLISH_WORDS
                 ) -> tuple[Report, list[Table], ExpertResults | None]:
    """The report (in ``words``' language), the ROUGE/utility/guard tables and the expert
    results behind it (English: the CSV files and report.md are written from them)."""
    outputs = outputs_from_db(db)
    expert = expert_results(db, study_name, institution_1)
    if not outputs and expert is None:
        raise InputError(sentence("RadvalError",
                                  "This database holds no batch outputs yet and no reader study; "
                                  "run `radval batch` or `radval study` first."))
    first = institution_1 or (expert.institution_1 if expert else None)
    rouge = paper_tables(outputs, first) if outputs else []
    say = words.say
    sections = []
    if expert is not None:
        counts, aggregates, agree = (words.table(t) for t in expert.tables())
        sections += [
            Section(say(_COUNTS), (counts,)),
            Section(say(_EXPERT), (aggregates,), note=say(_EXPERT_NOTE)),
            Section(say(_RADAR), charts=tuple(words.chart(c) for c in expert.charts),
                    note=say(_RADAR_NOTE)),
            Section(say(_AGREEMENT), (agree,), note=say(
                _AGREEMENT_NOTE, resamples=BOOTSTRAP_RESAMPLES, seed=BOOTSTRAP_SEED,
                least=BOOTSTRAP_MIN_ITEMS, pooled=Words("ResultTables", POOLED))),
        ]
    if rouge:
        sections.append(Section(say(_ROUGE), tuple(words.table(t) for t in rouge)))
    else:
        sections.append(Section(say(_ROUGE), note=say(_NO_OUTPUTS)))
    subtitle = (say(_STUDY, study=expert.study, institution=expert.institution_1) if expert
                else say(_NO_STUDY)) + say(_OUTPUTS, count=len(outputs))
    return (Report(title, subtitle, tuple(sections), language=words.html_lang,
                   empty=words.none), rouge, expert)


class PdfWriter(Protocol):
    """ui/report_pdf.write_pdf: prints the HTML to path, each page footed by footer."""

    def __call__(self, html: str, path: Path, title: str,
                 footer: PageFooter | None = None) -> Path: ...


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


def _private_folder(folder: Path) -> Path:
    """A folder RadVal makes for a report is owner-only, as its files are: their names say
    what the study holds. A folder the user already had is theirs and keeps its mode."""
    return folder if folder.is_dir() else ensure_private_dir(folder)


def write_report(db: Database, out: Path, title: str, study_name: str | None = None,
                 institution_1: str | None = None, pdf_writer: PdfWriter | None = None,
                 words: ReportWords = ENGLISH_WORDS) -> WrittenReport:
    """report.html (self-contained), report.md, a CSV per table, chart files, and
    report.pdf printed from the same report by pdf_writer (ui/report_pdf.py: the core has
    no Qt) when one is given; report.html, report.pdf and report.md in ``words``' language,
    the CSV files in English (scripts read their column names)."""
    report, rouge, expert = build_report(db, title, study_name, institution_1, words)
    _private_folder(out)
    tables = [*(expert.tables() if expert else []), *rouge]
    files = []
    for table in tables:
        files.append(_write_private(out / f"{table.name}.csv", table.to_csv(),
                                    encoding=csv_cells.ENCODING, newline=""))
    if expert is not None:
        files += save_charts(expert.charts, _private_folder(out / "charts"))
        for path in files[len(tables):]:
            path.chmod(PRIVATE_FILE_MODE)
    markdown = _write_private(out / "report.md", f"# {title}\n\n"
                              + "\n".join(words.table(t).to_markdown() for t in tables))
    html_path = _write_private(out / "report.html", render_html(report))
    pdf = None
    if pdf_writer is not None:
        pdf = pdf_writer(render_html(report, charts="png"), out / "report.pdf", title,
                         footer=words.footer(title))
        pdf.chmod(PRIVATE_FILE_MODE)
    return WrittenReport(html_path, pdf, markdown, files)
