"""Issue 19: importing a lead's own export in the Study view goes through a column mapping
the lead confirms (guessed from known names, remembered per header); rows missing a mapped
value are named by line and the rest imported."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel
from pytestqt.qtbot import QtBot

from radval_desktop.ui.column_dialog import ColumnMappingDialog
from radval_desktop.ui.i18n import install_language, remove_language
from radval_desktop.ui.study_panel import StudyPanel

TASK_MS = 30_000
HEADER = "编号,检查所见,诊断意见,部位,检查方式,医院,模型名,模型输出\n"
ROWS = ("A1,胸部CT：右肺下叶斑片影。,右肺下叶肺炎。,胸部,CT,协和,甲,右肺下叶炎症。\n"
        "A2,,左肺结节。,胸部,CT,协和,甲,左肺结节。\n"  # line 3: no findings
        "A3,上腹部CT：肝右叶低密度影。,肝血管瘤。,腹部,CT,湘雅,乙,肝右叶血管瘤。\n")


@pytest.fixture
def panel(qtbot: QtBot, tmp_path: Path) -> Iterator[StudyPanel]:
    view = StudyPanel()
    qtbot.addWidget(view)
    view.show()
    view.open_file(tmp_path / "lead.db")
    yield view
    view.shutdown()


def _export(path: Path) -> Path:
    path.write_text(HEADER + ROWS, encoding="utf-8")
    return path


def _dialog(panel: StudyPanel) -> ColumnMappingDialog:
    dialog = panel.column_dialog
    assert dialog is not None
    assert dialog.isVisible()
    return dialog


def _ok(dialog: ColumnMappingDialog) -> object:
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


def _count(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def test_the_lead_confirms_guessed_columns_maps_the_rest_and_it_is_remembered(
        qtbot: QtBot, tmp_path: Path, panel: StudyPanel) -> None:
    panel.choose_columns(_export(tmp_path / "RIS export.csv"))
    dialog = _dialog(panel)
    assert {f: dialog.column(f) for f in ("findings", "impression", "institution",
                                          "body_system", "modality", "case_id")} == {
        "findings": "检查所见", "impression": "诊断意见", "institution": "医院",
        "body_system": "部位", "modality": "检查方式", "case_id": "编号"}
    assert dialog.column("model") is None
    assert dialog.column("candidate") is None
    assert not _ok(dialog).isEnabled()  # findings, model and candidate are needed
    assert "model, candidate" in dialog.status.text()
    assert _count(tmp_path / "lead.db", "cases") == 0

    dialog.combo("model").setCurrentText("模型名")
    dialog.combo("candidate").setCurrentText("模型输出")
    dialog.combo("impression").setCurrentIndex(0)  # the lead hides the reference: no column
    assert _ok(dialog).isEnabled()
    with qtbot.waitSignal(panel.tasks.task_finished, timeout=TASK_MS):
        qtbot.mouseClick(_ok(dialog), Qt.MouseButton.LeftButton)
    text = panel.message.text()
    assert "2 cases, 2 candidates imported; 1 rows skipped." in text, text
    assert "line 3: empty findings; skipped" in text
    assert "model=模型名, candidate=模型输出" in text
    assert "impression" not in text
    conn = sqlite3.connect(tmp_path / "lead.db")
    try:
        assert sorted(conn.execute("SELECT source_id, institution, body_system, "
                                   "reference_impression FROM cases")) == [
            ("A1", "协和", "chest", ""), ("A3", "湘雅", "abdomen", "")]
    finally:
        conn.close()
    assert "2 institution(s)" in panel.contents.text()

    # The next export from the same system: the confirmed mapping comes back, none guessed over
    # it; cancelling imports nothing.
    panel.choose_columns(_export(tmp_path / "next week.csv"))
    dialog = _dialog(panel)
    assert (dialog.column("model"), dialog.column("candidate"), dialog.column("impression")) == (
        "模型名", "模型输出", None)
    assert _ok(dialog).isEnabled()
    dialog.reject()
    assert panel.column_dialog is None
    assert _count(tmp_path / "lead.db", "candidates") == 2


def test_an_english_export_is_guessed_and_a_file_without_a_header_is_refused(
        tmp_path: Path, panel: StudyPanel) -> None:
    english = tmp_path / "export.csv"
    english.write_text("Report ID,Findings,Impression,Body part,Modality,Site,Model,Draft\n"
                       "R1,CT chest: clear lungs.,Normal chest.,chest,CT,2,m,Normal.\n",
                       encoding="utf-8")
    panel.choose_columns(english)
    dialog = _dialog(panel)
    assert [dialog.column(f) for f in ("findings", "impression", "body_system", "institution",
                                       "model", "candidate")] == [
        "Findings", "Impression", "Body part", "Site", "Model", "Draft"]
    assert "export.csv" in dialog.windowTitle() or "export.csv" in dialog.intro.text()
    dialog.reject()
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    panel.choose_columns(empty)
    assert panel.column_dialog is None
    assert "empty.csv has no rows to read" in panel.message.text()


def test_the_import_message_names_eight_skipped_rows_and_counts_the_rest(qapp: object) -> None:
    from radval_desktop.case_files import RowProblem
    from radval_desktop.study.importing import ImportSummary
    from radval_desktop.ui.column_dialog import import_text

    summary = ImportSummary(cases=1, candidates=2, columns={"candidate": "模型输出",
                                                            "findings": "检查所见"},
                            problems=[RowProblem(n, "empty findings") for n in range(2, 13)])
    lines = import_text(summary).split("\n")
    assert lines[:2] == ["1 cases, 2 candidates imported; 11 rows skipped.",
                         "Columns: findings=检查所见, candidate=模型输出"]
    assert lines[2:10] == [f"line {n}: empty findings; skipped" for n in range(2, 10)]
    assert lines[10:] == ["… and 3 more rows skipped: `radval study import` lists each."]


def test_the_mapping_step_speaks_chinese_in_the_chinese_window(
        qtbot: QtBot, qapp: QApplication, tmp_path: Path) -> None:
    assert install_language(qapp, "zh_CN")
    try:
        view = StudyPanel()
        qtbot.addWidget(view)
        view.open_file(tmp_path / "lead.db")
        view.choose_columns(_export(tmp_path / "RIS export.csv"))
        dialog = _dialog(view)
        assert dialog.windowTitle() == "RIS export.csv 的列"
        labels = [w.text() for w in dialog.findChildren(QLabel)]
        assert {"检查所见 *", "模型（评分者看不到） *", "检查部位", "机构"} <= set(labels)
        assert dialog.combo("model").itemText(0) == "— 无此列 —"
        assert _ok(dialog).text() == "导入(&I)"
        dialog.combo("model").setCurrentText("模型名")
        dialog.combo("candidate").setCurrentText("模型输出")
        with qtbot.waitSignal(view.tasks.task_finished, timeout=TASK_MS):
            qtbot.mouseClick(_ok(dialog), Qt.MouseButton.LeftButton)
        text = view.message.text()
        assert "列：findings=检查所见" in text, text
        assert re.search(r"第 3 行：[^\n]*；已跳过", text), text
        view.shutdown()
    finally:
        remove_language(qapp)


def test_an_export_without_a_model_column_is_named_by_the_lead(
        qtbot: QtBot, tmp_path: Path, panel: StudyPanel) -> None:
    """The radiologists' own impressions as a blinded "model": no model column, one name."""
    ris = tmp_path / "ris.csv"
    ris.write_text("检查所见,诊断意见,医院\n胸部CT：右肺下叶斑片影。,右肺下叶肺炎。,协和\n",
                   encoding="utf-8")
    panel.choose_columns(ris)
    dialog = _dialog(panel)
    assert dialog.model_name.isEnabled()  # no model column chosen: a name for every row
    dialog.combo("candidate").setCurrentText("诊断意见")
    dialog.combo("impression").setCurrentIndex(0)
    assert not _ok(dialog).isEnabled()
    assert "model" in dialog.status.text()
    qtbot.keyClicks(dialog.model_name, "radiologist")
    assert _ok(dialog).isEnabled()
    with qtbot.waitSignal(panel.tasks.task_finished, timeout=TASK_MS):
        qtbot.mouseClick(_ok(dialog), Qt.MouseButton.LeftButton)
    assert "1 cases, 1 candidates imported" in panel.message.text()
    conn = sqlite3.connect(tmp_path / "lead.db")
    try:
        assert conn.execute("SELECT model_name, text FROM candidates").fetchall() == [
            ("radiologist", "右肺下叶肺炎。")]
    finally:
        conn.close()
    # With a model column chosen, the name box is not used.
    panel.choose_columns(_export(tmp_path / "RIS export.csv"))
    dialog = _dialog(panel)
    dialog.combo("model").setCurrentText("模型名")
    assert not dialog.model_name.isEnabled()
    dialog.reject()
