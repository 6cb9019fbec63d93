"""The Settings dialog: sources shown, IT's locks honoured, a non-GGUF model file refused."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QCheckBox, QLabel, QLineEdit, QSpinBox
from pytestqt.qtbot import QtBot

from radval_desktop import paths
from radval_desktop.config import load_settings
from radval_desktop.ui.settings_dialog import SettingsDialog


def _dialog(qtbot: QtBot) -> SettingsDialog:
    dialog = SettingsDialog(load_settings())
    qtbot.addWidget(dialog)
    return dialog


def test_values_it_locked_are_disabled_and_name_their_file(qtbot: QtBot, radval_home: Path
                                                           ) -> None:
    system = paths.system_config_file()
    system.parent.mkdir(parents=True, exist_ok=True)
    system.write_text("[history]\nretention_days = 30\n", encoding="utf-8")
    dialog = _dialog(qtbot)
    retention = dialog.findChild(QSpinBox, "settings.history.retention_days")
    assert retention.value() == 30
    assert not retention.isEnabled()
    source = dialog.findChild(QLabel, "settings.source.history.retention_days")
    assert source.text() == f"set by IT in {system}"
    assert dialog.findChild(QSpinBox, "settings.model.n_ctx").isEnabled()
    assert dialog.findChild(QLabel, "settings.source.model.n_ctx").text() == "default"


def test_changed_values_are_saved_to_the_user_file(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot)
    dialog.findChild(QSpinBox, "settings.model.n_ctx").setValue(8192)
    assert dialog.apply()
    assert dialog.settings["model.n_ctx"] == 8192
    assert dialog.settings.sources["model.n_ctx"] == str(paths.user_config_file())
    assert load_settings()["model.n_ctx"] == 8192


def test_a_model_file_that_is_not_gguf_is_refused(qtbot: QtBot, tmp_path: Path) -> None:
    junk = tmp_path / "model.gguf"
    junk.write_bytes(b"PK\x03\x04 a zip, not a model" * 10)
    dialog = _dialog(qtbot)
    dialog.findChild(QLineEdit, "settings.model.path.edit").setText(str(junk))
    assert not dialog.apply()
    assert "not a GGUF model" in dialog.message_text()
    assert load_settings()["model.path"] == ""


def test_examples_and_safety_checks_can_be_set_in_the_dialog(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot)
    examples = dialog.findChild(QSpinBox, "settings.drafting.examples")
    safety = dialog.findChild(QCheckBox, "settings.safety.enabled")
    assert examples.value() == 3  # on since issue 15; 0 turns past examples off
    assert safety.isChecked()
    examples.setValue(0)
    safety.setChecked(False)
    assert dialog.apply()
    saved = load_settings()
    assert saved["drafting.examples"] == 0
    assert saved["safety.enabled"] is False
