"""The Settings dialog: each value, where it came from, and IT's locked values shown disabled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from radval_desktop.config import DEFAULT_SOURCE, OPTIONS, Settings, save_user_settings
from radval_desktop.engine.gguf_file import read_gguf
from radval_desktop.ui.errors import report_errors

# The settings issue 3 puts in front of the radiologist; the rest stay file-only.
SHOWN_KEYS = (
    "model.path", "model.n_gpu_layers", "model.n_threads", "model.n_ctx",
    "sampling.temperature", "sampling.top_k", "sampling.top_p", "sampling.repeat_penalty",
    "sampling.max_tokens", "sampling.seed", "drafting.examples", "drafting.examples_chars",
    "safety.enabled", "history.enabled", "history.retention_days", "ui.language",
)
# Each shown key's name in the window (the file's key stays in its tooltip).
LABELS = {
    "model.path": QT_TRANSLATE_NOOP("SettingsDialog", "Model file"),
    "model.n_gpu_layers": QT_TRANSLATE_NOOP("SettingsDialog", "GPU layers"),
    "model.n_threads": QT_TRANSLATE_NOOP("SettingsDialog", "Threads"),
    "model.n_ctx": QT_TRANSLATE_NOOP("SettingsDialog", "Context size (tokens)"),
    "sampling.temperature": QT_TRANSLATE_NOOP("SettingsDialog", "Temperature"),
    "sampling.top_k": QT_TRANSLATE_NOOP("SettingsDialog", "Top-k"),
    "sampling.top_p": QT_TRANSLATE_NOOP("SettingsDialog", "Top-p"),
    "sampling.repeat_penalty": QT_TRANSLATE_NOOP("SettingsDialog", "Repeat penalty"),
    "sampling.max_tokens": QT_TRANSLATE_NOOP("SettingsDialog", "Longest draft (tokens)"),
    "sampling.seed": QT_TRANSLATE_NOOP("SettingsDialog", "Random seed"),
    "drafting.examples": QT_TRANSLATE_NOOP("SettingsDialog", "Past examples per draft"),
    "drafting.examples_chars": QT_TRANSLATE_NOOP("SettingsDialog",
                                                 "Most characters of examples"),
    "safety.enabled": QT_TRANSLATE_NOOP("SettingsDialog", "Safety checks before Copy"),
    "history.enabled": QT_TRANSLATE_NOOP("SettingsDialog", "Keep a history of drafts"),
    "history.retention_days": QT_TRANSLATE_NOOP("SettingsDialog", "Keep drafts for (days)"),
    "ui.language": QT_TRANSLATE_NOOP("SettingsDialog", "Window language"),
}
# ui.language's choices: the setting's value and its name (each language in its own words).
LANGUAGE_CHOICES = (("auto", QT_TRANSLATE_NOOP("SettingsDialog", "The system's language")),
                    ("en", "English"), ("zh_CN", "中文（简体）"))
# Spin box ranges: wide enough for any real model, narrow enough to catch a typo.
_INT_RANGES = {
    "model.n_gpu_layers": (-1, 1000), "model.n_threads": (0, 256), "model.n_ctx": (512, 131_072),
    "sampling.top_k": (0, 1000), "sampling.max_tokens": (1, 8192), "sampling.seed": (0, 2**31 - 1),
    "history.retention_days": (0, 36_500), "drafting.examples": (0, 10),
    "drafting.examples_chars": (200, 20_000),
}
_FLOAT_RANGES = {"sampling.temperature": (0.0, 2.0), "sampling.top_p": (0.0, 1.0),
                 "sampling.repeat_penalty": (0.5, 2.0)}


def source_text(settings: Settings, key: str) -> str:
    source = settings.sources[key]
    if key in settings.locked:
        return QCoreApplication.translate("SettingsDialog", "set by IT in {file}").format(
            file=source)
    if source == DEFAULT_SOURCE:
        return QCoreApplication.translate("SettingsDialog", "default")
    return QCoreApplication.translate("SettingsDialog", "from {file}").format(file=source)


class SettingsDialog(QDialog):
    """On OK the changed values go to the user's file; ``settings`` is then the new state."""

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("RadVal settings"))
        self.setObjectName("settings.dialog")
        self.settings = settings
        self._editors: dict[str, QWidget] = {}
        form = QFormLayout()
        for key in SHOWN_KEYS:
            editor = self._editor(key, settings[key])
            editor.setEnabled(key not in settings.locked)
            # The key stays as written in the TOML files; what it does in the window's language.
            editor.setToolTip(self.tr("{key}: {help}").format(
                key=key, help=QCoreApplication.translate("SettingHelp", OPTIONS[key].help)))
            self._editors[key] = editor
            origin = QLabel(source_text(settings, key), objectName=f"settings.source.{key}")
            row = QHBoxLayout()
            row.addWidget(editor, 1)
            row.addWidget(origin)
            form.addRow(QCoreApplication.translate("SettingsDialog", str(LABELS[key])), row)
            if key == "ui.language":
                # Every view builds its texts once: a new language needs a new window.
                note = QLabel(self.tr("The language takes effect at the next start."))
                note.setObjectName("settings.language_note")
                form.addRow("", note)
        self._message = QLabel(objectName="settings.message", textFormat=Qt.TextFormat.PlainText)
        self._message.setWordWrap(True)
        self._message.setStyleSheet("color: #b00020;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self._message)
        layout.addWidget(buttons)

    def _editor(self, key: str, value: Any) -> QWidget:
        kind = OPTIONS[key].type
        if key == "model.path":
            return self._model_picker(str(value))
        if key == "ui.language":
            combo = QComboBox()
            combo.setObjectName(f"settings.{key}")
            for setting, name in LANGUAGE_CHOICES:
                combo.addItem(QCoreApplication.translate("SettingsDialog", str(name)), setting)
            index = combo.findData(str(value))
            if index < 0:  # a value written by hand: shown as it is, kept unless changed
                combo.addItem(str(value), str(value))
                index = combo.count() - 1
            combo.setCurrentIndex(index)
            return combo
        if kind is bool:
            box = QCheckBox(objectName=f"settings.{key}")
            box.setChecked(bool(value))
            return box
        if kind is int:
            spin = QSpinBox(objectName=f"settings.{key}")
            spin.setRange(*_INT_RANGES.get(key, (-(2**31), 2**31 - 1)))
            spin.setValue(int(value))
            return spin
        if kind is float:
            dspin = QDoubleSpinBox(objectName=f"settings.{key}")
            dspin.setDecimals(2)
            dspin.setSingleStep(0.05)
            dspin.setRange(*_FLOAT_RANGES.get(key, (0.0, 1e6)))
            dspin.setValue(float(value))
            return dspin
        return QLineEdit(str(value), objectName=f"settings.{key}")

    def _model_picker(self, value: str) -> QWidget:
        box = QWidget(objectName="settings.model.path")
        self._model_path = QLineEdit(value, objectName="settings.model.path.edit")
        self._model_path.setPlaceholderText(self.tr("empty = the embedded default model"))
        browse = QPushButton(self.tr("Choose…"), objectName="settings.model.path.browse")
        browse.clicked.connect(self._on_browse_clicked)
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self._model_path, 1)
        row.addWidget(browse)
        return box

    def values(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, editor in self._editors.items():
            if key == "model.path":
                result[key] = self._model_path.text().strip()
            elif isinstance(editor, QComboBox):
                result[key] = editor.currentData()
            elif isinstance(editor, QCheckBox):
                result[key] = editor.isChecked()
            elif isinstance(editor, QSpinBox | QDoubleSpinBox):
                result[key] = editor.value()
            elif isinstance(editor, QLineEdit):
                result[key] = editor.text()
        return result

    def changes(self) -> dict[str, Any]:
        return {key: value for key, value in self.values().items()
                if key not in self.settings.locked and value != self.settings[key]}

    def show_error(self, text: str) -> None:
        self._message.setText(text)

    def message_text(self) -> str:
        return self._message.text()

    def apply(self) -> bool:
        """Check and save the changes; False (with the reason shown) when they are refused."""
        self._message.clear()
        changes = self.changes()
        saved = False
        with report_errors(self):
            path = changes.get("model.path")
            if path:
                # The header is read here so a wrong file is refused while the dialog is open,
                # not minutes later when the worker tries to load it.
                read_gguf(Path(path))
            if changes:
                self.settings = save_user_settings(self.settings, changes)
            saved = True
        return saved

    @Slot()
    def _on_buttons_accepted(self) -> None:
        if self.apply():
            self.accept()

    @Slot()
    def _on_browse_clicked(self) -> None:
        start = self._model_path.text() or str(Path.home())
        chosen, _ = QFileDialog.getOpenFileName(self, self.tr("Choose a GGUF model"), start,
                                                self.tr("GGUF models (*.gguf);;All files (*)"))
        if chosen:
            with report_errors(self):
                read_gguf(Path(chosen))
                self._model_path.setText(chosen)
