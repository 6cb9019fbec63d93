"""The Study view's progress table: per rater, answers given of those assigned, the last
answer's time, mean scores and NA, as the lead's study file holds them."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from radval_desktop.study.lead import RaterProgress
from radval_desktop.study.questionnaire import METRICS
from radval_desktop.ui.i18n import CHINESE, current_language
from radval_desktop.ui.scoring_panel import LEVEL_NAMES


def when(stamp: str | None) -> str:
    """An answer's UTC time as the lead's local time, to the minute."""
    if not stamp:
        return "—"
    return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")


def mean_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


class ProgressTable(QTableWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("study.progress")
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    def show_progress(self, rows: list[RaterProgress]) -> None:
        columns = [self.tr("Rater"), self.tr("Level"), self.tr("Answered"), self.tr("Total"),
                   self.tr("Done"), self.tr("Last answer"), self.tr("Mean"), self.tr("NA"),
                   # the paper's metric names, in the window's language
                   *(m.name_zh if current_language() == CHINESE else m.name
                     for m in METRICS)]
        self.clear()
        self.setColumnCount(len(columns))
        self.setHorizontalHeaderLabels(columns)
        self.setRowCount(len(rows))
        for r, p in enumerate(rows):
            done = f"{100 * p.answered / p.total:.0f}%" if p.total else "—"
            level = QCoreApplication.translate("ScoringPanel",
                                               str(LEVEL_NAMES.get(p.level, p.level)))
            cells = [p.name, level, str(p.answered), str(p.total), done,
                     when(p.last_activity), mean_text(p.mean), str(p.na),
                     *(mean_text(p.means[m.key]) for m in METRICS)]
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if c >= 2:  # figures right-aligned, as in a spreadsheet
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                self.setItem(r, c, item)
