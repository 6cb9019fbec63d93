"""Names that come from files (a GGUF's general.name and architecture, a file name) show as
the characters they are, never as Qt rich text (issue 17, item 12b)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from gguf_builder import raw_gguf, raw_kv, write_gguf, write_lora_adapter
from PySide6.QtCore import Qt
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QTableWidget
from pytestqt.qtbot import QtBot

from radval_desktop.engine.gguf_file import read_gguf
from radval_desktop.ui.main_window import MainWindow

DEFAULT_NAME = b"Qwen2.5 Coder 0.5B Instruct AWQ"
# As long as the default model's name, so that it can be swapped in place: an image (a local
# file Qt would load), bold, and an entity.
HOSTILE_NAME = "<img src=/x.png><b>B</b>&amp;Qw"
HOSTILE_ADAPTER = "<img src=a.png>"  # a file name: no "/" in it, the rest is allowed
HOSTILE_ARCH = "<i>llama</i>"


def _shown(text: str, text_format: Qt.TextFormat = Qt.TextFormat.AutoText) -> str:
    """The characters a QLabel or tooltip shows for ``text`` in ``text_format``."""
    rich = text_format == Qt.TextFormat.RichText or (
        text_format == Qt.TextFormat.AutoText and GuiQt.mightBeRichText(text))
    if not rich:
        return text
    document = QTextDocument()
    document.setHtml(text)
    return document.toPlainText()


def _label_shows(label: QLabel) -> str:
    return _shown(label.text(), label.textFormat())


def _hostile_model(default_model_path: Path, target: Path) -> Path:
    """The default model with its general.name replaced by HOSTILE_NAME (same length)."""
    hostile = HOSTILE_NAME.encode()
    assert len(hostile) == len(DEFAULT_NAME)
    with default_model_path.open("rb") as src, target.open("wb") as dst:
        head = src.read(1 << 20)
        assert head.count(DEFAULT_NAME) == 1
        dst.write(head.replace(DEFAULT_NAME, hostile))
        shutil.copyfileobj(src, dst, 1 << 24)
    assert read_gguf(target).name == HOSTILE_NAME
    return target


def test_names_from_files_show_as_plain_text_in_every_widget(
        qtbot: QtBot, make_window: Callable[..., MainWindow], radval_home: Path,
        default_model_path: Path, short_drafts: Path) -> None:
    folder = radval_home / "data" / "models"
    folder.mkdir(parents=True)
    model = _hostile_model(default_model_path, folder / "hostile.gguf")
    write_lora_adapter(folder / f"{HOSTILE_ADAPTER}.gguf")
    write_gguf(folder / "arch-adapter.gguf",
               {"general.architecture": HOSTILE_ARCH, "general.type": "adapter",
                "adapter.type": "lora", "general.name": "arch"}, [("x.lora_a", [4])])
    window = make_window()
    with qtbot.waitSignal(window.scanner.hashing_finished, timeout=60_000):
        window.tabs.setCurrentWidget(window.models_panel)
    table = window.findChild(QTableWidget, "models.table")
    details = window.findChild(QLabel, "models.details")

    row = next(r for r in range(table.rowCount()) if table.item(r, 0).toolTip() == str(model))
    assert table.item(row, 0).text() == HOSTILE_NAME
    for column in range(table.columnCount()):
        item = table.item(row, column)
        assert _shown(item.toolTip()) == (str(model) if column == 0 else item.text())
    table.selectRow(row)
    assert _label_shows(details).startswith(f"{HOSTILE_NAME} — {model}")

    arch_row = next(r for r in range(table.rowCount()) if table.item(r, 1).text() == HOSTILE_ARCH)
    assert _shown(table.item(arch_row, 1).toolTip()) == HOSTILE_ARCH
    table.selectRow(arch_row)
    assert f"LoRA adapter for {HOSTILE_ARCH} models" in _label_shows(details)

    table.selectRow(row)
    adapters = window.findChild(QComboBox, "models.adapter")
    adapters.setCurrentIndex(next(i for i in range(adapters.count())
                                  if adapters.itemText(i).startswith(HOSTILE_ADAPTER)))
    message = window.findChild(QLabel, "models.message")
    with qtbot.waitSignal(window.service.model_loaded, timeout=60_000):
        qtbot.mouseClick(window.findChild(QPushButton, "models.use"), Qt.MouseButton.LeftButton)
        assert _label_shows(message) == f"Loading {HOSTILE_NAME} with {HOSTILE_ADAPTER}.gguf…"
    status = window.findChild(QLabel, "status.model")
    # Issue 19: named by its file and quantization; the file's own name in the tooltip.
    expected = f"Model: hostile Q4_K_M + adapter {HOSTILE_ADAPTER}"
    assert _label_shows(status) == expected
    reading = ("\nComputed from a BF16 copy in memory: this CPU reads prompts faster from it."
               if window.model_info.compute_type else "")
    assert _shown(status.toolTip()) == (f"{expected}\nIts file calls it: {HOSTILE_NAME}"
                                        + reading)


def test_a_refusal_quoting_a_key_from_the_file_shows_as_plain_text(
        qtbot: QtBot, make_window: Callable[..., MainWindow], radval_home: Path,
        user_config: Callable[..., Path]) -> None:
    # The reader's sentence quotes the file's own key; the window's message says it as is.
    key = "<img src=/k.png><b>k</b>"
    kvs = [raw_kv("general.architecture", "string", "llama"), raw_kv(key, "u32", 1),
           raw_kv(key, "u32", 2)]
    user_config(model_path=raw_gguf(radval_home / "twice.gguf", kvs))
    window = make_window(expect_failure=True)
    message = window.findChild(QLabel, "draft.message")
    assert f"its key {key} is written twice" in _label_shows(message)
