"""Results view: the paper's tables, expert aggregates and radar charts, as `radval report`."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from radval_desktop.errors import InputError, sentence
from radval_desktop.evaluation.batch import outputs_from_db
from radval_desktop.evaluation.radar import RadarData, render
from radval_desktop.evaluation.tables import Table, paper_tables
from radval_desktop.store.database import open_database
from radval_desktop.store.reader_study import list_studies
from radval_desktop.study.report_language import ReportWords, report_words
from radval_desktop.study.results import expert_results
from radval_desktop.ui.errors import report_errors
from radval_desktop.ui.i18n import current_language


def _report_words() -> ReportWords:
    """The report's words (study/report_language.py) through the window's own catalogue:
    the Results tab names tables, cells and charts as report.html and report.pdf do."""
    return report_words(current_language(), QCoreApplication.translate)


def table_title(table: Table) -> str:
    return _report_words().table(table).title


def cell_text(table: Table, value: object) -> str:
    """A cell in the window's language: the core's words translated, body systems named,
    numbers as the report shows them, the data's own names as they are."""
    return table.show(_report_words().cell(value))


def chart_title(chart: RadarData) -> str:
    return _report_words().chart_title(chart)


def shown_chart(chart: RadarData) -> RadarData:
    """The chart drawn in the window's language: its title and gap note."""
    return _report_words().chart(chart)


