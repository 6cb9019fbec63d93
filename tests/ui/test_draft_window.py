"""The real window with the real default model: stream, stop, copy, history, a bad model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QComboBox, QLabel, QPlainTextEdit, QPushButton
from pytestqt.qtbot import QtBot

from radval_desktop.ui.main_window import MainWindow

DRAFT_TIMEOUT_MS = 60_000
CHEST_EN = ("CT chest: patchy consolidation in the right lower lobe with air bronchograms. "
            "No pleural effusion. Mediastinal lymph nodes are not enlarged.")
CHEST_ZH = "胸部CT平扫：右肺下叶见斑片状高密度影，边界模糊，内见支气管充气征。双侧胸腔未见积液。"


def _findings(window: MainWindow) -> QPlainTextEdit:
    return window.findChild(QPlainTextEdit, "draft.findings")


def _impression(window: MainWindow) -> QPlainTextEdit:
    return window.findChild(QPlainTextEdit, "draft.impression")


def _draft(qtbot: QtBot, window: MainWindow, findings: str) -> None:
    _findings(window).setPlainText(findings)
    with qtbot.waitSignal(window.service.draft_finished, timeout=DRAFT_TIMEOUT_MS):
        qtbot.keyClick(_findings(window), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def test_ctrl_enter_streams_the_impression_and_fills_the_status_bar(
        qtbot: QtBot, make_window: Callable[..., MainWindow], short_drafts: Path) -> None:
    window = make_window(loaded=False)
    tokens: list[str] = []
    window.service.token_generated.connect(lambda _rid, text: tokens.append(text))
    _findings(window).setPlainText(CHEST_EN)
    # Pressed before the model is ready: the draft waits for the load instead of failing.
    window.load_model()
    with qtbot.waitSignal(window.service.draft_finished, timeout=DRAFT_TIMEOUT_MS):
        qtbot.keyClick(_findings(window), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert "still loading" in window.draft_panel.message_text()
    assert tokens, "no token_generated before draft_finished"
    assert _impression(window).toPlainText().strip()
    # By file and quantization (issue 19), not the GGUF header's "...Instruct AWQ".
    assert "qwen2.5-coder-0.5b-instruct Q4_K_M" in window.status_text("model")
    assert window.status_text("device").startswith("CPU: ")
    device = window.findChild(QLabel, "status.device")
    assert device.toolTip() == device.text()  # all of it on hover when the window is narrow
    assert "tokens/s" in window.status_text("speed")
    assert window.status_text("time").endswith(" s")
    assert window.findChild(QPushButton, "draft.copy").isEnabled()


def test_escape_stops_the_draft_mid_stream(
        qtbot: QtBot, make_window: Callable[..., MainWindow],
        user_config: Callable[..., Path]) -> None:
    user_config(max_tokens=400)
    window = make_window()
    finished: list[int] = []
    window.service.draft_finished.connect(lambda rid, _result: finished.append(rid))
    _findings(window).setPlainText(CHEST_EN)
    with qtbot.waitSignal(window.service.token_generated, timeout=DRAFT_TIMEOUT_MS):
        qtbot.keyClick(_findings(window), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    request_id = window.draft_panel.current_request_id()
    assert window.findChild(QPushButton, "draft.stop").isEnabled()
    with qtbot.waitSignal(window.service.draft_cancelled, timeout=DRAFT_TIMEOUT_MS) as cancelled:
        qtbot.keyClick(_findings(window), Qt.Key.Key_Escape)
    assert cancelled.args == [request_id]
    assert finished == []
    assert window.draft_panel.message_text().startswith("Stopped")
    assert not window.draft_panel.is_generating()
    assert not _impression(window).isReadOnly()


def test_copy_puts_the_edited_text_on_the_clipboard_and_in_history(
        qtbot: QtBot, make_window: Callable[..., MainWindow], short_drafts: Path) -> None:
    window = make_window()
    _draft(qtbot, window, CHEST_EN)
    edited = _impression(window).toPlainText().strip() + " Follow-up CT after treatment."
    _impression(window).setPlainText(edited)
    qtbot.mouseClick(window.findChild(QPushButton, "draft.copy"), Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == edited
    [record] = window.history.recent()
    assert record.copied_text == edited
    assert record.findings == CHEST_EN
    assert record.body_system == "chest"
    assert record.modality == "CT"
    assert record.language == "en"
    assert len(record.model_sha256) == 64


def test_history_row_is_there_after_restarting_the_window(
        qtbot: QtBot, make_window: Callable[..., MainWindow], short_drafts: Path) -> None:
    first = make_window()
    _draft(qtbot, first, CHEST_EN)
    impression = _impression(first).toPlainText()
    first.close()
    assert not first.service.is_running()

    second = make_window(loaded=False)
    assert second.history_panel.row_count() == 1
    assert _findings(second).toPlainText() == ""
    second.tabs.setCurrentWidget(second.history_panel)
    history_list = second.findChild(type(second.history_panel._list), "history.list")
    history_list.setCurrentRow(0)
    qtbot.mouseClick(second.findChild(QPushButton, "history.open"), Qt.MouseButton.LeftButton)
    assert second.tabs.currentWidget() is second.draft_panel
    assert _findings(second).toPlainText() == CHEST_EN
    assert _impression(second).toPlainText() == impression


def test_bad_model_path_shows_the_message_and_the_app_still_works(
        qtbot: QtBot, make_window: Callable[..., MainWindow],
        user_config: Callable[..., Path], tmp_path: Path) -> None:
    not_a_model = tmp_path / "notes.gguf"
    not_a_model.write_text("these are meeting notes, not a model\n" * 20)
    user_config(model_path=not_a_model)
    window = make_window(expect_failure=True)
    assert "not a GGUF model" in window.draft_panel.message_text()
    assert window.status_text("state") == "Model not loaded"

    _findings(window).setPlainText(CHEST_EN)
    with qtbot.waitSignal(window.service.draft_failed, timeout=DRAFT_TIMEOUT_MS) as failed:
        qtbot.mouseClick(window.findChild(QPushButton, "draft.generate"),
                         Qt.MouseButton.LeftButton)
    assert "No model is loaded" in failed.args[1]
    assert "not a GGUF model" in window.draft_panel.message_text()

    window.tabs.setCurrentWidget(window.history_panel)
    assert window.history_panel.message_text() == "No drafts yet."
    dialog = window.open_settings()
    assert dialog.isVisible()
    dialog.reject()


def test_pickers_follow_the_findings_until_the_user_chooses(
        qtbot: QtBot, make_window: Callable[..., MainWindow]) -> None:
    window = make_window(loaded=False)
    system = window.findChild(QComboBox, "draft.body_system")
    modality = window.findChild(QComboBox, "draft.modality")
    language = window.findChild(QLabel, "draft.language")
    _findings(window).setPlainText(CHEST_ZH)
    assert system.currentData() == "chest"
    assert modality.currentData() == "CT"
    assert "中文" in language.text()
    # A hand-picked value sticks while the findings change.
    system.setCurrentIndex(system.findData("abdomen"))
    system.activated.emit(system.currentIndex())
    _findings(window).setPlainText("MRI brain: T2 FLAIR hyperintensities in the white matter.")
    assert system.currentData() == "abdomen"
    assert modality.currentData() == "MRI"
    assert "English" in language.text()


def test_empty_findings_show_a_sentence_and_start_nothing(
        qtbot: QtBot, make_window: Callable[..., MainWindow]) -> None:
    window = make_window(loaded=False)
    _findings(window).setPlainText("   \n ")
    qtbot.keyClick(_findings(window), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert window.draft_panel.message_text().startswith("The findings are empty")
    assert not window.draft_panel.is_generating()


def test_the_template_and_language_chosen_in_settings_are_the_ones_drafted_with(
        qtbot: QtBot, make_window: Callable[..., MainWindow], short_drafts: Path) -> None:
    with short_drafts.open("a", encoding="utf-8") as config:
        config.write('\n[drafting]\ntemplate = "t1_terse"\nlanguage = "zh"\n')
    window = make_window()
    _draft(qtbot, window, CHEST_EN)
    [record] = window.history.recent()
    assert record.template_id == "t1_terse"
    assert record.language == "zh"  # asked for, though the findings are English


def test_unreadable_it_settings_file_loads_no_model_and_says_why(
        qtbot: QtBot, make_window: Callable[..., MainWindow], radval_home: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    # Issue 17: IT's file (conftest's RADVAL_SYSTEM_CONFIG) with a Windows path in double
    # quotes used to be ignored with a warning, and the default model loaded unlocked.
    system = radval_home / "system-config.toml"
    system.write_text('[model]\npath = "C:\\models\\approved.gguf"\n', encoding="utf-8")
    window = make_window(loaded=False)
    with qtbot.assertNotEmitted(window.service.model_loaded, wait=1_000):
        window.load_model()
    assert window.model_info is None
    assert window.status_text("model") == "Model: none (IT's settings file cannot be read)"
    assert window.status_text("state") == "Model not loaded"
    message = window.draft_panel.message_text()
    assert str(system) in message
    assert "single quotes" in message
    # README: the detail is in the log too, for IT, once.
    assert sum("single quotes" in r.getMessage() for r in caplog.records) == 1


def test_window_geometry_file_is_owner_only(
        make_window: Callable[..., MainWindow], radval_home: Path) -> None:
    # README: local files are owner-only; QSettings wrote window.ini under the umask (0644).
    import os
    import stat

    from radval_desktop import paths

    old = os.umask(0o002)
    try:
        window = make_window(loaded=False)
        window.close()
    finally:
        os.umask(old)
    ini = paths.config_dir() / "window.ini"
    assert ini.is_file()
    assert stat.S_IMODE(ini.stat().st_mode) == 0o600
