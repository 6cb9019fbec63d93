"""Issue 19, item 6: the Study view sets up a 3-rater study, hands out files, merges them back
and shows progress that equals the database's."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from reader_study_data import progress_from_sql, score_handed_out, write_jsonl

from radval_desktop.study.questionnaire import METRICS
from radval_desktop.ui.study_panel import StudyPanel
from radval_desktop.ui.study_progress import mean_text, when

RATERS = (("Dr Junior", "junior"), ("Dr Middle", "intermediate"), ("Dr Senior", "senior"))
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
TASK_MS = 30_000


@pytest.fixture
def panel(qtbot: QtBot) -> Iterator[StudyPanel]:
    view = StudyPanel()
    qtbot.addWidget(view)
    view.resize(1250, 760)
    view.show()
    yield view
    view.shutdown()
    assert not view.tasks.is_running()


def _rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _table(view: StudyPanel) -> dict[str, list[str]]:
    table = view.table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    return {table.item(r, 0).text(): dict(zip(headers, (table.item(r, c).text() for c in
                                                        range(table.columnCount())),
                                                strict=True))
            for r in range(table.rowCount())}


def _metric_means_from_sql(path: Path) -> dict[str, tuple[str, dict[str, float | None]]]:
    """Each rater's level and mean score per metric (NA left out), counted in SQL."""
    out: dict[str, tuple[str, dict[str, float | None]]] = {}
    for uuid, name, level in _rows(path, "SELECT uuid, name, level FROM raters"):
        means = dict(_rows(path, "SELECT metric, AVG(score) FROM answers WHERE rater_uuid = '"
                           f"{uuid}' AND na = 0 AND score IS NOT NULL GROUP BY metric"))
        out[str(name)] = (str(level), {m.key: means.get(m.key) for m in METRICS})
    return out


