"""The Draft view: findings in, impression streamed out, Stop, Regenerate, checks and Copy."""

from __future__ import annotations

import itertools

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from radval_desktop.drafting import CORPUS, STARTER, DraftRequest, DraftResult
from radval_desktop.engine.sampling import Sampling, retry_sampling
from radval_desktop.errors import SENTENCES
from radval_desktop.findings import (
    clean_findings,
    detect_language,
    suggest_body_system,
    suggest_modality,
)
from radval_desktop.prompts import BODY_SYSTEMS, MODALITIES
from radval_desktop.safety.checks import Flag, run_checks
from radval_desktop.safety.retrieval import DEFAULT_BUDGET_CHARS, DEFAULT_K, ExampleCorpus
from radval_desktop.store.history import DraftRecord
from radval_desktop.ui.corpus_notice import CorpusNotice
from radval_desktop.ui.errors import report_errors
from radval_desktop.ui.i18n import body_system_names
from radval_desktop.ui.safety_flags import FlagList, highlight
from radval_desktop.workers.inference import InferenceService
from radval_desktop.workers.sentences import translated

_GENERATE_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
# Checks take well under a millisecond (bench/safety_checks.py); the pause only keeps the
# highlights from flickering while the radiologist types.
_CHECK_DELAY_MS = 250


