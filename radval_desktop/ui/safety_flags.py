"""The safety flags under the impression: a list to read and dismiss, spans highlighted."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QCoreApplication, Qt, Signal, Slot
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from radval_desktop.safety.checks import TITLES, Flag, Span
from radval_desktop.workers.sentences import translated

# Amber for every open flag, a stronger orange for the one selected in the list.
_OPEN = QColor("#ffe08a")
_SELECTED = QColor("#ffb74d")


def highlight(box: QPlainTextEdit, spans: Iterable[tuple[Span, QColor]]) -> None:
    """Mark spans as extra selections: the text and the undo stack stay untouched."""
    selections = []
    length = len(box.toPlainText())
    for span, color in spans:
        if span.end > length:
            continue  # the text changed since the check ran; the next run redraws
        selection = QTextEdit.ExtraSelection()
        cursor = QTextCursor(box.document())
        cursor.setPosition(span.start)
        cursor.setPosition(span.end, QTextCursor.MoveMode.KeepAnchor)
        selection.cursor = cursor  # type: ignore[attr-defined]
        fmt = QTextCharFormat()
        fmt.setBackground(color)
        selection.format = fmt  # type: ignore[attr-defined]
        selections.append(selection)
    box.setExtraSelections(selections)


def flag_title(kind: str) -> str:
    """The flag's kind in the window's language (safety.checks.TITLES is the English)."""
    return QCoreApplication.translate("FlagTitles", TITLES[kind])


def flag_reason(flag: Flag) -> str:
    """The flag's reason in the window's language. A Chinese window names the concept as the
    report words it (磨玻璃影) rather than by the term list's English id (ground glass):
    workers.sentences.translated does that for every flag sentence."""
    if not flag.template:
        return flag.reason
    values = dict(flag.values)
    if "where" in values:
        values["where"] = QCoreApplication.translate("FlagReasons", values["where"])
    return translated("FlagReasons", flag.template, values, flag.reason)


class FlagList(QWidget):
    """Shows the open flags; Dismiss hides one until the findings or the draft change."""

    flag_dismissed = Signal(object)  # Flag
    selection_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._flags: list[Flag] = []
        self._dismissed: set[str] = set()
        self._title = QLabel(objectName="draft.flags_title")
        self._list = QListWidget(objectName="draft.flags")
        self._list.setMaximumHeight(96)
        self._dismiss = QPushButton(self.tr("Dismiss flag"), objectName="draft.dismiss_flag")
        self._dismiss.setToolTip(self.tr("The flag is wrong for this case; the dismissal is "
                                         "kept in the history with the draft."))
        row = QHBoxLayout()
        row.addWidget(self._title, 1)
        row.addWidget(self._dismiss)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self._list)
        self._dismiss.clicked.connect(self.dismiss_selected)
        self._list.currentRowChanged.connect(self._on_list_current_row_changed)
        self._refresh()

    def set_flags(self, flags: Iterable[Flag]) -> None:
        self._flags = list(flags)
        self._refresh()

    def set_dismissed(self, keys: Iterable[str]) -> None:
        self._dismissed = set(keys)
        self._refresh()

    def open_flags(self) -> list[Flag]:
        return [f for f in self._flags if f.key not in self._dismissed]

    def selected(self) -> Flag | None:
        item = self._list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    @Slot()
    def dismiss_selected(self) -> None:
        flag = self.selected() or next(iter(self.open_flags()), None)
        if flag is None:
            return
        self._dismissed.add(flag.key)
        self._refresh()
        self.flag_dismissed.emit(flag)

    def _refresh(self) -> None:
        flags = self.open_flags()
        self._list.clear()
        for flag in flags:
            reason = flag_reason(flag)
            item = QListWidgetItem(self.tr("⚠ {title}: {reason}").format(
                title=flag_title(flag.kind), reason=reason))
            item.setData(Qt.ItemDataRole.UserRole, flag)
            item.setToolTip(reason)
            self._list.addItem(item)
        count = len(flags)
        self._title.setText(
            self.tr("Safety checks: {count} to look at before copying").format(count=count)
            if count else self.tr("Safety checks: nothing flagged"))
        self._list.setVisible(bool(count))
        self._dismiss.setEnabled(bool(count))
        self.selection_changed.emit()

    @Slot(int)
    def _on_list_current_row_changed(self, _row: int) -> None:
        self.selection_changed.emit()

    def spans(self) -> tuple[list[tuple[Span, QColor]], list[tuple[Span, QColor]]]:
        """(findings, impression) spans of the open flags with their colours."""
        selected = self.selected()
        findings: list[tuple[Span, QColor]] = []
        impression: list[tuple[Span, QColor]] = []
        for flag in self.open_flags():
            color = _SELECTED if flag == selected else _OPEN
            findings += [(s, color) for s in flag.findings_spans]
            impression += [(s, color) for s in flag.impression_spans]
        return findings, impression