def _click(qtbot: QtBot, button: object) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_a_lead_sets_up_hands_out_merges_and_follows_a_three_rater_study(
        qtbot: QtBot, tmp_path: Path, panel: StudyPanel) -> None:
    lead = tmp_path / "lead" / "pilot study.db"
    panel.open_file(lead)  # a new file
    assert lead.is_file()

    with qtbot.waitSignal(panel.tasks.task_finished, timeout=TASK_MS):
        panel.import_candidates(write_jsonl(tmp_path / "drafts.jsonl"))
    assert "3 cases from 2 institution(s) (1, 2), 6 candidate impressions of 2 model(s)" in (
        panel.contents.text())

    # Institution 1 is required and offered only from the cases' own institutions.
    qtbot.keyClicks(panel.name_edit, "pilot")
    _click(qtbot, panel.create_button)
    assert "Choose institution 1" in panel.message.text()
    assert _rows(lead, "SELECT name FROM studies") == []
    institutions = [panel.institution_1.itemText(i) for i in range(panel.institution_1.count())]
    assert institutions == ["1", "2"]
    panel.institution_1.setCurrentIndex(1)
    _click(qtbot, panel.create_button)
    assert _rows(lead, "SELECT name, institution_1 FROM studies") == [("pilot", "2")]
    assert panel.study_choice.currentText() == "pilot"

    # Raters with the level the lead chose; none assumed, none overwritten.
    qtbot.keyClicks(panel.rater_name, "Dr Nolevel")
    _click(qtbot, panel.add_rater_button)
    assert "Choose the rater's level" in panel.message.text()
    panel.rater_name.clear()
    for name, level in RATERS:
        qtbot.keyClicks(panel.rater_name, name)
        panel.rater_level.setCurrentText(level)
        _click(qtbot, panel.add_rater_button)
        assert "6 impressions assigned" in panel.message.text(), panel.message.text()
    qtbot.keyClicks(panel.rater_name, "Dr Junior")
    panel.rater_level.setCurrentText("senior")
    _click(qtbot, panel.add_rater_button)
    assert "Dr Junior is already junior" in panel.message.text()
    assert sorted(_rows(lead, "SELECT name, level FROM raters")) == sorted(RATERS)
    shown = _table(panel)
    assert [(r, shown[r]["Answered"], shown[r]["Total"]) for r in sorted(shown)] == [
        ("Dr Junior", "0", "42"), ("Dr Middle", "0", "42"), ("Dr Senior", "0", "42")]

    folder = tmp_path / "to send"
    with qtbot.waitSignal(panel.tasks.task_finished, timeout=TASK_MS):
        panel.hand_out_to(folder)
    files = sorted(folder.iterdir())
    assert [f.name for f in files] == [f"pilot - {n}.db" for n, _ in RATERS]
    assert all(str(f) in panel.message.text() for f in files)

    score_handed_out(files[0], 42, 60)  # finished
    score_handed_out(files[1], 23, 40, na_every=5)  # stopped part-way, 5 NA
    with qtbot.waitSignal(panel.tasks.task_finished, timeout=TASK_MS):
        _click(qtbot, panel.refresh_button)  # nothing merged yet: still nothing answered
        panel.collect(files)
    assert panel.message.text().startswith("Merged: 65 new or changed answers; 0 conflicting")

    shown = _table(panel)
    from_db = progress_from_sql(lead)
    assert set(shown) == set(from_db) == {n for n, _ in RATERS}
    for name, (answered, total, na, last, mean) in from_db.items():
        row = shown[name]
        assert (row["Answered"], row["Total"], row["NA"]) == (str(answered), str(total), str(na))
        assert row["Last answer"] == when(last)
        assert row["Mean"] == mean_text(mean)
    # Every column, not only the totals: the level and each metric's own mean.
    for name, (level, means) in _metric_means_from_sql(lead).items():
        assert shown[name]["Level"] == level
        assert [shown[name][m.name] for m in METRICS] == [mean_text(means[m.key])
                                                          for m in METRICS]
    assert [shown["Dr Middle"][m.name] for m in METRICS] == [
        "40.0", "41.0", "42.0", "43.0", "44.0", "45.0", "46.0"]
    assert (shown["Dr Junior"]["Done"], shown["Dr Middle"]["Done"]) == ("100%", "55%")
    assert (shown["Dr Middle"]["Answered"], shown["Dr Middle"]["NA"]) == ("23", "5")
    assert shown["Dr Senior"]["Last answer"] == "—"
    assert shown["Dr Junior"]["Understandability"] == "60.0"

    with qtbot.waitSignal(panel.tasks.task_finished, timeout=TASK_MS):
        panel.collect(files)  # merged twice: nothing changes
    assert panel.message.text().startswith("Merged: 0 new or changed answers")
    assert _table(panel) == shown

    if os.environ.get("RADVAL_SCREENSHOTS") == "1":
        qtbot.wait(200)
        SCREENSHOTS.mkdir(exist_ok=True)
        assert panel.grab().save(str(SCREENSHOTS / "study-view.png"))


def test_a_merge_of_a_file_that_is_not_a_study_says_so(
        qtbot: QtBot, tmp_path: Path, panel: StudyPanel) -> None:
    panel.open_file(tmp_path / "study.db")
    junk = tmp_path / "notes.db"
    junk.write_bytes(b"not a database " * 300)
    with qtbot.waitSignal(panel.tasks.task_failed, timeout=TASK_MS):
        panel.collect([junk])
    assert "notes.db" in panel.message.text()  # the merge names the file it cannot read
    assert "b00020" in panel.message.styleSheet()  # shown as an error
    assert panel.groups[0].isEnabled()  # the view works on after a failed task


def test_the_main_window_has_a_study_tab(qtbot: QtBot) -> None:
    from radval_desktop.ui.main_window import MainWindow

    window = MainWindow(load_model=False)
    qtbot.addWidget(window)
    try:
        tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
        assert tabs.index("Study") == tabs.index("Scoring") - 1
        assert window.findChild(StudyPanel, "study.panel") is window.study_panel
    finally:
        window.shutdown()
