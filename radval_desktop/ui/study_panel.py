"""The Study view: the study lead imports candidates, creates the study, adds raters, hands
out one file per rater, merges them back and follows each rater's progress (issue 19)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, QTimer, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from radval_desktop.errors import InputError
from radval_desktop.store.merge import MergeReport, merge_databases
from radval_desktop.store.reader_study import (
    LEVELS,
    Study,
    assign,
    list_studies,
    open_study,
    save_rater,
    save_study,
)
from radval_desktop.study.columns import (
    file_columns,
    guess_columns,
    recall_columns,
    remember_columns,
)
from radval_desktop.study.importing import ImportSummary
from radval_desktop.study.lead import (
    RaterProgress,
    hand_out,
    import_file,
    institutions,
    study_progress,
    study_raters,
)
from radval_desktop.ui.column_dialog import ColumnMappingDialog, import_text
from radval_desktop.ui.errors import report_errors
from radval_desktop.ui.scoring_panel import LEVEL_NAMES
from radval_desktop.ui.study_progress import ProgressTable
from radval_desktop.workers.sentences import translated
from radval_desktop.workers.study_tasks import StudyTaskService

# Raters send files back over hours or days; a few seconds is live enough and costs a
# handful of small queries.
REFRESH_MS = 5_000
STUDY_FILTER = QT_TRANSLATE_NOOP("StudyPanel", "RadVal study (*.db *.sqlite);;All files (*)")


def merge_text(report: MergeReport) -> str:
    """What a merge did, then its first conflicts and problems, in the window's language."""
    text = QCoreApplication.translate(
        "StudyPanel", "Merged: {answers} new or changed answers; {conflicts} conflicting "
        "edits (the latest kept); {left} rows left out.").format(
            answers=report.added.get("answers", 0), conflicts=len(report.conflicts),
            left=report.left_out)
    said = [*(c.words() for c in report.conflicts[:5]), *report.problem_words[:10]]
    return "\n".join([text, *(translated(w.context, w.template, w.values, str(w))
                               for w in said)])