class ResultsPanel(QWidget):
    """Pick a study database; see its tables (expert scores, agreement, ROUGE, utility,
    guards) and, below, the radar chart of each body system and scope."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tables: list[Table] = []
        self.charts: list[RadarData] = []
        self.path_edit = QLineEdit(objectName="results.path", placeholderText="study.db")
        self.path_edit.setReadOnly(True)
        browse = QPushButton(self.tr("Open study database…"), objectName="results.open")
        browse.clicked.connect(self._on_browse_clicked)
        self.institution_edit = QLineEdit(objectName="results.institution1")
        self.institution_edit.setPlaceholderText(
            self.tr("institution 1 (default: first in the data)"))
        self.institution_edit.editingFinished.connect(self.refresh)
        # Issue 19: a file may hold several studies; each is shown on its own.
        self.study_choice = QComboBox(objectName="results.study")
        self.study_choice.currentIndexChanged.connect(self._on_study_changed)
        self.table_choice = QComboBox(objectName="results.choice")
        self.table_choice.currentIndexChanged.connect(self._on_choice_changed)
        self.grid = QTableWidget(objectName="results.table")
        self.grid.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.grid.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.message = QLabel(objectName="results.message", wordWrap=True,
                              textFormat=Qt.TextFormat.PlainText)
        self.chart_choice = QComboBox(objectName="results.chartChoice")
        self.chart_choice.currentIndexChanged.connect(self._on_chart_changed)
        self.chart = QLabel(objectName="results.chart", alignment=Qt.AlignmentFlag.AlignCenter)
        self.chart_image = QPixmap()  # the chart as drawn; shown scaled into its pane
        chart_scroll = QScrollArea(widgetResizable=True)
        chart_scroll.setWidget(self.chart)
        self._chart_pane = chart_scroll.viewport()
        self._chart_pane.installEventFilter(self)
        chart_box = QWidget()
        chart_layout = QVBoxLayout(chart_box)
        chart_layout.setContentsMargins(0, 0, 0, 0)
        chart_row = QHBoxLayout()
        chart_row.addWidget(QLabel(self.tr("Radar chart:")))
        chart_row.addWidget(self.chart_choice, 1)
        chart_layout.addLayout(chart_row)
        chart_layout.addWidget(chart_scroll, 1)
        # The chart on a page of its own: under the table it had 165 px at the first window
        # size, and its title and axis names were cut at the pane's edges.
        self.views = QTabWidget(objectName="results.views")
        self.views.addTab(self.grid, self.tr("Tables"))
        self.views.addTab(chart_box, self.tr("Radar charts"))

        top = QHBoxLayout()
        top.addWidget(self.path_edit, 1)
        top.addWidget(browse)
        second = QHBoxLayout()
        second.addWidget(QLabel(self.tr("Study:")))
        second.addWidget(self.study_choice, 1)
        second.addWidget(QLabel(self.tr("Institution 1:")))
        second.addWidget(self.institution_edit, 1)
        second.addWidget(QLabel(self.tr("Table:")))
        second.addWidget(self.table_choice, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(second)
        layout.addWidget(self.message)
        layout.addWidget(self.views, 1)

    def show_error(self, text: str) -> None:
        self.message.setText(text)

    @Slot()
    def _on_browse_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, self.tr("Study database"), "",
                                              self.tr("SQLite (*.db *.sqlite);;All files (*)"))
        if name:
            self.open_study(Path(name))

    def open_study(self, path: Path) -> None:
        self.path_edit.setText(str(path))
        self.study_choice.blockSignals(True)
        self.study_choice.clear()  # filled from the new file by refresh()
        self.study_choice.blockSignals(False)
        self.refresh()

    @Slot(int)
    def _on_study_changed(self, index: int) -> None:
        if index >= 0:
            self.refresh()

    def _list_studies(self, names: list[str]) -> str | None:
        """Fill the Study box from the file, keeping the choice; the study to show."""
        chosen = self.study_choice.currentText()
        self.study_choice.blockSignals(True)
        self.study_choice.clear()
        self.study_choice.addItems(names)
        self.study_choice.setCurrentIndex(
            names.index(chosen) if chosen in names else 0 if names else -1)
        self.study_choice.blockSignals(False)
        return self.study_choice.currentText() or None

    @Slot()
    def refresh(self) -> None:
        path = Path(self.path_edit.text())
        if not self.path_edit.text():
            return
        with report_errors(self):
            if not path.is_file():
                raise InputError(sentence("RadvalError", "There is no database at {path}."),
                                 path=path)
            db = open_database(path)
            try:
                outputs = outputs_from_db(db)
                first = self.institution_edit.text().strip() or None
                names = ([s.name for s in list_studies(db)] if db["studies"].exists()
                         else [])
                expert = expert_results(db, self._list_studies(names), institution_1=first)
            finally:
                db.close()
            if not outputs and expert is None:
                raise InputError(sentence("RadvalError",
                                          "{name} holds no batch outputs yet; run `radval batch`."),
                                 name=path.name)
            # ROUGE over a few thousand outputs takes well under a second (bench/rouge_speed).
            rouge = paper_tables(outputs, first or (expert.institution_1 if expert else None)
                                 ) if outputs else []
            self.tables = [*(expert.tables() if expert else []), *rouge]
            self.charts = expert.charts if expert else []
            current = self.table_choice.currentIndex()
            self.table_choice.blockSignals(True)
            self.table_choice.clear()
            self.table_choice.addItems([table_title(t) for t in self.tables])
            self.table_choice.setCurrentIndex(max(current, 0))
            self.table_choice.blockSignals(False)
            self.chart_choice.blockSignals(True)
            self.chart_choice.clear()
            self.chart_choice.addItems([chart_title(c) for c in self.charts])
            self.chart_choice.blockSignals(False)
            self.chart.clear()
            self.chart_image = QPixmap()
            scored = (self.tr(" Study '{study}': {answers} scores, {na} NA.").format(
                study=expert.study, answers=expert.counts.answers, na=expert.counts.na)
                if expert else "")
            if len(names) > 1:
                scored += self.tr(" {count} studies in this file: pick one in the Study "
                                  "box.").format(count=len(names))
            self.message.setText(self.tr("{outputs} outputs of {models} model(s).").format(
                outputs=len(outputs), models=len({o.model for o in outputs})) + scored)
            self._show(self.tables[self.table_choice.currentIndex()])
            self._on_chart_changed(0)

    @Slot(int)
    def _on_chart_changed(self, index: int) -> None:
        if 0 <= index < len(self.charts):
            with report_errors(self):
                # PNG at 150 dpi: a few hundred ms per chart, drawn only when picked.
                pixmap = QPixmap()
                chart = self.charts[index]
                pixmap.loadFromData(render(shown_chart(chart), "png"), "PNG")
                self.chart_image = pixmap
                self._fit_chart()

    def _fit_chart(self) -> None:
        """The chart scaled down into its pane, whole and in shape; at full size while the
        pane is hidden (it has no size yet), and at least at half size: smaller, its labels
        could not be read, and the pane scrolls instead."""
        image = self.chart_image
        if image.isNull():
            return
        pane = self._chart_pane.size()
        if (not self._chart_pane.isVisible()
                or (image.width() <= pane.width() and image.height() <= pane.height())):
            self.chart.setPixmap(image)
            return
        scale = max(0.5, min(pane.width() / image.width(), pane.height() / image.height()))
        self.chart.setPixmap(image.scaled(round(image.width() * scale),
                                          round(image.height() * scale),
                                          Qt.AspectRatioMode.KeepAspectRatio,
                                          Qt.TransformationMode.SmoothTransformation))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self._chart_pane and event.type() in (QEvent.Type.Resize,
                                                             QEvent.Type.Show):
            self._fit_chart()
        return super().eventFilter(watched, event)

    @Slot(int)
    def _on_choice_changed(self, index: int) -> None:
        if 0 <= index < len(self.tables):
            self._show(self.tables[index])

    def _show(self, table: Table) -> None:
        self.grid.clear()
        self.grid.setColumnCount(len(table.columns))
        shown = _report_words().table(table)
        self.grid.setHorizontalHeaderLabels(list(shown.columns))
        self.grid.setRowCount(len(shown.rows))
        for r, row in enumerate(shown.rows):
            for c, value in enumerate(row):
                # The report's decimals (issue 19).
                self.grid.setItem(r, c, QTableWidgetItem(shown.show(value)))
