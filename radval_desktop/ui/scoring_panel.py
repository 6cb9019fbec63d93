"""The Scoring view: a rater scores blinded impressions, one case at a time, saved as given."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlite_utils import Database

from radval_desktop.store.reader_study import (
    LEVELS,
    Rater,
    find_rater,
    list_raters,
    list_studies,
    open_study,
    save_rater,
)
from radval_desktop.study.questionnaire import METRICS
from radval_desktop.study.session import ScoringSession
from radval_desktop.ui.errors import report_errors
from radval_desktop.ui.i18n import body_system_names
from radval_desktop.ui.metric_editor import MetricEditor
from radval_desktop.ui.scoring_memory import recall, remember

# The rater groups' names on screen; the study file keeps LEVELS' English keys.
LEVEL_NAMES = {"junior": QT_TRANSLATE_NOOP("ScoringPanel", "junior"),
               "intermediate": QT_TRANSLATE_NOOP("ScoringPanel", "intermediate"),
               "senior": QT_TRANSLATE_NOOP("ScoringPanel", "senior")}


def keys_help() -> str:
    return QCoreApplication.translate(
        "ScoringPanel", "Keys: type a score, Enter = save and next · Alt+S score · Alt+N NA · "
        "Alt+I impression (Shift+arrows select) · Alt+Q quote · Alt+E explanation · "
        "Alt+M metrics · PgDn/PgUp next/previous impression (what you typed is saved) · "
        "Alt+U or Ctrl+J next unanswered")


def _read_only_text(name: str) -> QPlainTextEdit:
    edit = QPlainTextEdit(objectName=name, readOnly=True)
    # Keyboard selection too: a rater quotes a span without the mouse.
    edit.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard
                                 | Qt.TextInteractionFlag.TextSelectableByMouse)
    edit.setTabChangesFocus(True)
    return edit


class ScoringPanel(QWidget):
    def __init__(self, path: Path | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scoring.panel")
        self.db: Database | None = None
        self.path: Path | None = None
        self.session: ScoringSession | None = None
        self._build()
        self._connect()
        self._set_scoring_visible(False)
        if path is not None:
            with report_errors(self):
                self.open_file(path)
        else:
            self.restore()

    # --- building ---------------------------------------------------------------------

    def _build(self) -> None:
        self.file_label = QLabel(
            self.tr("No study open: open the study file from your study lead."),
            objectName="scoring.file", wordWrap=True)
        self.open_button = QPushButton(self.tr("&Open study file…"), objectName="scoring.open")
        self.study = QComboBox(objectName="scoring.study")
        self.rater = QComboBox(objectName="scoring.rater", editable=True)
        self.rater.lineEdit().setPlaceholderText(self.tr("your name"))
        self.rater.setMinimumWidth(160)
        self.level = QComboBox(objectName="scoring.level")
        for level in LEVELS:
            self.level.addItem(QCoreApplication.translate("ScoringPanel", str(LEVEL_NAMES[level])),
                               level)
        # No level until one is chosen (issue 19: a new rater was saved with whatever level
        # the box last showed); a rater the lead added shows the lead's, fixed.
        self.level.setPlaceholderText(self.tr("your level"))
        self.level.setCurrentIndex(-1)
        self.start_button = QPushButton(self.tr("S&tart scoring"), objectName="scoring.start")
        rater_label = QLabel(self.tr("&Rater:"))
        rater_label.setBuddy(self.rater)
        setup = QHBoxLayout()
        for widget in (self.file_label, self.open_button, QLabel(self.tr("Study:")), self.study,
                       rater_label, self.rater, self.level, self.start_button):
            setup.addWidget(widget)
        setup.setStretch(0, 1)

        self.header = QLabel(objectName="scoring.header")
        self.header.setStyleSheet("font-weight: bold;")
        self.progress = QProgressBar(objectName="scoring.progress")
        self.progress.setFormat(self.tr("%v / %m answered"))
        self.progress.setMinimumWidth(240)
        self.findings = _read_only_text("scoring.findings")
        self.reference = _read_only_text("scoring.reference")
        self.impression = _read_only_text("scoring.impression")
        self.reference.setMaximumHeight(80)  # context only; the candidate is what is scored
        self.impression.setStyleSheet("font-size: 12pt;")
        self.reference_label = QLabel(self.tr("Reference impression:"))
        impression_label = QLabel(self.tr("&Impression to score (select text to quote it):"))
        impression_label.setBuddy(self.impression)
        case_box = QVBoxLayout()
        for widget in (QLabel(self.tr("Findings:")), self.findings, self.reference_label,
                       self.reference, impression_label, self.impression):
            case_box.addWidget(widget)
        case_box.setStretch(1, 3)
        case_box.setStretch(5, 2)

        self.metrics = QListWidget(objectName="scoring.metrics")
        self.metrics.setMaximumHeight(150)
        # All seven rows stay in sight when the metric's definition makes the editor taller.
        self.metrics.setMinimumHeight(7 * (self.metrics.fontMetrics().lineSpacing() + 2) + 6)
        metrics_label = QLabel(self.tr("&Metrics:"))
        metrics_label.setBuddy(self.metrics)
        self.editor = MetricEditor()
        # The definition, the question and the NA hint are two languages each: at the first
        # window size they were squeezed and cut mid-sentence. The editor scrolls instead.
        editor_view = QScrollArea(objectName="scoring.editor_view", widgetResizable=True)
        editor_view.setFrameShape(QFrame.Shape.NoFrame)
        editor_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        editor_view.setWidget(self.editor)
        metric_box = QVBoxLayout()
        for widget in (metrics_label, self.metrics, editor_view):
            metric_box.addWidget(widget)

        split = QSplitter(objectName="scoring.split")
        for box in (case_box, metric_box):
            holder = QWidget()
            holder.setLayout(box)
            split.addWidget(holder)
        split.setSizes([500, 500])

        self.previous_button = QPushButton(self.tr("◀ Previous"), objectName="scoring.previous")
        self.next_button = QPushButton(self.tr("Next ▶"), objectName="scoring.next")
        self.unanswered_button = QPushButton(self.tr("Next &unanswered"),
                                             objectName="scoring.unanswered")
        self.keys = QLabel(keys_help(), objectName="scoring.keys", wordWrap=True)
        self.keys.setStyleSheet("color: #555;")
        self.error = QLabel(objectName="scoring.error", wordWrap=True,
                            textFormat=Qt.TextFormat.PlainText)
        self.error.setStyleSheet("color: #b00020;")
        self.info = QLabel(objectName="scoring.info", wordWrap=True,
                           textFormat=Qt.TextFormat.PlainText)
        self.info.setStyleSheet("color: #1a7f37; font-weight: bold;")
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        nav = QHBoxLayout()
        for widget in (self.previous_button, self.next_button, self.unanswered_button):
            nav.addWidget(widget)
        nav.addWidget(self.keys, 1)

        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.progress)
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addLayout(top)
        body.addWidget(split, 1)
        body.addLayout(nav)
        layout = QVBoxLayout(self)
        layout.addLayout(setup)
        layout.addWidget(self.error)
        layout.addWidget(self.info)
        layout.addWidget(self.body, 1)

    def _connect(self) -> None:
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.start_button.clicked.connect(self._on_start_button_clicked)
        self.rater.lineEdit().returnPressed.connect(self._on_start_button_clicked)
        self.rater.editTextChanged.connect(self._on_rater_edit_text_changed)
        self.previous_button.clicked.connect(lambda: self._navigate("previous_item"))
        self.next_button.clicked.connect(lambda: self._navigate("next_item"))
        self.unanswered_button.clicked.connect(lambda: self._navigate("next_unanswered"))
        self.metrics.currentRowChanged.connect(self._on_metrics_current_row_changed)
        self.editor.score_given.connect(self._on_editor_score_given)
        self.editor.score_refused.connect(self.show_error)
        self.editor.na_toggled.connect(self._on_editor_na_toggled)
        self.editor.quote_requested.connect(self._on_editor_quote_requested)
        self.editor.quote_removed.connect(self._on_editor_quote_removed)
        self.editor.explanation_edited.connect(self._on_editor_explanation_edited)
        self.editor.committed.connect(self._on_editor_committed)
        # Shortcuts rather than button mnemonics: a mnemonic clicks 100 ms later (animated),
        # so a fast typist's next key would land before the answer.
        for keys, slot in (
                (QKeySequence.StandardKey.MoveToNextPage, lambda: self._navigate("next_item")),
                (QKeySequence.StandardKey.MoveToPreviousPage,
                 lambda: self._navigate("previous_item")),
                (QKeySequence("Ctrl+J"), lambda: self._navigate("next_unanswered")),
                (QKeySequence("Alt+N"), self.editor.na.toggle),
                (QKeySequence("Alt+Q"), self._on_editor_quote_requested)):
            shortcut = QShortcut(keys, self, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    # --- opening ----------------------------------------------------------------------

    def show_error(self, text: str) -> None:
        self.error.setText(text)

    def open_file(self, path: Path) -> None:
        """Open a study database and list its studies and raters; StoreError if it cannot."""
        self.close_study()
        self.info.setText("")
        self.db = open_study(Path(path))
        self.path = Path(path)
        self.file_label.setText(str(path))
        self.study.clear()
        for study in list_studies(self.db):
            self.study.addItem(study.name, study)
        self.rater.clear()
        for rater in list_raters(self.db):
            self.rater.addItem(rater.name, rater)
        self.rater.setCurrentIndex(-1)
        self.rater.setEditText("")
        if self.rater.count() == 1:  # a file the lead handed out to one rater
            self.rater.setCurrentIndex(0)
            self.info.setText(self.tr("This file is for {name}: press Enter or Start scoring."
                                      ).format(name=self.rater.currentText()))
        if not self.study.count():
            self.show_error(self.tr("{path} holds no study yet; the study lead creates one "
                                    "with `radval study create`.").format(path=path))
        else:
            self.show_error("")

    # --- remembered between runs (issue 19) -----------------------------------------------

    def _remember(self) -> None:
        if self.session is not None and self.path is not None:
            remember(self.path, self.session.study.name, self.session.rater.name)

    def restore(self) -> None:
        """Open the study file used last and fill in the study and rater; nothing when that
        file is gone."""
        last = recall()
        if last is None:
            return
        with report_errors(self):
            self.open_file(last.file)
            index = self.study.findText(last.study)
            if index >= 0:
                self.study.setCurrentIndex(index)
            name = last.rater
            if name and self._known_rater(name) is not None:
                self.rater.setEditText(name)
                self.info.setText(self.tr("Welcome back, {name}: press Enter or Start scoring "
                                          "to go on where you stopped.").format(name=name))

    def close_study(self) -> None:
        """Write what is pending and let go of the file; safe to call twice."""
        if self.session is not None:
            self._flush_typing()
            with report_errors(self):
                self.session.flush()
        self.session = None
        if self.db is not None:
            self.db.close()
            self.db = None
        self._set_scoring_visible(False)

    @Slot()
    def _on_open_button_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, self.tr("Open a study file"), "",
            self.tr("RadVal study (*.db *.sqlite);;All files (*)"))
        if name:
            with report_errors(self):
                self.open_file(Path(name))

    def _known_rater(self, name: str) -> Rater | None:
        if self.db is None or not name.strip():
            return None
        with report_errors(self):
            return find_rater(self.db, name)
        return None

    @Slot(str)
    def _on_rater_edit_text_changed(self, text: str) -> None:
        rater = self._known_rater(text)
        if rater is not None:
            self.level.setCurrentIndex(max(self.level.findData(rater.level), 0))
            self.level.setEnabled(False)
            self.level.setToolTip(self.tr("Set by your study lead."))
        elif not self.level.isEnabled():  # it showed another rater's level: not this one's
            self.level.setEnabled(True)
            self.level.setCurrentIndex(-1)
            self.level.setToolTip("")

    @Slot()
    def _on_start_button_clicked(self) -> None:
        with report_errors(self):
            self.start(self.rater.currentText(), self.level.currentData())

    def start(self, rater_name: str, level: str) -> None:
        """Start scoring as this rater: one the lead added keeps the lead's level; a new
        one must have chosen theirs."""
        if self.db is None or self.study.currentData() is None:
            self.show_error(self.tr("Open a study file first."))
            return
        rater = self._known_rater(rater_name)
        if rater is None:
            if level not in LEVELS:
                self.show_error(self.tr(
                    "Choose your level (junior, intermediate or senior) before you start; "
                    "your study lead can tell you which."))
                self.level.setFocus()
                return
            rater = save_rater(self.db, rater_name, level)
        self.session = ScoringSession(self.db, self.study.currentData(), rater, self.path)
        if not self.session.items:
            self.show_error(self.tr("This study has no impressions to score."))
            return
        self.show_error("")
        self.info.setText("")
        self._remember()
        self.reference.setVisible(self.session.study.show_reference)
        self.reference_label.setVisible(self.session.study.show_reference)
        self._set_scoring_visible(True)
        self._show()
        self.editor.focus_score()

    def _set_scoring_visible(self, visible: bool) -> None:
        self.body.setVisible(visible)

    # --- showing ----------------------------------------------------------------------

    def _show(self) -> None:
        session = self.session
        assert session is not None
        item = session.item
        self.header.setText(self.tr(
            "Case {case} of {cases} · impression {candidate} of {candidates} · {system} "
            "{modality}").format(
                case=item.case_number, cases=session.items[-1].case_number,
                candidate=item.candidate_number, candidates=item.candidates_in_case,
                system=body_system_names().get(item.body_system, item.body_system),
                modality=item.modality).strip())
        if self.findings.toPlainText() != item.findings:
            self.findings.setPlainText(item.findings)
        self.reference.setPlainText(item.reference_impression)
        if self.impression.toPlainText() != item.text:
            self.impression.setPlainText(item.text)
        self.metrics.blockSignals(True)
        self.metrics.clear()
        for metric in METRICS:
            answer = session.answer_for(session.index, metric.key)
            band = metric.band(answer.score) if answer.score is not None else 0
            # Both languages, as the band buttons and the metric's name beside it.
            shown = ("NA" if answer.na else "—" if answer.score is None
                     else f"{answer.score} ({metric.bands[band]} {metric.bands_zh[band]})")
            self.metrics.addItem(f"{metric.name} {metric.name_zh}: {shown}")
        self.metrics.setCurrentRow(session.metric_index)
        self.metrics.blockSignals(False)
        self.editor.show_metric(session.metric, session.current_answer())
        done, total = session.progress()
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        if done == total:
            self.info.setText(self.tr(
                "All {total} answers are given: you have finished this study. You can still "
                "revise any answer. Then close RadVal and send this file back to your study "
                "lead, who merges it with the other raters' files: {path}").format(
                    total=total, path=self.path))

    def _flush_typing(self) -> bool:
        """Give what was typed but not yet entered (a score, reasons) before moving on;
        False when the score was refused and the view should stay (issue 19)."""
        if not self.editor.flush_score():
            return False
        self.editor.flush_explanation()
        return True

    def _navigate(self, action: str) -> None:
        if self.session is None or not self._flush_typing():
            return
        with report_errors(self):
            getattr(self.session, action)()
        self._show()
        self.editor.focus_score()

    # --- answers ----------------------------------------------------------------------

    def _answer(self, change: str, *args: object) -> None:
        if self.session is None:
            return
        self.editor.flush_explanation()  # typed reasons first: _show() redraws the box
        with report_errors(self):
            getattr(self.session, change)(*args)
            if not self.session.pending:
                self.show_error("")
        self._show()  # the value stays on screen even when the write failed

    @Slot(object)
    def _on_editor_score_given(self, score: int | None) -> None:
        self._answer("set_score", score)

    @Slot(bool)
    def _on_editor_na_toggled(self, na: bool) -> None:
        self._answer("set_na", na)
        self.editor.focus_score()  # Enter there moves on, as after a score

    @Slot()
    def _on_editor_quote_requested(self) -> None:
        # Qt gives a selection's line breaks as U+2029.
        text = self.impression.textCursor().selectedText().replace("\u2029", "\n")
        if not text.strip():
            self.show_error(self.tr("Select text in the impression first (Alt+I, then "
                                    "Shift+arrows)."))
            return
        self._answer("add_quote", text)

    @Slot(int)
    def _on_editor_quote_removed(self, row: int) -> None:
        self._answer("remove_quote", row)

    @Slot(str)
    def _on_editor_explanation_edited(self, text: str) -> None:
        if self.session is not None:
            with report_errors(self):
                self.session.set_explanation(text)

    @Slot()
    def _on_editor_committed(self) -> None:
        if self.session is not None and self.session.current_answer().answered:
            self._navigate("next_metric")

    @Slot(int)
    def _on_metrics_current_row_changed(self, row: int) -> None:
        if self.session is not None and row >= 0:
            if not self._flush_typing():
                self._show()  # back to the row of the refused score
                return
            with report_errors(self):
                self.session.go(self.session.index, row)
            self._show()
