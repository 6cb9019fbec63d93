"""Screenshots of the Draft view after real drafts (Chinese and English), to look at by eye.

Opt-in (RADVAL_SCREENSHOTS=1): two full drafts cost more than the rest of the UI tests.
They go to screenshots/ at the repository root, which git ignores.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPlainTextEdit
from pytestqt.qtbot import QtBot

from radval_desktop.ui.main_window import MainWindow

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
CASES = {
    "draft-zh": "胸部CT平扫：右肺下叶见斑片状高密度影，边界模糊，内见支气管充气征。"
                "双侧胸腔未见积液。纵隔内未见肿大淋巴结。心影大小正常。",
    "draft-en": "CT chest without contrast: patchy consolidation in the right lower lobe with "
                "air bronchograms. No pleural effusion. No enlarged mediastinal lymph nodes. "
                "Heart size is normal.",
}

pytestmark = pytest.mark.skipif(os.environ.get("RADVAL_SCREENSHOTS") != "1",
                                reason="set RADVAL_SCREENSHOTS=1 to save screenshots")


@pytest.mark.parametrize("name", sorted(CASES))
def test_draft_view_screenshot(qtbot: QtBot, make_window: Callable[..., MainWindow],
                               user_config: Callable[..., Path], name: str) -> None:
    user_config(max_tokens=80)
    window = make_window()
    window.resize(1000, 700)
    findings = window.findChild(QPlainTextEdit, "draft.findings")
    findings.setPlainText(CASES[name])
    with qtbot.waitSignal(window.service.draft_finished, timeout=300_000):
        qtbot.keyClick(findings, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.wait(200)  # let the status bar lay out its new texts before the grab
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    assert window.grab().save(str(path))
    assert path.stat().st_size > 10_000


def test_safety_flag_screenshot(qtbot: QtBot, make_window: Callable[..., MainWindow]) -> None:
    from PySide6.QtWidgets import QListWidget

    window = make_window(loaded=False)
    window.resize(1000, 700)
    window.draft_panel.set_findings(
        "胸廓对称。双肺纹理清晰，右肺上叶胸膜下可见片状磨玻璃影，边缘不清。双侧胸腔未见积液。")
    window.findChild(QPlainTextEdit, "draft.impression").setPlainText(
        "1. 左肺上叶炎性病变\n2. 双侧胸腔积液")
    flags = window.findChild(QListWidget, "draft.flags")
    qtbot.waitUntil(lambda: flags.count() >= 2, timeout=5_000)
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / "draft-safety-flags.png"
    assert window.grab().save(str(path))
    assert path.stat().st_size > 10_000


def test_models_view_screenshot(qtbot: QtBot, make_window: Callable[..., MainWindow],
                                short_drafts: Path, radval_home: Path) -> None:
    """Issue 11: the default model (active, approved), a fine-tuned model with its card (not
    approved), an institution's adapter, and two refused files with their reasons."""
    import hashlib
    import json

    from gguf_builder import write_gguf, write_lora_adapter
    from PySide6.QtWidgets import QTableWidget

    from radval_desktop.engine.default_model import DEFAULT
    from radval_desktop.prompts import bundled_templates, default_templates_file

    folder = radval_home / "data" / "models"
    folder.mkdir(parents=True)
    meta = {"general.architecture": "llama", "general.name": "RadVal chest CT 1B (hospital A)",
            "general.file_type": 1, "llama.block_count": 16, "llama.embedding_length": 2048,
            "llama.context_length": 8192, "llama.attention.head_count": 32,
            "llama.attention.head_count_kv": 8}
    tuned = write_gguf(folder / "radval-chest-1b-f16.gguf", meta,
                       [("token_embd.weight", [64, 512])])
    templates = bundled_templates()
    card = {"format": "radval-model-card", "format_version": 1, "created": "2026-11-23T10:00:00",
            "model": {"file": tuned.name, "sha256": hashlib.sha256(tuned.read_bytes()).hexdigest(),
                      "quantization": "F16"},
            "base": {"name": "Llama-3.2-1B-Instruct"},
            "prompt": {"template_id": templates.default_template,
                       "template_version": templates.version, "layout": "chat template",
                       "templates_toml": default_templates_file().read_text(encoding="utf-8")},
            "training": {"hyperparameters": {"lora_r": 64, "lora_alpha": 16}},
            "data": {}, "evaluation": {}}
    (folder / "radval-chest-1b-f16.card.json").write_text(json.dumps(card), encoding="utf-8")
    write_lora_adapter(folder / "hospital-b-style.gguf")
    cut = write_gguf(folder / "copied-halfway.gguf", meta, [("a", [256, 256])])
    cut.write_bytes(cut.read_bytes()[:-50_000])
    (folder / "model.safetensors").write_bytes(b"\x00" * 4096)
    (radval_home / "system-config.toml").write_text(
        f'[model]\nallowed_sha256 = ["{DEFAULT.sha256}"]\n', encoding="utf-8")
    window = make_window()
    window.resize(1200, 700)
    with qtbot.waitSignal(window.scanner.hashing_finished, timeout=60_000):
        window.tabs.setCurrentWidget(window.models_panel)
    table = window.findChild(QTableWidget, "models.table")
    table.selectRow(0)
    qtbot.wait(200)
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / "models-view.png"
    assert window.grab().save(str(path))
    assert path.stat().st_size > 10_000
