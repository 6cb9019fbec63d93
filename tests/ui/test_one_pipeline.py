"""The window, `radval draft` and `radval batch` give the same draft for the same findings,
settings and corpus: one pipeline, so what is measured is what the radiologist gets."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPlainTextEdit
from pytestqt.qtbot import QtBot

from radval_desktop.store.database import open_database
from radval_desktop.ui.main_window import MainWindow

pytestmark = pytest.mark.slow

FINDINGS = ("胸廓对称，纵隔居中。左肺下叶见斑片状密度增高影，边缘模糊，内见支气管充气征。"
            "右肺未见明显异常。双侧胸腔未见积液。")
# Past reports of the department (our own writing), one of them the case itself: no path
# may show the case its own impression.
PAST = [
    ("左肺下叶见片状高密度影，边界不清。双侧胸腔未见积液。", "左肺下叶炎症。"),
    ("右肺上叶见斑片状磨玻璃影，边缘模糊。", "右肺上叶炎性病变，建议复查。"),
    ("双肺纹理清晰，未见实变及结节。纵隔居中。", "胸部CT平扫未见明显异常。"),
    ("左肺上叶尖后段见一实性结节，直径约7mm。", "左肺上叶结节，建议随访。"),
    (FINDINGS, "不应被看到的答案"),
]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "radval_desktop", *args], capture_output=True,
                          text=True, env=dict(os.environ), timeout=300, check=False)


def _write_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["findings", "impression", "body_system", "modality"])
        writer.writerows([(f, i, "chest", "CT") for f, i in rows])
    return path


def test_window_cli_and_batch_draft_the_same_impression(
        qtbot: QtBot, make_window: Callable[..., MainWindow],
        user_config: Callable[..., Path], tmp_path: Path) -> None:
    user_config(max_tokens=64, bf16_copy=True)  # as the window drafts by default
    imported = _cli("examples", "import", str(_write_csv(tmp_path / "past.csv", PAST)))
    assert imported.returncode == 0, imported.stderr
    assert "5 pairs added" in imported.stdout

    findings_file = tmp_path / "findings.txt"
    findings_file.write_text(FINDINGS, encoding="utf-8")
    cli = _cli("draft", str(findings_file), "--system", "chest", "--modality", "CT")
    assert cli.returncode == 0, cli.stderr
    by_cli = cli.stdout.strip()

    cases = _write_csv(tmp_path / "cases.csv", [(FINDINGS, "左肺下叶炎症。")])
    batch = _cli("batch", str(cases), "--db", str(tmp_path / "eval.db"), "--examples", "3")
    assert batch.returncode == 0, batch.stderr
    db = open_database(tmp_path / "eval.db")
    (by_batch,) = [row["text"] for row in db.query("SELECT text FROM candidates")]
    db.close()

    window = make_window()
    findings = window.findChild(QPlainTextEdit, "draft.findings")
    findings.setPlainText(FINDINGS)
    with qtbot.waitSignal(window.service.draft_finished, timeout=120_000) as done:
        qtbot.keyClick(findings, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    result = done.args[1]
    by_window = window.findChild(QPlainTextEdit, "draft.impression").toPlainText()

    assert result.example_source == "corpus"
    assert len(result.examples) == 3
    assert all(e.impression != "不应被看到的答案" for e in result.examples)
    assert by_window
    assert by_window == by_cli == by_batch
    assert "past report" in window.draft_panel.message_text()
