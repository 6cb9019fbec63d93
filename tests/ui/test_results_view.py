"""The Results view shows the paper's tables of a study database."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from reader_study_data import build_scored_study

from radval_desktop.store.database import open_database
from radval_desktop.store.evaluation_runs import (
    ModelRecord,
    NewCandidate,
    NewCase,
    save_candidate,
    save_cases,
    save_model,
)
from radval_desktop.ui.results_panel import ResultsPanel


def _study(path: Path) -> Path:
    db = open_database(path)
    cases = [NewCase("A", "chest", "CT", "zh", "右肺上叶磨玻璃影。", "右肺上叶炎症"),
             NewCase("B", "head", "MRI", "en", "Left MCA infarct.", "Acute left MCA infarct.")]
    ids = save_cases(db, cases)
    save_model(db, ModelRecord("s" * 64, "Model X", "x.gguf", "qwen2", 494_000_000, "Q4_K_M", 1))
    for cid, text in zip(ids, ["右肺上叶炎症", "Acute left MCA infarct."], strict=True):
        save_candidate(db, NewCandidate(cid, "s" * 64, "Model X", "batch", "t2", "v1", text,
                                        seconds=1.5))
    db.close()
    return path


def test_results_view_shows_rouge_per_institution(qtbot: QtBot, tmp_path: Path) -> None:
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.open_study(_study(tmp_path / "study.db"))
    assert panel.table_choice.count() == 5
    assert "2 outputs of 1 model(s)" in panel.message.text()
    grid = panel.grid
    headers = [grid.horizontalHeaderItem(c).text() for c in range(grid.columnCount())]
    assert headers == ["model", "institution", "tokenization", "n", "R-1", "R-2", "R-L"]
    rows = {(grid.item(r, 1).text(), grid.item(r, 2).text()): grid.item(r, 6).text()
            for r in range(grid.rowCount())}
    # Identical candidate and reference: R-L is exactly 1 in every tokenization.
    assert rows == {("A", "zh-char"): "1.0000", ("A", "zh-jieba-word"): "1.0000",
                    ("B", "en-rouge-score"): "1.0000"}
    panel.table_choice.setCurrentIndex(3)
    assert grid.horizontalHeaderItem(3).text() == "median s/inference"
    assert grid.item(0, 3).text() == "1.50"  # seconds: two decimals, as the report (issue 19)


def test_results_view_says_when_there_is_nothing(qtbot: QtBot, tmp_path: Path) -> None:
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.open_study(tmp_path / "absent.db")
    assert "There is no database" in panel.message.text()
    empty = tmp_path / "empty.db"
    open_database(empty).close()
    panel.open_study(empty)
    assert "no batch outputs yet" in panel.message.text()
    assert panel.grid.rowCount() == 0


def test_results_view_shows_expert_scores_and_radar_chart(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "study.db"
    build_scored_study(path)
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.open_study(path)
    titles = [panel.table_choice.itemText(i) for i in range(panel.table_choice.count())]
    # Imported candidates only: the expert tables, no ROUGE tables.
    assert titles == ["Cases, raters and answers", "Expert scores, mean over rater levels "
                      "(0-100)", "Agreement across raters"]
    assert "Study 'pilot': 125 scores, 1 NA." in panel.message.text()
    panel.table_choice.setCurrentIndex(1)
    grid = panel.grid
    row = next(r for r in range(grid.rowCount())
               if [grid.item(r, c).text() for c in range(3)] == ["IHG", "chest", "model-a"])
    assert grid.item(row, 3).text() == "75.0"  # 1 decimal; tests/evaluation/test_aggregates
    assert panel.chart_choice.count() == 4
    panel.chart_choice.setCurrentIndex(2)
    assert panel.chart_choice.currentText() == "chest — OG, all cases"
    assert not panel.chart.pixmap().isNull()
    assert panel.chart.pixmap().width() > 500


def test_a_file_with_two_studies_offers_a_study_picker(qtbot: QtBot, tmp_path: Path) -> None:
    """Issue 19, item 7: two studies showed "name one." with nowhere to name it."""
    from radval_desktop.store.reader_study import open_study, save_study

    path = tmp_path / "study.db"
    build_scored_study(path)
    db = open_study(path)
    first = db.execute("SELECT uuid FROM candidates ORDER BY uuid LIMIT 1").fetchone()[0]
    save_study(db, "follow-up", institution_1="1", candidates=[first])
    db.close()
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.open_study(path)
    picker = panel.study_choice
    assert [picker.itemText(i) for i in range(picker.count())] == ["follow-up", "pilot"]
    assert "name one" not in panel.message.text()
    assert "2 studies" in panel.message.text()
    picker.setCurrentIndex(picker.findText("pilot"))
    assert "Study 'pilot': 125 scores, 1 NA." in panel.message.text()
    panel.table_choice.setCurrentIndex(1)
    assert panel.grid.rowCount() > 0
    picker.setCurrentIndex(picker.findText("follow-up"))
    assert "Study 'follow-up': 0 scores" in panel.message.text()


def test_report_on_two_studies_says_how_to_name_one(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from radval_desktop.cli.main import main
    from radval_desktop.store.reader_study import open_study, save_study

    path = tmp_path / "study.db"
    build_scored_study(path)
    db = open_study(path)
    save_study(db, "follow-up")
    db.close()
    assert main(["report", "--study", str(path), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "follow-up, pilot" in err
    assert "--study-name" in err
    assert main(["report", "--study", str(path), "--out", str(tmp_path / "out"),
                 "--study-name", "pilot"]) == 0