class DraftPanel(QWidget):
    """Shows and forwards only: drafting is the core's, run by the InferenceService."""

    draft_completed = Signal(object, object)  # DraftRequest, DraftResult
    text_copied = Signal(str)
    flag_dismissed = Signal(object)  # safety.checks.Flag

    def __init__(self, service: InferenceService, sampling: Sampling,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self.sampling = sampling
        # drafting.template and drafting.language from Settings; None/"auto" = the model
        # card's template (or the file's default) and the findings' own language.
        self.template_id: str | None = None
        self.language = "auto"
        self._ids = itertools.count(1)
        self._current: int | None = None  # the request whose tokens are shown
        self._last_request: DraftRequest | None = None
        self._regenerations = 0
        self._system_chosen = self._modality_chosen = False
        self._model_state = "loading"
        self._corpus: ExampleCorpus | None = None
        self._examples_k, self._examples_chars = DEFAULT_K, DEFAULT_BUDGET_CHARS
        self._safety = True
        self._build()
        self._connect()
        self._update_buttons()

    # --- building ----------------------------------------------------------------------

    def _build(self) -> None:
        names = body_system_names()
        self._findings = QPlainTextEdit(objectName="draft.findings")
        self._findings.setPlaceholderText(self.tr("Paste the FINDINGS section of the report here."))
        self._body_system = QComboBox(objectName="draft.body_system")
        for key in BODY_SYSTEMS:
            self._body_system.addItem(names.get(key, key), key)
        self._modality = QComboBox(objectName="draft.modality")
        for key in MODALITIES:
            self._modality.addItem(key, key)
        self._language = QLabel(objectName="draft.language")
        self._generate = QPushButton(self.tr("Generate (Ctrl+Enter)"), objectName="draft.generate")
        self._stop = QPushButton(self.tr("Stop (Esc)"), objectName="draft.stop")
        self._regenerate = QPushButton(self.tr("Regenerate"), objectName="draft.regenerate")
        self._copy = QPushButton(self.tr("Copy to clipboard"), objectName="draft.copy")
        self._message = QLabel(objectName="draft.message", textFormat=Qt.TextFormat.PlainText)
        self._message.setWordWrap(True)
        self._message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._impression = QPlainTextEdit(objectName="draft.impression")
        self._impression.setPlaceholderText(
            self.tr("The impression appears here; edit it before copying."))
        self._use_examples = QCheckBox(self.tr("Use past examples"), objectName="draft.examples")
        self._use_examples.setToolTip(self.tr("Put the most similar accepted impressions of "
                                              "this body system into the prompt, in your "
                                              "institution's style."))
        self._flags = FlagList()
        self._check_timer = QTimer(self, singleShot=True, interval=_CHECK_DELAY_MS)

        pickers = QHBoxLayout()
        for label, widget in ((self.tr("Body system"), self._body_system),
                              (self.tr("Modality"), self._modality)):
            pickers.addWidget(QLabel(label))
            pickers.addWidget(widget)
        pickers.addWidget(self._use_examples)
        pickers.addStretch(1)
        pickers.addWidget(self._language)
        buttons = QHBoxLayout()
        for button in (self._generate, self._stop, self._regenerate):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self._copy)
        layout = QVBoxLayout(self)
        # Issue 15: while the example corpus is empty, say so and offer the import.
        self.corpus_notice = CorpusNotice()
        layout.addWidget(self.corpus_notice)
        layout.addWidget(QLabel(self.tr("Findings")))
        layout.addWidget(self._findings, 3)
        layout.addLayout(pickers)
        layout.addLayout(buttons)
        layout.addWidget(self._message)
        layout.addWidget(QLabel(self.tr("Impression")))
        layout.addWidget(self._impression, 2)
        layout.addWidget(self._flags)
        self._update_language()

    def _connect(self) -> None:
        self._findings.textChanged.connect(self._on_findings_changed)
        self._body_system.activated.connect(self._on_body_system_activated)
        self._modality.activated.connect(self._on_modality_activated)
        self._generate.clicked.connect(self.generate)
        self._stop.clicked.connect(self.stop)
        self._regenerate.clicked.connect(self.regenerate)
        self._copy.clicked.connect(self.copy)
        self._impression.textChanged.connect(self._update_buttons)
        self._impression.textChanged.connect(self._check_timer.start)
        self._findings.textChanged.connect(self._check_timer.start)
        self._check_timer.timeout.connect(self.run_checks)
        self._flags.flag_dismissed.connect(self.flag_dismissed)
        self._flags.flag_dismissed.connect(self._show_highlights)
        self._flags.selection_changed.connect(self._show_highlights)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.generate,
                      context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.stop,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        # Key events sent straight to a text box (no active window, as in tests or some
        # remote desktops) never reach the shortcut map: catch them on the boxes too.
        self._findings.installEventFilter(self)
        self._impression.installEventFilter(self)
        service = self._service
        service.token_generated.connect(self._on_service_token_generated)
        service.draft_restarted.connect(self._on_service_draft_restarted)
        service.draft_finished.connect(self._on_service_draft_finished)
        service.draft_failed.connect(self._on_service_draft_failed)
        service.draft_cancelled.connect(self._on_service_draft_cancelled)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            ctrl = event.modifiers() & Qt.KeyboardModifier.ControlModifier
            if ctrl and event.key() in _GENERATE_KEYS:
                self.generate()
                return True
            if event.key() == Qt.Key.Key_Escape and self.is_generating():
                self.stop()
                return True
        return super().eventFilter(watched, event)

    # --- what the user does ------------------------------------------------------------

    def set_findings(self, text: str) -> None:
        self._findings.setPlainText(text)

    def findings_text(self) -> str:
        return self._findings.toPlainText()

    def impression_text(self) -> str:
        return self._impression.toPlainText()

    def is_generating(self) -> bool:
        return self._current is not None

    def current_request_id(self) -> int | None:
        return self._current

    @Slot()
    def generate(self) -> None:
        with report_errors(self):
            request = DraftRequest(
                clean_findings(self.findings_text()), self._body_system.currentData(),
                self._modality.currentData(), self.language, self.template_id,
                examples_k=self._examples_k if self.examples_enabled() else 0,
                examples_chars=self._examples_chars)
            self._regenerations = 0
            self._start(request, self.sampling)

    @Slot()
    def regenerate(self) -> None:
        """Draft the last request again off the greedy path, so the radiologist sees another
        wording (with the same settings, a greedy model would repeat itself word for word)."""
        with report_errors(self):
            if self._last_request is None:
                self.generate()
                return
            self._regenerations += 1
            self._start(self._last_request, retry_sampling(self.sampling, self._regenerations))

    def _start(self, request: DraftRequest, sampling: Sampling) -> None:
        if self._current is not None:
            self._service.cancel(self._current)
        self._current = next(self._ids)
        self._last_request = request
        self._flags.set_dismissed(())
        self._impression.clear()
        self._impression.setReadOnly(True)  # the stream writes here until it ends
        if self._model_state == "loading":
            self.show_info(self.tr("The model is still loading; the draft starts as soon as it "
                                   "is ready."))
        else:
            self.show_info(self.tr("Drafting…"))
        self._update_buttons()
        self._service.generate(self._current, request, sampling)

    @Slot()
    def stop(self) -> None:
        if self._current is not None:
            self._service.cancel(self._current)

    @Slot()
    def copy(self) -> None:
        text = self.impression_text().strip()
        if not text:
            self.show_error(self.tr("There is no impression to copy yet."))
            return
        QGuiApplication.clipboard().setText(text)
        open_flags = len(self._flags.open_flags()) if self._safety else 0
        still_open = ("" if not open_flags
                      else self.tr(" 1 safety flag was still open.") if open_flags == 1
                      else self.tr(" {count} safety flags were still open.").format(
                          count=open_flags))
        self.show_info(self.tr("Copied: paste it into the reporting system.") + still_open)
        self.text_copied.emit(text)

    def show_record(self, record: DraftRecord) -> None:
        """Reopen a draft from the history, as it was last copied (or drafted)."""
        if self._current is not None:
            self._service.cancel(self._current)
            self._finish_request()
        self._findings.setPlainText(record.findings)
        self._select(self._body_system, record.body_system)
        self._select(self._modality, record.modality)
        self._system_chosen = self._modality_chosen = True
        self._impression.setPlainText(record.impression)
        self.run_checks()
        self._last_request = None
        self.show_info(self.tr("Reopened the draft of {when} UTC.").format(
            when=record.created_at[:16].replace("T", " ")))

    # --- examples and safety checks (issue 8) -----------------------------------------

    def set_corpus(self, corpus: ExampleCorpus | None, k: int, budget_chars: int) -> None:
        """Where examples come from (None: no history, so no corpus) and how many; k = 0
        leaves the switch off, checking it then uses the default k."""
        self._corpus = corpus
        self._examples_k = k if k > 0 else DEFAULT_K
        self._examples_chars = budget_chars
        self._use_examples.setEnabled(corpus is not None)
        self._use_examples.setChecked(corpus is not None and k > 0)

    def examples_enabled(self) -> bool:
        return self._use_examples.isChecked() and self._corpus is not None

    def set_safety_enabled(self, enabled: bool) -> None:
        self._safety = enabled
        self._flags.setVisible(enabled)
        self.run_checks()

    def set_dismissed_flags(self, keys: list[str]) -> None:
        self._flags.set_dismissed(keys)

    def open_flags(self) -> list[Flag]:
        return self._flags.open_flags() if self._safety else []

    @Slot()
    def run_checks(self) -> None:
        """Check the impression against the findings; never while the stream writes."""
        self._check_timer.stop()
        impression = self.impression_text()
        flags = (run_checks(self.findings_text(), impression)
                 if self._safety and self._current is None else [])
        self._flags.set_flags(flags)

    @Slot()
    def _show_highlights(self) -> None:
        findings, impression = self._flags.spans() if self._safety else ([], [])
        highlight(self._findings, findings)
        highlight(self._impression, impression)

    def set_model_state(self, state: str) -> None:
        """"loading", "ready" or "failed"; Generate stays available and simply waits."""
        self._model_state = state

    # --- messages ----------------------------------------------------------------------

    def show_error(self, text: str) -> None:
        self._message.setStyleSheet("color: #b00020;")
        self._message.setText(text)

    def show_info(self, text: str) -> None:
        self._message.setStyleSheet("")
        self._message.setText(text)

    def message_text(self) -> str:
        return self._message.text()

    # --- what the user types -----------------------------------------------------------

    @Slot()
    def _on_findings_changed(self) -> None:
        text = self.findings_text()
        if not text.strip():
            self._system_chosen = self._modality_chosen = False
        self._update_language()
        if not self._system_chosen:
            self._select(self._body_system, suggest_body_system(text))
        if not self._modality_chosen:
            self._select(self._modality, suggest_modality(text))
        self._update_buttons()

    @Slot(int)
    def _on_body_system_activated(self, _index: int) -> None:
        self._system_chosen = True

    @Slot(int)
    def _on_modality_activated(self, _index: int) -> None:
        self._modality_chosen = True

    def _update_language(self) -> None:
        text = self.findings_text()
        # Each language also in its own script, as language menus name them.
        names = {"en": self.tr("English"), "zh": self.tr("中文 (Chinese)")}
        name = names[detect_language(text)] if text.strip() else "—"
        self._language.setText(self.tr("Language: {name}").format(name=name))

    @staticmethod
    def _select(combo: QComboBox, key: str | None) -> None:
        index = combo.findData(key) if key else -1
        if index >= 0:
            combo.setCurrentIndex(index)

    def _update_buttons(self) -> None:
        busy = self._current is not None
        has_text = bool(self.impression_text().strip())
        self._stop.setEnabled(busy)
        self._regenerate.setEnabled(not busy and self._last_request is not None)
        self._copy.setEnabled(not busy and has_text)

    def _finish_request(self) -> None:
        self._current = None
        self._impression.setReadOnly(False)
        self._update_buttons()

    # --- what the worker reports (stale request ids are ignored) ---------------------

    @Slot(int, str)
    def _on_service_token_generated(self, request_id: int, text: str) -> None:
        if request_id != self._current:
            return
        cursor = QTextCursor(self._impression.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)

    @Slot(int, int, str)
    def _on_service_draft_restarted(self, request_id: int, attempt: int, reason: str) -> None:
        if request_id != self._current:
            return
        self._impression.clear()
        what = {"empty": self.tr("The draft came out empty; trying again (attempt {n})…"),
                "restated": self.tr("The draft only restated the findings; trying again "
                                    "(attempt {n})…"),
                "contradicts": self.tr("The draft contradicted the findings; trying again "
                                       "(attempt {n})…"),
                "ran_on": self.tr("The draft ran on longer than an impression; trying again "
                                  "(attempt {n})…")}.get(
            reason, self.tr("The draft repeated itself; trying again (attempt {n})…"))
        self.show_info(what.format(n=attempt + 1))

    @Slot(int, object)
    def _on_service_draft_finished(self, request_id: int, result: DraftResult) -> None:
        if request_id != self._current:
            return
        request = self._last_request
        self._impression.setPlainText(result.text)
        self._finish_request()
        self.run_checks()
        if result.ok:
            self.show_info(self.tr("Draft ready: check and edit it, then Copy.")
                           + _examples_note(result))
        else:
            self.show_error(result_message(result))
        self.draft_completed.emit(request, result)

    @Slot(int, str)
    def _on_service_draft_failed(self, request_id: int, sentence: str) -> None:
        if request_id != self._current:
            return
        self._finish_request()
        self.show_error(sentence)

    @Slot(int)
    def _on_service_draft_cancelled(self, request_id: int) -> None:
        if request_id != self._current:
            return
        self._finish_request()
        self.show_info(self.tr("Stopped. The text so far can be edited or regenerated."))


def _examples_note(result: DraftResult) -> str:
    """What the draft was shown, so the radiologist knows whose style it follows."""
    count = len(result.examples)
    if result.example_source == CORPUS:
        note = (QCoreApplication.translate("DraftPanel", " Based on 1 similar past report.")
                if count == 1 else QCoreApplication.translate(
                    "DraftPanel", " Based on {count} similar past reports.").format(count=count))
    elif result.example_source == STARTER:
        note = QCoreApplication.translate(
            "DraftPanel", " Based on RadVal's starter examples (no similar past report).")
    else:
        note = ""
    # The prompt's note (examples left out, the plain layout), each part translated.
    if result.prompt_note_words:
        parts = [translated(w.context, w.template, w.values, str(w))
                 for w in result.prompt_note_words]
        return note + QCoreApplication.translate("DraftPanel", " ({note})").format(
            note=QCoreApplication.translate("DraftPanel", "; ").join(parts))
    return note + (f" ({result.prompt_note})" if result.prompt_note else "")


def result_message(result: DraftResult) -> str:
    """Why a draft is not usable, in the window's language."""
    if not result.message_template:
        return result.message
    return translated(SENTENCES, result.message_template, result.message_values, result.message)
