"""One questionnaire metric on screen: 0-100 score with its five bands, NA, quotes, reasons."""

from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFocusEvent, QKeyEvent, QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from radval_desktop.store.reader_study import SCORE_MAX, SCORE_MIN, Answer
from radval_desktop.study.questionnaire import BANDS, Metric, band_range_text
from radval_desktop.ui.i18n import CHINESE, current_language

NO_SCORE = -1  # the spin box's special value: shown as "—", meaning not scored yet
# Typed reasons are written at most this long after a keystroke, even while the rater keeps
# typing (issue 19: a 0.4 s pause-to-save lost what was typed right before a crash); ten
# small commits a second at most.
EXPLANATION_DELAY_MS = 100
_DIGITS = re.compile(r"\d{1,9}")
_BAND_STYLE = "QLabel {{ border: 1px solid #b8c2cc; border-radius: 4px; padding: 3px; {} }}"
_CURRENT_BAND = "background: #1f6feb; color: white; font-weight: bold;"


def refusal(typed: str) -> str:
    return QCoreApplication.translate(
        "ScoreBox", "{typed} is not a score; a score is {low} to {high}. Nothing was saved: "
        "type the score again.").format(typed=typed, low=SCORE_MIN, high=SCORE_MAX)


class ScoreBox(QSpinBox):
    """A spin box that says when Return was pressed, so the view can move on, and refuses
    a number out of range with a sentence (issue 19: "105" was cut to 10 and saved)."""

    committed = Signal()
    refused = Signal(str)

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        # Let any number be typed in full, so that Return can refuse it by name; Qt's own
        # validator dropped the keystroke that took it past 100.
        if _DIGITS.fullmatch(text.strip()) and int(text) > self.maximum():
            return QValidator.State.Intermediate, text, pos
        return super().validate(text, pos)

    def out_of_range(self) -> str | None:
        """The typed text when it is a number no score can be, else None."""
        text = self.text().strip()
        if _DIGITS.fullmatch(text) and not SCORE_MIN <= int(text) <= SCORE_MAX:
            return text
        return None

    def commit_typed(self) -> bool:
        """Take what was typed as the value (emitting valueChanged); False, with a sentence
        sent, when it is out of range."""
        typed = self.out_of_range()
        if typed is not None:
            self.refused.emit(refusal(typed))
            self.selectAll()
            return False
        self.interpretText()
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.commit_typed():
                self.committed.emit()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt API)
        self.commit_typed()  # Qt would silently put the old value back
        super().focusOutEvent(event)