class StudyPanel(QWidget):
    def __init__(self, tasks: StudyTaskService | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("study.panel")
        self.tasks = tasks or StudyTaskService(self)
        self.db: Database | None = None
        self.path: Path | None = None
        self.progress_rows: list[RaterProgress] = []
        self.column_dialog: ColumnMappingDialog | None = None
        self._build()
        self._connect()
        self._timer = QTimer(self, interval=REFRESH_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._set_enabled()

    # --- building ---------------------------------------------------------------------

    def _build(self) -> None:
        self.file_label = QLabel(self.tr("No study file open: create one, or open yours."),
                                 objectName="study.file", textFormat=Qt.TextFormat.PlainText)
        self.new_button = QPushButton(self.tr("&New study file…"), objectName="study.new")
        self.open_button = QPushButton(self.tr("&Open study file…"), objectName="study.open")
        self.import_button = QPushButton(self.tr("&Import candidates…"), objectName="study.import")
        self.default_institution = QLineEdit("1", objectName="study.default_institution")
        self.default_institution.setToolTip(self.tr("The institution of rows that name none."))
        self.default_institution.setMaximumWidth(120)
        self.contents = QLabel(objectName="study.contents", wordWrap=True,
                               textFormat=Qt.TextFormat.PlainText)
        self.name_edit = QLineEdit(objectName="study.name", placeholderText=self.tr("study name"))
        self.institution_1 = QComboBox(objectName="study.institution1")
        self.institution_1.setPlaceholderText(self.tr("choose institution 1 (IHG)"))
        self.institution_1.setMinimumWidth(180)
        self.show_reference = QCheckBox(self.tr("Show raters the reference impression"),
                                        objectName="study.show_reference")
        self.create_button = QPushButton(self.tr("&Create study"), objectName="study.create")
        self.study_choice = QComboBox(objectName="study.choice")
        self.study_choice.setMinimumWidth(160)
        self.rater_name = QLineEdit(objectName="study.rater_name",
                                    placeholderText=self.tr("rater's name"))
        self.rater_level = QComboBox(objectName="study.rater_level")
        for level in LEVELS:  # shown in the window's language, kept as the file's key
            self.rater_level.addItem(
                QCoreApplication.translate("ScoringPanel", str(LEVEL_NAMES[level])), level)
        self.rater_level.setPlaceholderText(self.tr("level"))
        self.rater_level.setCurrentIndex(-1)  # chosen by the lead, never assumed
        self.add_rater_button = QPushButton(self.tr("&Add rater"), objectName="study.add_rater")
        self.hand_out_button = QPushButton(self.tr("&Hand out one file per rater…"),
                                           objectName="study.hand_out")
        self.collect_button = QPushButton(self.tr("Co&llect and merge returned files…"),
                                          objectName="study.collect")
        self.message = QLabel(objectName="study.message", wordWrap=True,
                              textFormat=Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = ProgressTable()
        self.refresh_button = QPushButton(self.tr("&Refresh"), objectName="study.refresh")

        top = QHBoxLayout()
        top.addWidget(self.file_label, 1)
        top.addWidget(self.new_button)
        top.addWidget(self.open_button)
        steps = QGridLayout()
        steps.setColumnStretch(1, 1)
        boxes = (
            (self.tr("1. Candidates"),
             (self.import_button, QLabel(self.tr("rows naming no institution:")),
              self.default_institution, self.contents)),
            (self.tr("2. Study"),
             (self.name_edit, QLabel(self.tr("Institution 1:")), self.institution_1,
              self.show_reference, self.create_button, QLabel(self.tr("Study:")),
              self.study_choice)),
            (self.tr("3. Raters"), (self.rater_name, self.rater_level, self.add_rater_button)),
            (self.tr("4. Files"), (self.hand_out_button, self.collect_button)),
        )
        self.groups: list[QGroupBox] = []
        for row, (title, widgets) in enumerate(boxes):
            group = QGroupBox(title)
            box = QHBoxLayout(group)
            for widget in widgets:
                box.addWidget(widget)
            box.addStretch(1)
            steps.addWidget(group, row, 0, 1, 2)
            self.groups.append(group)
        bottom = QHBoxLayout()
        bottom.addWidget(QLabel(self.tr("Progress (answers in this file: merge returned files to "
                                   "update it):")), 1)
        bottom.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(steps)
        layout.addWidget(self.message)
        layout.addLayout(bottom)
        layout.addWidget(self.table, 1)

    def _connect(self) -> None:
        self.new_button.clicked.connect(self._on_new_button_clicked)
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.import_button.clicked.connect(self._on_import_button_clicked)
        self.create_button.clicked.connect(self._on_create_button_clicked)
        self.study_choice.currentIndexChanged.connect(self._on_study_choice_changed)
        self.add_rater_button.clicked.connect(self._on_add_rater_button_clicked)
        self.rater_name.returnPressed.connect(self._on_add_rater_button_clicked)
        self.hand_out_button.clicked.connect(self._on_hand_out_button_clicked)
        self.collect_button.clicked.connect(self._on_collect_button_clicked)
        self.refresh_button.clicked.connect(self.refresh_progress)
        self.tasks.task_finished.connect(self._on_tasks_task_finished)
        self.tasks.task_failed.connect(self._on_tasks_task_failed)

    def _set_enabled(self) -> None:
        have_file = self.db is not None
        idle = not self.tasks.busy()
        for group in self.groups:
            group.setEnabled(have_file and idle)
        self.new_button.setEnabled(idle)
        self.open_button.setEnabled(idle)

    # --- messages ---------------------------------------------------------------------

    def show_error(self, text: str) -> None:
        self.message.setStyleSheet("color: #b00020;")
        self.message.setText(text)

    def show_info(self, text: str) -> None:
        self.message.setStyleSheet("")
        self.message.setText(text)

    # --- the study file ---------------------------------------------------------------

    def open_file(self, path: Path) -> None:
        """Open (or create) the lead's study file; StoreError with the reason if it cannot."""
        self.close_file()
        self.db = open_study(Path(path))
        self.path = Path(path)
        self.file_label.setText(str(path))
        self.show_info("")
        self._refresh_all()

    def close_file(self) -> None:
        if self.db is not None:
            self.db.close()
        self.db, self.path = None, None
        self._set_enabled()

    def shutdown(self) -> None:
        """Let a running merge or import finish, stop its thread, close the file."""
        self._timer.stop()
        self.tasks.shutdown()
        self.close_file()

    def study(self) -> Study | None:
        data = self.study_choice.currentData()
        return data if isinstance(data, Study) else None

    def _refresh_all(self, select: str | None = None) -> None:
        assert self.db is not None
        found = institutions(self.db)
        chosen = self.institution_1.currentText()
        self.institution_1.clear()
        self.institution_1.addItems(found)
        self.institution_1.setCurrentIndex(found.index(chosen) if chosen in found else -1)
        cases, candidates, models = self.db.execute(
            "SELECT (SELECT COUNT(*) FROM cases), COUNT(*), COUNT(DISTINCT model_name) "
            "FROM candidates").fetchone()
        self.contents.setText(self.tr(
            "{cases} cases from {n} institution(s) ({names}), {candidates} candidate "
            "impressions of {models} model(s).").format(
                cases=cases, n=len(found), names=", ".join(found) or "—",
                candidates=candidates, models=models))
        current = select or self.study_choice.currentText()
        self.study_choice.blockSignals(True)
        self.study_choice.clear()
        for study in list_studies(self.db):
            self.study_choice.addItem(study.name, study)
        self.study_choice.setCurrentIndex(max(self.study_choice.findText(current), 0)
                                          if self.study_choice.count() else -1)
        self.study_choice.blockSignals(False)
        self._set_enabled()
        self.refresh_progress()

    @Slot()
    def _on_new_button_clicked(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, self.tr("New study file"), "study.db",
                                              self.tr(str(STUDY_FILTER)))
        if name:
            with report_errors(self):
                self.open_file(Path(name))

    @Slot()
    def _on_open_button_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, self.tr("Open a study file"), "",
                                              self.tr(str(STUDY_FILTER)))
        if name:
            with report_errors(self):
                self.open_file(Path(name))

    # --- 1. candidates ----------------------------------------------------------------

    @Slot()
    def _on_import_button_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, self.tr("Import candidate impressions"), "",
            self.tr("CSV, Excel or JSONL (*.csv *.tsv *.xlsx *.jsonl);;All files (*)"))
        if name:
            self.choose_columns(Path(name))

    def choose_columns(self, file: Path) -> None:
        """The mapping step: the lead confirms which column holds each field (the mapping
        confirmed last time for this header, else known names guessed); Import imports."""
        with report_errors(self):
            columns = file_columns(file)
            if not columns:
                raise InputError(self.tr("{name} has no rows to read: its first line should "
                                         "name the columns (findings, model, candidate …) "
                                         "and the cases follow, one a row.").format(
                                             name=file.name))
            remembered = recall_columns(columns)
            chosen = remembered if remembered is not None else guess_columns(columns)
            dialog = ColumnMappingDialog(file.name, columns, chosen, self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.finished.connect(
                lambda result: self._on_column_dialog_finished(dialog, file, columns, result))
            self.column_dialog = dialog
            dialog.open()  # window-modal: the Study tab waits, the rest of the window not

    def _on_column_dialog_finished(self, dialog: ColumnMappingDialog, file: Path,
                                   columns: list[str], result: int) -> None:
        if self.column_dialog is dialog:
            self.column_dialog = None
        if result != ColumnMappingDialog.DialogCode.Accepted:
            return
        mapping = dialog.mapping()
        remember_columns(columns, mapping)
        self.import_candidates(file, mapping, dialog.model())

    def import_candidates(self, file: Path, mapping: dict[str, str] | None = None,
                          model: str = "") -> None:
        """Import in the task thread: columns findings, model, candidate and optionally
        impression, institution, body_system, modality, case_id (as `radval study import`);
        ``mapping`` field -> column, "" for none, unmapped fields guessed by name; ``model``
        names the rows that name none."""
        if self.path is None:
            return
        path, institution = self.path, self.default_institution.text().strip() or "1"
        self._run("import", lambda: import_file(path, file, institution, mapping, model),
                  self.tr("Importing {name}…").format(name=file.name))

    # --- 2. the study -----------------------------------------------------------------

    @Slot()
    def _on_create_button_clicked(self) -> None:
        with report_errors(self):
            self.create_study()

    def create_study(self) -> Study | None:
        """Create the study named in the box over every candidate in the file; institution 1
        must be chosen from those the cases name (issue 19: a default "1" that matched no
        case put every case in OHG, silently)."""
        if self.db is None:
            return None
        name = self.name_edit.text().strip()
        if not name:
            raise InputError(self.tr("Give the study a name."))
        first = self.institution_1.currentText()
        if self.institution_1.currentIndex() < 0 or first not in institutions(self.db):
            raise InputError(self.tr(
                "Choose institution 1 (the internal one, IHG in the results) from the "
                "institutions of the imported cases; import candidates first if there are "
                "none."))
        study = save_study(self.db, name, self.show_reference.isChecked(), first)
        self.show_info(self.tr("Study '{name}' created: institution 1 = {first}. Now add the "
                               "raters.").format(name=study.name, first=first))
        self._refresh_all(select=study.name)
        return study

    @Slot(int)
    def _on_study_choice_changed(self, _index: int) -> None:
        self.refresh_progress()

    # --- 3. raters --------------------------------------------------------------------

    @Slot()
    def _on_add_rater_button_clicked(self) -> None:
        with report_errors(self):
            self.add_rater()

    def add_rater(self) -> None:
        """Add the rater with the level the lead chose, and assign them the study now."""
        study = self.study()
        if self.db is None or study is None:
            raise InputError(self.tr("Create or choose the study first."))
        if self.rater_level.currentIndex() < 0:
            raise InputError(self.tr("Choose the rater's level: junior, intermediate or "
                                     "senior. It decides which group's mean they count in."))
        rater = save_rater(self.db, self.rater_name.text(), self.rater_level.currentData())
        added = assign(self.db, study, rater)
        self.show_info(self.tr("{name} ({level}): {count} impressions assigned.").format(
            name=rater.name, level=rater.level, count=added))
        self.rater_name.clear()
        self.rater_level.setCurrentIndex(-1)
        self.refresh_progress()

    # --- 4. hand out and collect ------------------------------------------------------

    @Slot()
    def _on_hand_out_button_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Folder for the raters' files"))
        if folder:
            self.hand_out_to(Path(folder))

    def hand_out_to(self, folder: Path) -> None:
        """One file per rater of the study in ``folder``, written in the task thread."""
        study = self.study()
        if self.path is None or study is None:
            self.show_error(self.tr("Create or choose the study first."))
            return
        raters = study_raters(self.db, study) if self.db is not None else []
        path = self.path
        self._run("hand_out", lambda: hand_out(path, study, raters, folder),
                  self.tr("Writing {count} files…").format(count=len(raters)))

    @Slot()
    def _on_collect_button_clicked(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, self.tr("The raters' returned files"),
                                                "", self.tr(str(STUDY_FILTER)))
        if names:
            self.collect([Path(n) for n in names])

    def collect(self, files: list[Path]) -> None:
        """Merge the raters' files into this one in the task thread (`radval scores merge`:
        idempotent, the latest edit wins, bad rows left out and named)."""
        if self.path is None:
            return
        path = self.path
        self._run("merge", lambda: merge_databases(files, path),
                  self.tr("Merging {count} files…").format(count=len(files)))

    # --- the task thread --------------------------------------------------------------

    def _run(self, name: str, task: Callable[[], object], busy_text: str) -> None:
        if not self.tasks.run(name, task):
            self.show_error(self.tr("Another task is still running; try again when it is "
                                    "done."))
            return
        self.show_info(busy_text)
        self._set_enabled()

    @Slot(str, object)
    def _on_tasks_task_finished(self, name: str, result: object) -> None:
        self._set_enabled()
        if isinstance(result, ImportSummary):
            self.show_info(import_text(result))
        elif isinstance(result, MergeReport):
            self.show_info(self._merge_text(result))
        elif name == "hand_out" and isinstance(result, list):
            self.show_info(self.tr("Send each rater their own file; they open it in the "
                                   "Scoring tab, then send it back:\n") +
                           "\n".join(str(p) for p in result))
        with report_errors(self):
            if self.db is not None:
                self._refresh_all()

    def _merge_text(self, report: MergeReport) -> str:
        return merge_text(report)

    @Slot(str, str)
    def _on_tasks_task_failed(self, _name: str, sentence: str) -> None:
        self._set_enabled()
        self.show_error(sentence)

    # --- progress ---------------------------------------------------------------------

    @Slot()
    def refresh_progress(self) -> None:
        study = self.study()
        rows: list[RaterProgress] = []
        if self.db is not None and study is not None:
            with report_errors(self):
                rows = study_progress(self.db, study)
        self.progress_rows = rows
        self.table.show_progress(rows)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt API)
        self._timer.start()
        self.refresh_progress()
        super().showEvent(event)

    @Slot()
    def _on_timer_timeout(self) -> None:
        if self.isVisible() and self.db is not None and not self.tasks.busy():
            self.refresh_progress()
        elif not self.isVisible():
            self._timer.stop()
