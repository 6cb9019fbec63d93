"""The Models view in the real window: listing, refusals, choosing a model and an adapter,
approval, and the mirror's download action (present only when IT configured one)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from gguf_builder import write_gguf, write_lora_adapter
from hub_server import serve
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QInputDialog,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
)
from pytestqt.qtbot import QtBot

from radval_desktop.config import load_settings
from radval_desktop.ui.main_window import MainWindow

SCAN_TIMEOUT_MS = 30_000
TINY = {"general.architecture": "llama", "general.name": "tiny llama", "general.file_type": 0,
        "llama.block_count": 2}


@pytest.fixture
def models_folder(radval_home: Path) -> Path:
    folder = radval_home / "data" / "models"
    folder.mkdir(parents=True)
    write_gguf(folder / "tiny.gguf", TINY, [("a", [16, 16])])
    cut = write_gguf(folder / "cut.gguf", TINY, [("a", [256, 256])])
    cut.write_bytes(cut.read_bytes()[:-4096])
    write_lora_adapter(folder / "hospital-a.gguf")  # for the default model (qwen2)
    return folder


def _system_config(home: Path, text: str) -> None:
    (home / "system-config.toml").write_text(text, encoding="utf-8")


def _show_models(qtbot: QtBot, window: MainWindow) -> QTableWidget:
    with qtbot.waitSignal(window.scanner.hashing_finished, timeout=SCAN_TIMEOUT_MS):
        window.tabs.setCurrentWidget(window.models_panel)
    return window.findChild(QTableWidget, "models.table")


def _names(table: QTableWidget) -> list[str]:
    return [table.item(row, 0).text() for row in range(table.rowCount())]


def _select(table: QTableWidget, name: str) -> None:
    row = next(r for r in range(table.rowCount()) if name in table.item(r, 0).text())
    table.selectRow(row)


def test_models_view_lists_models_marks_the_active_one_and_says_why_files_are_refused(
        qtbot: QtBot, make_window: Callable[..., MainWindow], models_folder: Path,
        short_drafts: Path) -> None:
    window = make_window()
    table = _show_models(qtbot, window)
    names = _names(table)
    assert names[0].startswith("● Qwen2.5")  # the model loaded now
    assert "tiny llama" in names
    assert table.item(0, 1).text() == "qwen2"
    assert table.item(0, 3).text() == "Q4_K_M"
    assert table.item(0, 6).text() == "yes (RAM)"
    assert table.item(0, 7).text() == "1d9614638d18"
    refused = window.findChild(QListWidget, "models.refused")
    assert refused.count() == 1
    assert refused.item(0).text().startswith("cut.gguf: ")
    assert "truncated" in refused.item(0).text()
    # IT configured no mirror: the action is not there at all.
    assert not window.findChild(QPushButton, "models.download").isVisibleTo(window)


@pytest.mark.slow
def test_use_with_an_adapter_reloads_through_the_service_and_drafts_record_it(
        qtbot: QtBot, make_window: Callable[..., MainWindow], models_folder: Path,
        short_drafts: Path) -> None:
    window = make_window()
    table = _show_models(qtbot, window)
    _select(table, "Qwen2.5")
    adapters = window.findChild(QComboBox, "models.adapter")
    assert [adapters.itemText(i).split(" (")[0] for i in range(adapters.count())] == [
        "None", "hospital-a.gguf"]  # the llama-only tiny model's adapters are not offered
    adapters.setCurrentIndex(1)
    with qtbot.waitSignal(window.service.model_loaded, timeout=60_000):
        qtbot.mouseClick(window.findChild(QPushButton, "models.use"), Qt.MouseButton.LeftButton)
    assert "adapter hospital-a" in window.status_text("model")
    assert load_settings()["model.adapter"] == str((models_folder / "hospital-a.gguf").resolve())

    findings = window.findChild(QPlainTextEdit, "draft.findings")
    findings.setPlainText("CT chest: patchy consolidation in the right lower lobe.")
    with qtbot.waitSignal(window.service.draft_finished, timeout=60_000):
        window.draft_panel.generate()
    [record] = window.history.recent()
    assert record.adapter_name == "hospital-a"
    assert len(record.adapter_sha256) == 64


def test_model_not_on_the_allowlist_cannot_be_chosen(
        qtbot: QtBot, make_window: Callable[..., MainWindow], models_folder: Path,
        radval_home: Path) -> None:
    from radval_desktop.engine.default_model import DEFAULT

    _system_config(radval_home, f'[model]\nallowed_sha256 = ["{DEFAULT.sha256}"]\n')
    window = make_window(loaded=False)
    table = _show_models(qtbot, window)
    _select(table, "tiny llama")
    row = table.currentRow()
    assert table.item(row, 8).text() == "NOT approved"
    assert not window.findChild(QPushButton, "models.use").isEnabled()
    _select(table, "Qwen2.5")
    assert table.item(table.currentRow(), 8).text() == "approved"
    assert window.findChild(QPushButton, "models.use").isEnabled()


def test_download_from_the_configured_mirror_adds_the_model(
        qtbot: QtBot, make_window: Callable[..., MainWindow], models_folder: Path,
        radval_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    data = write_gguf(tmp_path / "mirror.gguf", {**TINY, "general.name": "from the mirror"},
                      [("a", [32, 32])]).read_bytes()
    with serve({"hospital/radval/radval-7b.gguf": data}) as mirror:
        _system_config(radval_home, f'[hub]\nendpoint = "{mirror.url}"\n'
                       'files = ["hospital/radval/radval-7b.gguf"]\n')
        window = make_window(loaded=False)
        _show_models(qtbot, window)
        button = window.findChild(QPushButton, "models.download")
        assert button.isVisibleTo(window)
        monkeypatch.setattr(QInputDialog, "getItem",
                            lambda *_args, **_kw: ("hospital/radval/radval-7b.gguf", True))
        with qtbot.waitSignal(window.scanner.download_finished, timeout=SCAN_TIMEOUT_MS):
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        with qtbot.waitSignal(window.scanner.scan_finished, timeout=SCAN_TIMEOUT_MS):
            pass
    assert (models_folder / "radval-7b.gguf").read_bytes() == data
    assert "from the mirror" in _names(window.findChild(QTableWidget, "models.table"))
    assert "Downloaded and approved: radval-7b.gguf" in window.models_panel.message_text()
