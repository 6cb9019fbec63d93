"""The Draft view's safety flags: both spans highlighted, Copy still works, dismissal on record."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QCheckBox, QListWidget, QPlainTextEdit, QPushButton
from pytestqt.qtbot import QtBot

from radval_desktop.store.history import NewDraft
from radval_desktop.ui.main_window import MainWindow

FINDINGS = "胸廓对称。双肺纹理清晰，右肺上叶胸膜下可见片状磨玻璃影，边缘不清。双侧胸腔未见积液。"
WRONG_SIDE = "左肺上叶炎性病变"


def _saved_draft(window: MainWindow) -> str:
    draft = NewDraft(FINDINGS, "chest", "CT", "zh", "t1", "1", "m", "sha", "{}", WRONG_SIDE,
                     WRONG_SIDE, True, "", 1, 10, 5, 0.1, 1.0, 5.0)
    uuid = window.history.save_draft(draft)
    assert uuid is not None
    return uuid


def _selected(box: QPlainTextEdit) -> list[str]:
    return [s.cursor.selectedText() for s in box.extraSelections()]


def test_wrong_side_is_flagged_in_both_boxes_copy_works_and_dismissal_is_kept(
        qtbot: QtBot, make_window: Callable[..., MainWindow], short_drafts: Path) -> None:
    window = make_window(loaded=False)
    uuid = _saved_draft(window)
    window._on_history_panel_reopen_requested(window.history.get(uuid))
    flags = window.findChild(QListWidget, "draft.flags")
    assert flags.count() == 1
    assert "Side" in flags.item(0).text()
    assert _selected(window.findChild(QPlainTextEdit, "draft.impression")) == ["左肺上叶"]
    assert _selected(window.findChild(QPlainTextEdit, "draft.findings")) == ["右肺上叶"]

    window.findChild(QPushButton, "draft.copy").click()
    assert QGuiApplication.clipboard().text() == WRONG_SIDE
    assert "1 safety flag" in window.draft_panel.message_text()

    window.findChild(QPushButton, "draft.dismiss_flag").click()
    assert flags.count() == 0
    assert window.findChild(QPlainTextEdit, "draft.impression").extraSelections() == []
    assert window.history.dismissed_flags(uuid) == ["laterality:肺上叶:left"]
    # Reopened later, the dismissed flag stays dismissed.
    window._on_history_panel_reopen_requested(window.history.get(uuid))
    assert flags.count() == 0


def test_editing_the_side_clears_the_flag(
        qtbot: QtBot, make_window: Callable[..., MainWindow], short_drafts: Path) -> None:
    window = make_window(loaded=False)
    window.draft_panel.set_findings(FINDINGS)
    window.findChild(QPlainTextEdit, "draft.impression").setPlainText(WRONG_SIDE)
    flags = window.findChild(QListWidget, "draft.flags")
    qtbot.waitUntil(lambda: flags.count() == 1)
    window.findChild(QPlainTextEdit, "draft.impression").setPlainText("右肺上叶炎性病变")
    qtbot.waitUntil(lambda: flags.count() == 0)


def test_copied_impressions_become_examples_when_the_switch_is_on(
        qtbot: QtBot, make_window: Callable[..., MainWindow], short_drafts: Path) -> None:
    window = make_window(loaded=False)
    switch = window.findChild(QCheckBox, "draft.examples")
    assert switch.isEnabled()
    assert switch.isChecked()  # on since issue 15 (drafting.examples = 3)
    uuid = _saved_draft(window)
    window._on_history_panel_reopen_requested(window.history.get(uuid))
    window.findChild(QPlainTextEdit, "draft.impression").setPlainText("右肺上叶炎性病变")
    window.findChild(QPushButton, "draft.copy").click()
    assert window.corpus is not None
    assert window.corpus.count() == 1
    examples = window.corpus.similar("左肺上叶见片状磨玻璃影", "chest")
    assert [e.impression for e in examples] == ["右肺上叶炎性病变"]


def test_an_abnormality_typed_over_normal_findings_is_listed_as_called_abnormal(
        qtbot: QtBot, make_window: Callable[..., MainWindow], short_drafts: Path) -> None:
    window = make_window(loaded=False)
    window.draft_panel.set_findings("Heart size normal. Lungs are clear. No pleural effusion.")
    window.findChild(QPlainTextEdit, "draft.impression").setPlainText("Cardiopulmonary disease.")
    flags = window.findChild(QListWidget, "draft.flags")
    qtbot.waitUntil(lambda: flags.count() == 1)
    assert flags.item(0).text().startswith("⚠ Called abnormal: The impression says "
                                           "'Cardiopulmonary disease'")
    assert _selected(window.findChild(QPlainTextEdit, "draft.impression")) == ["disease"]
