"""The study report in its reader's language: its tables, charts and fixed words through the
window's catalogue (catalogue.translator), so report.html, report.pdf and report.md say what
the Results tab says. The CSV files stay English: scripts read their column names."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from radval_desktop.catalogue import CHINESE, ENGLISH, Translate, render, translator
from radval_desktop.errors import Words, sentence
from radval_desktop.evaluation.radar import RadarData, na_words
from radval_desktop.evaluation.tables import Table
from radval_desktop.prompts import bundled_templates

TABLES = "ResultTables"  # the context the core marks its table words under
REPORT = "Report"
# Painted under each page of report.pdf (ui/report_pdf.py).
_FOOTER = sentence("Report", "{title} · Page {page} of {pages}")
_NONE = sentence("Report", "none")  # the one cell of a table without rows

PageFooter = Callable[[int, int], str]  # (page from 1, pages) -> the footer's text


@dataclass(frozen=True)
class ReportWords:
    """The catalogue of one language and the body systems' names in it."""

    language: str
    translate: Translate
    # chest -> 胸部; English keeps the key, as the report and the Results tab always did.
    systems: Mapping[str, str]

    def say(self, template: str, context: str = REPORT, **values: object) -> str:
        return render(self.translate, context, template, values)

    def words(self, value: Words) -> str:
        return render(self.translate, value.context, value.template, value.values)

    def system(self, key: object) -> object:
        return self.systems.get(key, key) if isinstance(key, str) else key

    def cell(self, value: object) -> object:
        """A table cell: the core's words translated, a body system named; numbers (and
        the data's own names) as they are, for the report's decimals."""
        if isinstance(value, Words):
            return self.words(value)
        if isinstance(value, str):
            return self.translate(TABLES, str(self.system(value)))
        return value

    def table(self, table: Table) -> Table:
        title = (self.words(table.caption) if table.caption
                 else self.translate(TABLES, table.title))
        return replace(table, title=title, caption=None,
                       columns=tuple(self.translate(TABLES, c) for c in table.columns),
                       rows=tuple(tuple(self.cell(v) for v in row) for row in table.rows))

    def chart_title(self, chart: RadarData) -> str:
        if chart.caption is None:
            return chart.title
        values = dict(chart.caption.values)
        values["system"] = self.system(values.get("system"))
        return self.words(replace(chart.caption, values=tuple(values.items())))

    def chart(self, chart: RadarData) -> RadarData:
        """The chart as the reader sees it: its title, group and gap note translated."""
        gaps = na_words(chart, chinese=self.language == CHINESE)
        return replace(chart, title=self.chart_title(chart), group=str(self.system(chart.group)),
                       note=self.words(gaps) if gaps else "")

    def footer(self, title: str) -> PageFooter:
        return lambda page, pages: self.say(_FOOTER, title=title, page=page, pages=pages)

    @property
    def none(self) -> str:
        return self.say(_NONE)

    @property
    def html_lang(self) -> str:
        return self.language.replace("_", "-")  # BCP 47: zh-CN


def report_words(language: str, translate: Translate | None = None) -> ReportWords:
    """The report's words in ``language``; ``translate`` the window's own (Qt's) catalogue
    when the window asks, else the .ts read without Qt."""
    systems = bundled_templates().body_systems.get("zh", {}) if language == CHINESE else {}
    return ReportWords(language, translate or translator(language), dict(systems))


ENGLISH_WORDS = ReportWords(ENGLISH, translator(ENGLISH), {})
