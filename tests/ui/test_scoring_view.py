"""The real Scoring view, driven from the keyboard: score, quote, NA, quit, resume."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QListWidget, QPlainTextEdit, QWidget
from pytestqt.qtbot import QtBot
from reader_study_data import build_study

from radval_desktop.study.questionnaire import METRICS
from radval_desktop.ui.scoring_panel import ScoringPanel

ALT, SHIFT, CTRL = (Qt.KeyboardModifier.AltModifier, Qt.KeyboardModifier.ShiftModifier,
                    Qt.KeyboardModifier.ControlModifier)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


@pytest.fixture
def open_panel(qtbot: QtBot) -> Iterator[Callable[[Path], ScoringPanel]]:
    panels: list[ScoringPanel] = []

    def make(path: Path) -> ScoringPanel:
        panel = ScoringPanel(path)
        qtbot.addWidget(panel)
        panel.resize(1280, 860)
        panel.show()
        panel.activateWindow()
        # Mnemonics (Alt+…) reach only the active window.
        qtbot.waitUntil(lambda: QApplication.activeWindow() is panel)
        panels.append(panel)
        return panel

    yield make
    for panel in panels:
        panel.close_study()


def _start(qtbot: QtBot, panel: ScoringPanel, name: str, level_downs: int) -> None:
    """Type the name, pick the level with Down from the empty box (1 junior ... 3 senior;
    a rater the lead added has the lead's level, fixed), Enter."""
    qtbot.keyClick(panel, Qt.Key.Key_R, ALT)  # the rater box
    assert panel.rater.hasFocus()
    if name.isascii():
        qtbot.keyClicks(panel.rater.lineEdit(), name)
    else:  # QTest types ASCII only (it aborts on other keys); an input method would here
        panel.rater.setEditText(name)
    panel.level.setFocus()
    for _ in range(level_downs):
        qtbot.keyClick(panel.level, Qt.Key.Key_Down)
    panel.rater.setFocus()
    qtbot.keyClick(panel.rater.lineEdit(), Qt.Key.Key_Return)
    assert panel.session is not None, panel.error.text()


def _type_score(qtbot: QtBot, panel: ScoringPanel, score: int) -> None:
    assert panel.editor.score.hasFocus()
    qtbot.keyClicks(panel.editor.score, str(score))
    qtbot.keyClick(panel.editor.score, Qt.Key.Key_Return)


def _visible_text(panel: ScoringPanel) -> str:
    texts = [w.text() for w in panel.findChildren(QLabel)]
    texts += [w.toPlainText() for w in panel.findChildren(QPlainTextEdit)]
    for widget in panel.findChildren(QListWidget):
        texts += [widget.item(i).text() for i in range(widget.count())]
    return "\n".join(texts)


def test_rater_scores_two_cases_by_keyboard_quits_and_resumes(
        qtbot: QtBot, tmp_path: Path, open_panel: Callable[[Path], ScoringPanel]) -> None:
    path = tmp_path / "study.db"
    build_study(path)
    panel = open_panel(path)
    _start(qtbot, panel, "Dr Chen", level_downs=3)
    session = panel.session
    assert session is not None
    assert session.rater.level == "senior"
    assert "model-a" not in _visible_text(panel)
    assert "model-b" not in _visible_text(panel)
    assert not panel.reference.isVisible()  # the lead chose to hide it
    expected = {}
    for item in range(4):  # two cases, two impressions each
        candidate = session.items[item].candidate_uuid
        assert panel.impression.toPlainText() == session.items[item].text
        for m, metric in enumerate(METRICS):
            assert (session.index, session.metric_index) == (item, m)
            if (item, m) == (0, 1):
                qtbot.keyClick(panel.editor.score, Qt.Key.Key_N, ALT)
                qtbot.keyClick(panel.editor.score, Qt.Key.Key_Return)
                expected[(candidate, metric.key)] = (None, 1, "[]", "")
                continue
            quote, reasons = "[]", ""
            if (item, m) == (1, 0):
                qtbot.keyClick(panel.editor.score, Qt.Key.Key_I, ALT)
                assert panel.impression.hasFocus()
                qtbot.keyClick(panel.impression, Qt.Key.Key_Home, CTRL)
                for _ in range(4):
                    qtbot.keyClick(panel.impression, Qt.Key.Key_Right, SHIFT)
                qtbot.keyClick(panel.impression, Qt.Key.Key_Q, ALT)
                quote = f'["{session.items[item].text[:4]}"]'
                qtbot.keyClick(panel.impression, Qt.Key.Key_E, ALT)
                qtbot.keyClicks(panel.editor.explanation, "too vague")
                qtbot.keyClick(panel.editor.explanation, Qt.Key.Key_Return)
                qtbot.keyClicks(panel.editor.explanation, "no follow-up given")
                reasons = "too vague\nno follow-up given"
                qtbot.keyClick(panel.editor.explanation, Qt.Key.Key_S, ALT)
            score = 40 + 3 * m + item
            _type_score(qtbot, panel, score)
            expected[(candidate, metric.key)] = (score, 0, quote, reasons)
    assert panel.progress.value() == 28
    assert panel.progress.maximum() == 42
    panel.close_study()
    panel.close()

    again = open_panel(path)
    _start(qtbot, again, "Dr Chen", level_downs=3)
    assert again.session is not None
    assert (again.session.index, again.session.metric_index) == (4, 0)
    assert again.header.text().startswith("Case 3 of 3")
    assert again.editor.score.text() == "—"
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT candidate_uuid, metric, score, na, quotes, explanation "
                        "FROM answers").fetchall()
    conn.close()
    assert {(r[0], r[1]): r[2:] for r in rows} == expected


