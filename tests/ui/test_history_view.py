"""The History view without a model: a damaged database and history turned off."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from radval_desktop.config import save_user_settings
from radval_desktop.store.database import database_path
from radval_desktop.ui.main_window import MainWindow


def test_damaged_database_is_set_aside_and_the_window_says_so(
        qtbot: QtBot, make_window: Callable[..., MainWindow]) -> None:
    # Issue 9: a damaged history is moved aside and a new one started (no crash loop).
    database_path().write_bytes(b"not sqlite at all " * 100)
    window = make_window(loaded=False)
    assert "new, empty history was started" in window.draft_panel.message_text()
    assert window.history.recovered_from is not None
    assert window.history.recovered_from.read_bytes() == b"not sqlite at all " * 100
    window.findChild(QLineEdit, "history.search").setText("lung")
    assert window.history_panel.row_count() == 0
    assert window.draft_panel.isEnabled()


def test_turning_history_off_stops_keeping_drafts(
        qtbot: QtBot, make_window: Callable[..., MainWindow]) -> None:
    window = make_window(loaded=False)
    assert window.history.enabled
    window.apply_settings(save_user_settings(window.settings, {"history.enabled": False}))
    assert not window.history.enabled
    assert "turned off" in window.history_panel.message_text()
    assert window.history.recent() == []
