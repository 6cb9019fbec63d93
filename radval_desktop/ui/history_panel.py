"""The History view: search past drafts and reopen one in the Draft view."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from radval_desktop.store.history import DraftRecord, History
from radval_desktop.ui.errors import report_errors
from radval_desktop.ui.i18n import body_system_names

_PREVIEW_CHARS = 90


def _row_text(record: DraftRecord) -> str:
    when = record.created_at[:16].replace("T", " ")
    impression = (" ".join(record.impression.split())[:_PREVIEW_CHARS]
                  or QCoreApplication.translate("HistoryPanel", "(no impression)"))
    findings = " ".join(record.findings.split())[:_PREVIEW_CHARS]
    # The body system in the window's words (胸部), as the Draft tab's choice names it.
    system = body_system_names().get(record.body_system, record.body_system)
    return f"{when}  {system} {record.modality}\n  {impression}\n  {findings}"


class HistoryPanel(QWidget):
    reopen_requested = Signal(object)  # DraftRecord

    def __init__(self, history: History, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._history = history
        self._records: dict[str, DraftRecord] = {}
        self._search = QLineEdit(objectName="history.search")
        self._search.setPlaceholderText(self.tr("Search findings and impressions…"))
        self._search.setClearButtonEnabled(True)
        self._list = QListWidget(objectName="history.list")
        self._open = QPushButton(self.tr("Open in Draft view"), objectName="history.open")
        self._message = QLabel(objectName="history.message", textFormat=Qt.TextFormat.PlainText)
        self._message.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self._search, 1)
        top.addWidget(self._open)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self._message)
        layout.addWidget(self._list, 1)
        self._search.textChanged.connect(self.refresh)
        self._list.itemActivated.connect(self._on_list_item_activated)
        self._open.clicked.connect(self._on_open_clicked)
        self._list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.refresh()

    def set_history(self, history: History) -> None:
        self._history = history
        self.refresh()

    def row_count(self) -> int:
        return self._list.count()

    def show_error(self, text: str) -> None:
        self._message.setStyleSheet("color: #b00020;")
        self._message.setText(text)

    def message_text(self) -> str:
        return self._message.text()

    @Slot()
    def refresh(self) -> None:
        self._list.clear()
        self._records.clear()
        self._message.setStyleSheet("")
        if not self._history.enabled:
            self._message.setText(
                self.tr("History is turned off in Settings; drafts are not kept."))
            self._update_buttons()
            return
        self._message.setText("")
        with report_errors(self):
            records = self._history.search(self._search.text())
            for record in records:
                item = QListWidgetItem(_row_text(record))
                item.setData(Qt.ItemDataRole.UserRole, record.uuid)
                self._records[record.uuid] = record
                self._list.addItem(item)
            if not records:
                self._message.setText(self.tr("No drafts match.") if self._search.text().strip()
                                      else self.tr("No drafts yet."))
        self._update_buttons()

    def _update_buttons(self) -> None:
        self._open.setEnabled(self._list.currentItem() is not None)

    @Slot(QListWidgetItem)
    def _on_list_item_activated(self, item: QListWidgetItem) -> None:
        record = self._records.get(item.data(Qt.ItemDataRole.UserRole))
        if record is not None:
            self.reopen_requested.emit(record)

    @Slot()
    def _on_open_clicked(self) -> None:
        item = self._list.currentItem()
        if item is not None:
            self._on_list_item_activated(item)