def test_revising_an_answer_from_the_metric_list(
        qtbot: QtBot, tmp_path: Path, open_panel: Callable[[Path], ScoringPanel]) -> None:
    path = tmp_path / "study.db"
    build_study(path, show_reference=True)
    panel = open_panel(path)
    _start(qtbot, panel, "Dr Wu", level_downs=1)
    assert panel.reference.isVisible()
    _type_score(qtbot, panel, 20)
    qtbot.keyClick(panel.editor.score, Qt.Key.Key_M, ALT)
    qtbot.keyClick(panel.metrics, Qt.Key.Key_Up)
    assert panel.editor.score.value() == 20
    assert "#1f6feb" in panel.editor.bands[3].styleSheet()  # 20 is in the 20-40 band
    assert "#1f6feb" not in panel.editor.bands[4].styleSheet()
    panel.editor.focus_score()
    _type_score(qtbot, panel, 95)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT score FROM answers").fetchall() == [(95,)]
    conn.close()


def test_damaged_study_file_shows_a_sentence(
        qtbot: QtBot, tmp_path: Path, open_panel: Callable[[Path], ScoringPanel]) -> None:
    path = tmp_path / "study.db"
    path.write_bytes(b"garbage " * 500)
    panel = open_panel(path)
    assert "is damaged" in panel.error.text()
    assert panel.session is None


@pytest.mark.skipif(os.environ.get("RADVAL_SCREENSHOTS") != "1",
                    reason="set RADVAL_SCREENSHOTS=1 to save screenshots")
def test_scoring_view_screenshot_with_a_chinese_case(
        qtbot: QtBot, tmp_path: Path, open_panel: Callable[[Path], ScoringPanel]) -> None:
    path = tmp_path / "study.db"
    build_study(path, show_reference=True)
    panel = open_panel(path)
    _start(qtbot, panel, "李医生", level_downs=2)
    assert panel.session is not None
    zh = next(i for i, item in enumerate(panel.session.items) if "胸部" in item.findings)
    panel.session.go(zh, 0)
    panel.session.set_score(72)
    panel.session.add_quote(panel.session.item.text[:6])
    panel.session.set_explanation("建议复查的时间不明确\n未提及支气管充气征")
    panel._show()
    qtbot.wait(200)
    SCREENSHOTS.mkdir(exist_ok=True)
    shot = SCREENSHOTS / "scoring-zh.png"
    window: QWidget = panel.window()
    assert window.grab().save(str(shot))
    assert shot.stat().st_size > 10_000


def test_main_window_has_a_scoring_tab(qtbot: QtBot) -> None:
    from radval_desktop.ui.main_window import MainWindow

    window = MainWindow(load_model=False)
    qtbot.addWidget(window)
    try:
        tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
        assert "Scoring" in tabs
        assert window.findChild(ScoringPanel, "scoring.panel") is window.scoring_panel
    finally:
        window.shutdown()