class MetricEditor(QWidget):
    score_given = Signal(object)  # int 0-100, or None when cleared
    score_refused = Signal(str)  # a sentence: what was typed is no score
    na_toggled = Signal(bool)
    quote_requested = Signal()
    quote_removed = Signal(int)
    explanation_edited = Signal(str)
    committed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._showing = False  # True while show_metric fills the widgets: no signals out
        self.title = QLabel(objectName="scoring.metric_title")
        self.title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.question = QLabel(objectName="scoring.question", wordWrap=True)
        # The paper's definition of the metric (Fig. 9), under the question.
        self.definition = QLabel(objectName="scoring.definition", wordWrap=True,
                                 textFormat=Qt.TextFormat.PlainText)
        self.definition.setStyleSheet("color: #333; font-size: 9pt;")
        self.score = ScoreBox(objectName="scoring.score")
        self.score.setRange(NO_SCORE, 100)
        self.score.setSpecialValueText("—")
        self.score.setKeyboardTracking(False)  # one answer per typed number, not per digit
        self.score.setMinimumWidth(90)
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName="scoring.slider")
        self.slider.setRange(0, 100)
        self.slider.setPageStep(20)  # PageUp/PageDown move one band
        self.slider.setTracking(False)  # dragging writes once, on release
        score_label = QLabel(self.tr("&Score (0–100):"))
        score_label.setBuddy(self.score)
        self.bands = [QLabel(objectName=f"scoring.band.{i}", wordWrap=True,
                             alignment=Qt.AlignmentFlag.AlignCenter) for i in range(len(BANDS))]
        self.na = QCheckBox(self.tr("NA — not applicable (Alt+N)"), objectName="scoring.na")
        self.hint = QLabel(wordWrap=True, objectName="scoring.q2",
                           textFormat=Qt.TextFormat.PlainText)
        self.hint.setStyleSheet("color: #555;")
        self.quotes = QListWidget(objectName="scoring.quotes")
        self.quotes.setMaximumHeight(70)
        self.quote_button = QPushButton(self.tr("Quote selection (Alt+Q)"),
                                        objectName="scoring.quote")
        self.remove_quote = QPushButton(self.tr("Remove quote"),
                                        objectName="scoring.remove_quote")
        self.explanation = QPlainTextEdit(objectName="scoring.explanation")
        self.explanation.setTabChangesFocus(True)
        self.explanation.setPlaceholderText(self.tr("One reason a line"))
        self.explanation.setMaximumHeight(90)
        explanation_label = QLabel(self.tr("&Explanation:"))
        explanation_label.setBuddy(self.explanation)
        self._timer = QTimer(self, singleShot=True, interval=EXPLANATION_DELAY_MS)
        self._layout(score_label, explanation_label)
        self._connect()

    def _layout(self, score_label: QLabel, explanation_label: QLabel) -> None:
        row = QHBoxLayout()
        row.addWidget(score_label)
        row.addWidget(self.score)
        row.addWidget(self.slider, 1)
        bands = QGridLayout()
        for i, label in enumerate(self.bands):
            bands.addWidget(label, 0, i)
        quote_row = QHBoxLayout()
        quote_row.addWidget(self.quote_button)
        quote_row.addWidget(self.remove_quote)
        quote_row.addStretch(1)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        for item in (self.title, self.question, self.definition, row, bands, self.na,
                     self.hint, quote_row, self.quotes, explanation_label, self.explanation):
            if isinstance(item, QWidget):
                box.addWidget(item)
            else:
                box.addLayout(item)
        box.addStretch(1)  # keep the controls together at the top, not spread apart

    def _connect(self) -> None:
        self.score.valueChanged.connect(self._on_score_value_changed)
        self.score.committed.connect(self.committed.emit)
        self.score.refused.connect(self.score_refused.emit)
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.na.toggled.connect(self._on_na_toggled)
        self.quote_button.clicked.connect(self.quote_requested.emit)
        self.remove_quote.clicked.connect(self._on_remove_quote_clicked)
        self.explanation.textChanged.connect(self._on_explanation_text_changed)
        self._timer.timeout.connect(self.flush_explanation)

    def show_metric(self, metric: Metric, answer: Answer) -> None:
        self._showing = True
        try:
            self._timer.stop()
            self.title.setText(f"{metric.name} {metric.name_zh}")
            self.question.setText(f"{metric.question}\n{metric.question_zh}")
            self.definition.setText(f"{metric.definition}\n{metric.definition_zh}")
            self.hint.setText(f"{metric.q2}\n{metric.q2_zh}")
            self.explanation.setPlaceholderText(self.tr(
                "One reason a line — quote the {part} first (Alt+Q)").format(
                    part=metric.quote_part_zh if current_language() == CHINESE
                    else metric.quote_part))
            for i, label in enumerate(self.bands):
                label.setText(f"{band_range_text(i)}\n{metric.bands[i]}\n{metric.bands_zh[i]}")
            self.score.setValue(NO_SCORE if answer.score is None else answer.score)
            self.slider.setValue(answer.score or 0)
            self.na.setChecked(answer.na)
            self.quotes.clear()
            self.quotes.addItems(list(answer.quotes))
            if self.explanation.toPlainText().strip() != answer.explanation:
                self.explanation.setPlainText(answer.explanation)
            self._highlight(metric, answer)
        finally:
            self._showing = False

    def _highlight(self, metric: Metric, answer: Answer) -> None:
        current = None if answer.score is None or answer.na else metric.band(answer.score)
        for i, label in enumerate(self.bands):
            label.setStyleSheet(_BAND_STYLE.format(_CURRENT_BAND if i == current else ""))

    def focus_score(self) -> None:
        self.score.setFocus()
        self.score.selectAll()  # typing replaces the old number

    def flush_score(self) -> bool:
        """Hand over a typed score not yet given (before moving on); False when it was
        refused, and the view should stay."""
        if self._showing or self.score.text() == self.score.specialValueText():
            return True
        return self.score.commit_typed()

    @Slot()
    def flush_explanation(self) -> None:
        """Hand over typed reasons now (before moving on, and when the timer fires)."""
        self._timer.stop()
        if not self._showing:
            self.explanation_edited.emit(self.explanation.toPlainText())

    @Slot(int)
    def _on_score_value_changed(self, value: int) -> None:
        if not self._showing:
            self.score_given.emit(None if value == NO_SCORE else value)

    @Slot(int)
    def _on_slider_value_changed(self, value: int) -> None:
        if not self._showing:
            self.score.setValue(value)  # the spin box speaks for both

    @Slot(bool)
    def _on_na_toggled(self, checked: bool) -> None:
        if not self._showing:
            self.na_toggled.emit(checked)

    @Slot()
    def _on_remove_quote_clicked(self) -> None:
        row = self.quotes.currentRow()
        if row >= 0:
            self.quote_removed.emit(row)

    @Slot()
    def _on_explanation_text_changed(self) -> None:
        # Not restarted by each keystroke: a steady typist is saved every 0.1 s too.
        if not self._showing and not self._timer.isActive():
            self._timer.start()
