"""The window in Chinese and English (issue 20): every string through Qt's translations, the
catalogue complete and compiled, the language chosen at start, no text left in the other
language, and the core's sentences translated too."""

from __future__ import annotations

import importlib.util
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from gguf_builder import write_gguf
from PySide6.QtCore import QAbstractItemModel, QAbstractListModel, QLocale, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QProgressBar,
    QTableWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot
from reader_study_data import build_study

from radval_desktop import paths
from radval_desktop.config import load_settings
from radval_desktop.errors import Words
from radval_desktop.ui.app import start_language
from radval_desktop.ui.i18n import CHINESE, ENGLISH, choose_language, remove_language
from radval_desktop.ui.main_window import MainWindow, device_text
from radval_desktop.ui.settings_dialog import SettingsDialog

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("translations", REPO / "packaging" /
                                               "translations.py")
assert _spec is not None
assert _spec.loader is not None
translations = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(translations)

SCREENSHOTS = REPO / "screenshots"
TS = translations.ts_file(CHINESE)
QM = translations.qm_file(CHINESE)
SCAN_TIMEOUT_MS = 30_000
# Words a Chinese window keeps in Latin letters: names, units, keys and file types that
# Chinese radiology software writes so too.
ALLOWED_LATIN = {
    "RadVal", "CT", "MRI", "XR", "GPU", "CPU", "llama", "cpp", "LoRA", "NA", "Ctrl", "Enter",
    "Esc", "Alt", "Shift", "PgDn", "PgUp", "UTC", "sha256", "GGUF", "gguf", "CSV", "XLSX",
    "JSONL", "csv", "tsv", "xlsx", "jsonl", "IT", "MB", "Top", "SQLite", "db", "sqlite",
    "English", "tiny", "Q4", "F32", "B", "M", "k", "kB", "GB", "approved",
}
# Widgets whose text is the data or a path, not the window's own words.
DATA_WIDGETS = {"scoring.findings", "scoring.reference", "scoring.impression", "scoring.file",
                "scoring.rater", "scoring.study", "models.folders", "models.details",
                "models.refused", "models.adapter", "results.path", "draft.findings",
                "draft.impression", "history.list"}
# The questionnaire's own bilingual texts, shown in both languages as the paper does (SPEC §7).
# The paper shows its questionnaire in both languages: the metrics, their definitions.
BILINGUAL = {"scoring.metric_title", "scoring.question", "scoring.q2", "scoring.metrics",
             "scoring.definition",
             *(f"scoring.band.{i}" for i in range(5))}
_HAN = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[A-Za-z]{2,}[A-Za-z0-9]*")


def _messages(ts: Path) -> dict[tuple[str, str], tuple[str, str]]:
    """(context, source) -> (translation, its type) of a .ts file."""
    found = {}
    for context in ET.parse(ts).getroot():
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            assert translation is not None
            found[(name, message.findtext("source") or "")] = (
                translation.text or "", translation.get("type", ""))
    return found


def test_every_string_of_the_sources_has_a_finished_chinese_translation(tmp_path: Path
                                                                        ) -> None:
    """lupdate over radval_desktop finds each tr()/translate()/sentence() string; each must
    be in the committed .ts, translated and finished. A new window string fails here until
    `python packaging/translations.py update` and its translation are committed."""
    fresh = tmp_path / "fresh.ts"
    translations.update(fresh)
    extracted = _messages(fresh)
    committed = _messages(TS)
    assert len(extracted) >= 300  # the window's and the core's sentences (309 at issue 20)
    missing = sorted(key for key in extracted if key not in committed)
    assert not missing, f"not in {TS.name}: {missing[:5]}"
    unfinished = sorted(key for key, (text, kind) in committed.items()
                        if key in extracted and (not text.strip() or kind))
    assert not unfinished, f"untranslated: {unfinished[:5]}"
    stale = sorted(key for key in committed if key not in extracted)
    assert not stale, f"no longer in the sources: {stale[:5]}"


def test_every_translation_keeps_the_placeholders_of_its_source() -> None:
    fields = re.compile(r"\{[^{}]*\}|%[vmp]")
    # The names must match; a conversion may differ: the English quotes with {said!r}, the
    # Chinese with “{said}”.
    names = re.compile(r"\{([^{}!]*)(?:![rsa])?\}|(%[vmp])")
    committed = _messages(TS)
    wrong = [(source, text) for (_, source), (text, _kind) in committed.items()
             if sorted(names.findall(source)) != sorted(names.findall(text))]
    assert not wrong
    # And Chinese it is: every translation but the names kept as they are holds Han text.
    latin = [s for (_, s), (t, _k) in committed.items()
             if not _HAN.search(t) and _english_words(fields.sub("", t))]
    assert latin == [], latin[:5]


def test_the_committed_qm_is_compiled_from_the_committed_ts(tmp_path: Path) -> None:
    fresh = tmp_path / "radval_zh_CN.qm"
    translations.compile_ts(TS, fresh)
    assert fresh.read_bytes() == QM.read_bytes(), (
        "resources/i18n/radval_zh_CN.qm is stale: run `python packaging/translations.py "
        "compile` and commit it")


def test_language_follows_the_system_unless_the_user_or_it_chose(radval_home: Path) -> None:
    chinese, english = QLocale(QLocale.Language.Chinese, QLocale.Country.China), QLocale("en_US")
    assert choose_language("auto", chinese) == CHINESE
    assert choose_language("auto", QLocale("zh_TW")) == CHINESE
    assert choose_language("auto", english) == ENGLISH
    assert choose_language("en", chinese) == ENGLISH
    assert choose_language("zh_CN", english) == CHINESE
    assert choose_language("zh", english) == CHINESE
    assert choose_language("fr", english) == ENGLISH  # unknown: the system's, with a warning
    user = paths.user_config_file()
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text('[ui]\nlanguage = "en"\n', encoding="utf-8")
    assert load_settings()["ui.language"] == "en"
    system = paths.system_config_file()
    system.parent.mkdir(parents=True, exist_ok=True)
    system.write_text('[ui]\nlanguage = "zh_CN"\n', encoding="utf-8")
    settings = load_settings()
    assert settings["ui.language"] == "zh_CN"  # IT's file wins, as for every locked key
    assert "ui.language" in settings.locked


@pytest.fixture
def language(qapp: QApplication) -> Iterator[None]:
    yield
    remove_language(qapp)  # later tests read the English source texts


def _start(qapp: QApplication, value: str, tiny_model: bool = True) -> str:
    """Start the app's language as `radval` does, from a user file with ui.language; the
    models folder holds a tiny GGUF (chosen as the model unless ``tiny_model`` is False)."""
    user = paths.user_config_file()
    user.parent.mkdir(parents=True, exist_ok=True)
    folder = paths.data_dir() / "models"
    folder.mkdir(parents=True, exist_ok=True)
    tiny = write_gguf(folder / "tiny.gguf", {"general.architecture": "llama",
                                              "general.name": "tiny", "general.file_type": 0,
                                              "llama.block_count": 2}, [("a", [16, 16])])
    model = f'path = "{tiny}"\n' if tiny_model else ""
    user.write_text(f'[model]\n{model}n_threads = 1\n[ui]\nlanguage = "{value}"\n',
                    encoding="utf-8")
    return start_language(qapp, load_settings())


def _texts(widget: QWidget, root: QWidget) -> list[tuple[str, str]]:
    """(objectName, text) of each text the user sees on ``widget``."""
    name = widget.objectName()
    if name in DATA_WIDGETS or not widget.isVisibleTo(root):
        return []
    texts: list[str] = []
    if isinstance(widget, QLabel | QAbstractButton):
        texts.append(widget.text())
    if isinstance(widget, QLineEdit | QPlainTextEdit):
        texts.append(widget.placeholderText())
    if isinstance(widget, QComboBox) and not widget.isEditable():
        texts += [widget.itemText(i) for i in range(widget.count())]
    if isinstance(widget, QProgressBar):
        texts.append(widget.format())
    if isinstance(widget, QListWidget):
        texts += [widget.item(i).text() for i in range(widget.count())]
    if isinstance(widget, QTableWidget):
        texts += [widget.horizontalHeaderItem(i).text() for i in range(widget.columnCount())]
    return [(name, text) for text in texts if text]


def _english_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text) if w not in ALLOWED_LATIN]


def _all_tabs(qtbot: QtBot, window: MainWindow, study: Path) -> dict[str, list[tuple[str, str]]]:
    """Every tab's visible texts (Scoring with a study open, Models scanned), the status bar,
    the menu and the Settings dialog."""
    window.scoring_panel.open_file(study)
    window.scoring_panel.start("Dr Li", "senior")
    shown: dict[str, list[tuple[str, str]]] = {}
    for index in range(window.tabs.count()):
        if window.tabs.widget(index) is window.models_panel:
            with qtbot.waitSignal(window.scanner.scan_finished, timeout=SCAN_TIMEOUT_MS):
                window.tabs.setCurrentIndex(index)
        window.tabs.setCurrentIndex(index)
        page = window.tabs.widget(index)
        tab = window.tabs.tabText(index)
        shown[tab] = [("tab", tab), *(t for w in page.findChildren(QWidget)
                                      for t in _texts(w, page))]
    shown["window"] = [("title", window.windowTitle()),
                       *(("status", label.text()) for label in window.status_labels.values()),
                       *(("menu", a.text()) for m in window.menuBar().actions()
                         for a in [m, *m.menu().actions()])]
    dialog = SettingsDialog(window.settings, window)
    qtbot.addWidget(dialog)
    dialog.show()
    shown["settings"] = [("title", dialog.windowTitle()),
                         *(t for w in dialog.findChildren(QWidget) for t in _texts(w, dialog)
                           if not w.objectName().startswith("settings.source."))]
    return shown


def test_the_window_in_chinese_shows_no_english(qtbot: QtBot, qapp: QApplication,
                                                 tmp_path: Path, language: None) -> None:
    assert _start(qapp, "zh_CN") == CHINESE
    window = MainWindow(load_model=False)
    qtbot.addWidget(window)
    window.show()
    try:
        shown = _all_tabs(qtbot, window, build_study(tmp_path / "study.db") and
                          tmp_path / "study.db")
    finally:
        window.shutdown()
    assert list(shown)[:7] == ["草稿", "历史记录", "研究", "评分", "结果", "模型", "window"]
    english = {(tab, name, text): words for tab, texts in shown.items()
               for name, text in texts if name not in BILINGUAL
               for words in [_english_words(text)] if words}
    assert english == {}
    counted = sum(len(texts) for texts in shown.values())
    assert counted >= 90  # the texts checked (labels, buttons, headers, items, menu, dialog)
    assert ("draft.corpus_notice_text", "尚无既往报告：草稿使用 RadVal 内置的示例。导入既往报告"
            "（报告系统导出的 CSV/XLSX/JSONL），草稿即可遵循本科室的书写风格。") in shown["草稿"]
    assert ("settings.language_note", "界面语言在下次启动时生效。") in shown["settings"]


def test_the_window_in_english_shows_no_chinese(qtbot: QtBot, qapp: QApplication,
                                                tmp_path: Path, language: None) -> None:
    assert _start(qapp, "en") == ENGLISH
    window = MainWindow(load_model=False)
    qtbot.addWidget(window)
    window.show()
    try:
        shown = _all_tabs(qtbot, window, build_study(tmp_path / "study.db") and
                          tmp_path / "study.db")
    finally:
        window.shutdown()
    assert list(shown)[:6] == ["Draft", "History", "Study", "Scoring", "Results", "Models"]
    chinese = [(tab, name, text) for tab, texts in shown.items() for name, text in texts
               if name not in BILINGUAL and _HAN.search(text)
               # the language choice names Chinese in Chinese, as language menus do
               and text != "中文（简体）"]
    assert chinese == []
    assert sum(len(texts) for texts in shown.values()) >= 90


def test_core_errors_and_device_reach_the_chinese_window_in_chinese(
        qtbot: QtBot, qapp: QApplication, tmp_path: Path, language: None) -> None:
    _start(qapp, "zh_CN")
    window = MainWindow(load_model=False)
    qtbot.addWidget(window)
    try:
        window.draft_panel.set_findings("   ")
        window.draft_panel.generate()  # the core's InputError, raised with its values
        assert window.draft_panel.message_text() == "检查所见为空：请粘贴报告的“检查所见”部分。"
        window.draft_panel.set_findings("\x00\x01\x02\x03 binary")
        window.draft_panel.generate()
        assert window.draft_panel.message_text().startswith("粘贴的文本含有 4 个控制字符")
        junk = tmp_path / "model.gguf"
        junk.write_bytes(b"PK\x03\x04 a zip, not a model" * 10)
        dialog = SettingsDialog(window.settings, window)
        qtbot.addWidget(dialog)
        dialog.findChild(QLineEdit, "settings.model.path.edit").setText(str(junk))
        assert not dialog.apply()  # ModelFileError from the GGUF reader
        assert dialog.message_text() == ("文件 model.gguf 不是 GGUF 模型（文件标识不符）；RadVal "
                                         "需要为 llama.cpp 制作的量化 .gguf 文件。")
        from radval_desktop.engine.device import choose_device
        cpu = choose_device(-1, 24, supports_gpu=lambda: False)
        gpu = choose_device(10, 24, supports_gpu=lambda: True)
        assert device_text(cpu) == "CPU：此 llama.cpp 版本不支持 GPU（无 CUDA）"
        assert device_text(gpu) == "GPU：25 层中 10 层在 GPU 上"
        assert cpu.describe() == "CPU: this llama.cpp build has no GPU support (no CUDA)"
    finally:
        window.shutdown()


# What a Chinese window shows in Latin letters in its cells, data and tooltips besides
# ALLOWED_LATIN: file names and paths, numbers, and these (a model's own name, its
# quantization, the study's institutions and model ids in the test study).
_DATA_LATIN = re.compile(r"<[^<>]+>|\S*[/\\]\S*|\S+\.(?:gguf|db|csv|xlsx|jsonl|toml|png|pdf)\b"
                         r"|\b[0-9a-f]{12,64}\b|\bQ\d_\w+\b|\bmodel-[a-z]\b|\bIHG\b"
                         r"|\bQwen[\w.]*|\bCoder\b|\bInstruct\b|\bAWQ\b|\bqwen[\w.-]*"
                         r"|\bpilot\b|\bDr (?:Junior|Middle|Senior)\b"
                         # the paper's statistics and groups, as Chinese papers write them
                         r"|\b(?:ICC|CI|alpha|OG|IHG|OHG|ROUGE|F1|p90)\b"
                         # the seven metrics, bilingual as the paper prints them
                         r"|\b[A-Z][a-z]+(?: [a-z]+)? (?=[\u4e00-\u9fff])")


def _model_texts(model: QAbstractItemModel) -> list[str]:
    """Headers and cells of a view's model, as shown and as tooltips."""
    columns = 1 if isinstance(model, QAbstractListModel) else model.columnCount()
    texts = []
    for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
        texts += [str(model.headerData(c, Qt.Orientation.Horizontal, role) or "")
                  for c in range(columns)]
        texts += [str(model.data(model.index(r, c), role) or "")
                  for r in range(model.rowCount()) for c in range(columns)]
    return texts


def _everything(window: MainWindow) -> list[tuple[str, str, str]]:
    """(tab, objectName, text) of every text on every tab, data widgets, table cells, list
    items and tooltips included."""
    from PySide6.QtWidgets import QAbstractItemView

    found = []
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        page, tab = window.tabs.widget(index), window.tabs.tabText(index)
        for widget in [page, *page.findChildren(QWidget)]:
            if not widget.isVisibleTo(page):
                continue
            name = widget.objectName()
            texts = [widget.toolTip()]
            if isinstance(widget, QLabel | QAbstractButton):
                texts.append(widget.text())
            if isinstance(widget, QLineEdit):
                texts += [widget.text(), widget.placeholderText()]
            if isinstance(widget, QPlainTextEdit):
                texts += [widget.toPlainText(), widget.placeholderText()]
            if isinstance(widget, QComboBox):
                texts += [widget.itemText(i) for i in range(widget.count())]
            if isinstance(widget, QAbstractItemView) and widget.model() is not None:
                texts += _model_texts(widget.model())
            found += [(tab, name, text) for text in texts if text]
    return found


def test_the_chinese_window_after_a_draft_shows_no_english_in_cells_data_or_tooltips(
        qtbot: QtBot, qapp: QApplication, tmp_path: Path, language: None,
        make_window: Callable[..., MainWindow]) -> None:
    """After a draft with the real default model (its safety flags on screen) and with a
    scored study in Results: no English in any cell, data widget or tooltip but the data's
    own names, paths and numbers."""
    from reader_study_data import build_scored_study

    _start(qapp, "zh_CN", tiny_model=False)
    window = make_window(loaded=True)
    window.draft_panel.set_findings(
        "右肺上叶见片状磨玻璃影，边界模糊。左侧胸腔少量积液。纵隔居中，未见肿大淋巴结。")
    with qtbot.waitSignal(window.draft_panel.draft_completed, timeout=120_000):
        window.draft_panel.generate()
    study = tmp_path / "study.db"
    build_scored_study(study)
    window.results_panel.open_study(study)
    window.scoring_panel.open_file(study)
    with qtbot.waitSignal(window.scanner.scan_finished, timeout=SCAN_TIMEOUT_MS):
        window.tabs.setCurrentWidget(window.models_panel)
    found = _everything(window)
    results = window.results_panel
    for index in range(results.table_choice.count()):  # every table, not only the first
        results.table_choice.setCurrentIndex(index)
        found += [("结果", "results.table", text) for text in _model_texts(results.grid.model())]
    english = sorted({(tab, name, text) for tab, name, text in found
                      if name not in BILINGUAL
                      and _english_words(_DATA_LATIN.sub(" ", text))})
    assert english == []
    assert len(found) >= 200
    # The draft's safety flags were on screen, and checked: Chinese reasons.
    flags = [text for _tab, name, text in found if name == "draft.flags" and "：" in text]
    assert flags
    assert all(_HAN.search(text.split("：", 1)[1]) for text in flags)
    history = [text for _tab, name, text in found if name == "history.list" and "CT" in text]
    assert "  胸部 CT\n" in history[0]


def test_self_test_from_the_window_follows_the_window_language(
        qapp: QApplication, tmp_path: Path, language: None) -> None:
    """The self-test's report said through the window's own translator (Qt's), as the window
    would show it: Chinese in a Chinese window whatever LANG says, English in an English one."""
    from PySide6.QtCore import QCoreApplication

    from radval_desktop.self_test import run_self_test

    _start(qapp, "zh_CN")
    settings = load_settings()
    report = run_self_test(settings, model=str(tmp_path / "gone.gguf"))
    chinese = report.lines(QCoreApplication.translate)
    assert chinese[0].startswith("RadVal 自检（")
    assert chinese[-1].startswith("未通过：模型：请查看标为 FAIL 的行")
    assert [line for line in chinese[1:] if not _HAN.search(line)] == [], chinese
    remove_language(qapp)
    english = report.lines(QCoreApplication.translate)
    assert english[-1].startswith("FAIL: model: see the lines marked FAIL")
    assert [line for line in english if _HAN.search(line)] == []


# Chinese cases and the flags they raise (safety.checks), each reason in the Chinese window.
FLAG_CASES = [("右肺上叶见磨玻璃影，边界模糊。左侧胸腔积液。", "左肺上叶炎性病变。"),
              ("右肺上叶见片状磨玻璃影。", "双肺未见异常。未见胸腔积液。"),
              ("双肺纹理清晰。", "右肺结节。")]


def test_safety_flag_reasons_reach_the_chinese_window_in_chinese(
        qtbot: QtBot, qapp: QApplication, language: None) -> None:
    """Every flag's reason is a template and values (safety.checks): the window says it in
    Chinese and names the concept as the report words it (磨玻璃影, not 'ground glass')."""
    from radval_desktop.safety.checks import run_checks
    from radval_desktop.ui.safety_flags import FlagList

    _start(qapp, "zh_CN")
    panel = FlagList()
    qtbot.addWidget(panel)
    shown = []
    for findings, impression in FLAG_CASES:
        flags = run_checks(findings, impression, "zh")
        panel.set_flags(flags)
        items = panel.findChild(QListWidget, "draft.flags")
        shown += [(items.item(i).text(), items.item(i).toolTip()) for i in range(items.count())]
        assert flags[0].reason.startswith("The impression")  # the CLI's English is kept
    assert len(shown) == 4
    assert [(text, tip) for text, tip in shown
            if _english_words(text) or not tip or tip not in text] == []
    assert shown[0][0] == "⚠ 侧别或肺叶：诊断意见写“左肺上叶”，而检查所见描述在右侧。"
    assert "“磨玻璃影”" in shown[2][0]


def test_the_detail_inside_a_not_usable_sentence_is_chinese_too(
        qapp: QApplication, language: None) -> None:
    """"Not usable: … ({detail}) …": the detail (a guard's, a restatement's, a flag's reason)
    is a sentence of its own (errors.Words), translated inside the outer one; the English
    the CLI prints is unchanged."""
    from radval_desktop.drafting import _failure_message
    from radval_desktop.engine.guards import judge
    from radval_desktop.errors import SENTENCES, Words
    from radval_desktop.safety.checks import run_checks
    from radval_desktop.safety.restatement import find_restatement
    from radval_desktop.workers.sentences import translated

    _start(qapp, "zh_CN")
    flag = run_checks(*FLAG_CASES[0], "zh")[0]
    copy = find_restatement("右肺上叶见片状磨玻璃影，边界模糊。纵隔居中，未见肿大淋巴结。",
                            "右肺上叶见片状磨玻璃影，边界模糊。纵隔居中，未见肿大淋巴结。", "zh")
    assert copy is not None
    details = {
        "contradicts": Words("FlagReasons", flag.template, tuple(
            (k, Words("FlagReasons", v) if k == "where" else v) for k, v in flag.values)),
        "repetition": judge("肺结节" * 40).words,
        "empty": judge("  ").words,
        "restated": copy.words,
    }
    shown = {}
    for reason, detail in details.items():
        assert detail is not None
        template, values = _failure_message(reason, detail, 3, "corpus")
        english = template.format(**values)
        assert "(" + str(detail) + ")" in english or reason == "empty"  # the CLI's English
        shown[reason] = translated(SENTENCES, template, values, english)
    assert [text for text in shown.values() if _english_words(text)] == []
    assert shown["contradicts"] == ("不可用：尝试 3 次，每份草稿都与检查所见矛盾"
                                    "（诊断意见写“左肺上叶”，而检查所见描述在右侧）。"
                                    "请手动书写此诊断意见。")
    assert "“肺结节”重复了" in shown["repetition"]
    assert "草稿重复了 100% 的检查所见" in shown["restated"]


def test_sqlite_failures_reach_the_chinese_window_in_chinese(
        qapp: QApplication, tmp_path: Path, language: None) -> None:
    """A read-only and a damaged history or study database (real SQLite files, SQLite's own
    error codes) give StoreErrors that the Chinese window shows in Chinese, the English kept."""
    import sqlite3

    from radval_desktop.errors import StoreError
    from radval_desktop.store.database import store_errors
    from radval_desktop.store.reader_study import study_errors
    from radval_desktop.workers.sentences import error_text

    _start(qapp, "zh_CN")
    path = tmp_path / "history.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"not a database at all " * 200)
    shown, english = [], []
    for errors in (store_errors, study_errors):
        for file, sql, uri in ((path, "INSERT INTO t VALUES (1)", "?mode=ro"),
                               (damaged, "SELECT * FROM sqlite_master", "")):
            db = sqlite3.connect(f"file:{file}{uri}", uri=True)
            with pytest.raises(StoreError) as caught, errors(file):
                db.execute(sql)
            db.close()
            shown.append(error_text(caught.value))
            english.append(str(caught.value))
    from radval_desktop.store.reader_study import open_study

    with pytest.raises(StoreError) as caught:  # opening a damaged study: the rater's sentence
        open_study(damaged)
    shown.append(error_text(caught.value))
    assert shown[-1].startswith(f"研究数据库 {damaged}已损坏")
    assert [text for text in shown if _english_words(_DATA_LATIN.sub(" ", text))] == []
    assert shown[0] == (f"历史记录数据库 ({path})为只读；请联系 IT 为您的账户开通写入权限，"
                        "或在“设置”中关闭历史记录。")
    assert shown[3].startswith(f"研究数据库 {damaged}已损坏或不是 RadVal 数据库")
    assert english[0].startswith(f"The history database ({path}) is read-only;")
    from radval_desktop.errors import InputError
    from radval_desktop.store.merge import merge_databases

    with pytest.raises(InputError) as merged:  # a junk file sent back as a rater's study
        merge_databases([damaged], tmp_path / "merged.db")
    assert error_text(merged.value).startswith(f"{damaged} 不是 RadVal 研究数据库，或已损坏（")
    assert str(merged.value).startswith(f"{damaged} is not a RadVal study database")
    from radval_desktop.study.lead import hand_out

    with pytest.raises(InputError) as handed:  # handing out before any rater is added
        hand_out(path, None, [], tmp_path)  # type: ignore[arg-type]  # refused before use
    assert error_text(handed.value) == "请先添加评分者，再为每人生成一份文件。"
    assert english[2].endswith("Your answer is kept on screen and saved with your next change.")


def test_an_unreadable_it_file_is_said_in_chinese_in_the_window_and_the_self_test(
        qtbot: QtBot, qapp: QApplication, radval_home: Path, language: None) -> None:
    """IT's file with a TOML error (issue 17: nothing drafts): the Draft tab's sentence and the
    self-test's settings line are Chinese, pieces and all; the English stays for the log."""
    from PySide6.QtCore import QCoreApplication

    from radval_desktop.self_test import run_self_test

    _start(qapp, "zh_CN")
    system = paths.system_config_file()
    system.parent.mkdir(parents=True, exist_ok=True)
    system.write_text("[model]\nallowed_sha256 = ['" + "a" * 64 + "'\n", encoding="utf-8")
    settings = load_settings()
    assert settings.system_error.startswith(f"IT's settings file {system} is not valid TOML (")
    window = MainWindow(load_model=False)
    qtbot.addWidget(window)
    try:
        window.load_model()
        shown = window.draft_panel.message_text()
    finally:
        window.shutdown()
    assert shown.startswith(f"IT 的设置文件 {system} 不是有效的 TOML（")
    assert shown.endswith("修复之前不会加载任何模型：请更正该文件。请告知 IT 部门。")
    lines = run_self_test(settings).lines(QCoreApplication.translate)
    line = next(text for text in lines if "FAIL 设置" in text)
    assert line.endswith("修复之前不会加载任何模型：请更正该文件。请告知 IT 部门。")


@dataclass(frozen=True)
class _NoteOnly:
    """The fields of a DraftResult its note is made of."""

    prompt_note: str
    prompt_note_words: tuple[Words, ...]
    example_source: str
    examples: tuple[object, ...]


def test_the_note_of_examples_left_out_is_chinese_in_the_window(
        qapp: QApplication, language: None, engine: object) -> None:
    """Examples too long for the context are left out and said (the real default model's
    tokenizer decides): the Draft tab's note is Chinese, the CLI's note English."""
    from radval_desktop.drafting import DraftRequest, prepare_draft
    from radval_desktop.engine.sampling import Sampling
    from radval_desktop.prompts import Example
    from radval_desktop.ui.draft_panel import _examples_note

    _start(qapp, "zh_CN")
    long = Example("右肺上叶见结节，边缘光整。" * 120, "右肺上叶结节。")
    short = Example("左肺下叶见斑片影。", "左肺下叶炎症。")
    ready = prepare_draft(engine, DraftRequest("右肺上叶见片状磨玻璃影。", "chest", "CT",
                                               examples=[long, long, short]),
                          sampling=Sampling(max_tokens=3500))
    assert ready.note == "2 example(s) left out: too long for the context"
    result = _NoteOnly(ready.note, ready.note_words, ready.example_source, ready.examples)
    shown = _examples_note(result)  # type: ignore[arg-type]
    assert shown.endswith("（2 个示例过长、超出上下文，未使用）")
    assert _english_words(shown) == []


def test_settings_tooltips_are_chinese_but_their_keys(
        qtbot: QtBot, qapp: QApplication, language: None) -> None:
    """Each setting's tooltip: its TOML key as IT writes it, then what it does, in Chinese."""
    _start(qapp, "zh_CN")
    dialog = SettingsDialog(load_settings())
    qtbot.addWidget(dialog)
    tips = [w.toolTip() for w in dialog.findChildren(QWidget) if w.toolTip()]
    assert len(tips) >= 15
    keys = re.compile(r"\b[a-z_]+\.[a-z_0-9]+\b|\b(?:auto|en|zh|zh_CN|owner|repo|file|Hugging|Face"
                      r"|training)\b")
    assert [tip for tip in tips if _english_words(keys.sub(" ", tip))] == []
    assert "model.path：用于生成草稿的 GGUF 文件；留空 = 内置默认模型" in tips


def test_corpus_import_problem_lines_are_chinese_in_the_window(
        qtbot: QtBot, qapp: QApplication, tmp_path: Path, language: None) -> None:
    """A past-reports file with a row missing its impression, one with a body system RadVal
    does not know and a broken CSV row: the Chinese window's import message names the first
    in Chinese (第 3 行：impression 为空); the CLI's problem lines stay English."""
    _start(qapp, "zh_CN")
    path = tmp_path / "export.csv"
    path.write_text("检查所见,诊断意见,检查部位\n"
                    "右肺上叶见片状磨玻璃影。,右肺上叶炎性病变,胸部\n"
                    "左肺下叶见结节影。,,胸部\n"
                    "肝右叶见低密度影。,肝囊肿,脚部\n", encoding="utf-8")
    window = MainWindow(load_model=False)
    qtbot.addWidget(window)
    try:
        with qtbot.waitSignal(window.importer.import_finished, timeout=30_000):
            window.import_corpus_file(path)
        shown = window.draft_panel.message_text()
    finally:
        window.shutdown()
    assert shown == "已导入 1 对，0 对已存在；跳过 2 行（第一处：第 3 行：impression 为空）。"
    from radval_desktop.case_files import read_cases

    read = read_cases(path, required=("findings", "impression", "body_system"))
    assert [str(p) for p in read.problems][0] == "line 3: empty impression"
    from radval_desktop.workers.sentences import translated

    second = read.problems[1].sentence()
    text = translated(second.context, second.template, second.values)
    assert text.startswith("第 4 行：")
    assert _HAN.search(text.split("：", 1)[1])


@pytest.mark.skipif(not os.environ.get("RADVAL_SCREENSHOTS"),
                    reason="set RADVAL_SCREENSHOTS=1 to save screenshots")
@pytest.mark.parametrize("value", ["zh_CN", "en"])
def test_screenshots_of_every_tab(qtbot: QtBot, qapp: QApplication, tmp_path: Path,
                                  language: None, value: str,
                                  make_window: Callable[..., MainWindow]) -> None:
    """screenshots/<language>-<n>-<tab>.png of the real window, the default model loaded,
    a draft made and a study open; for looking at, not asserting on pixels."""
    _start(qapp, value, tiny_model=False)
    window = make_window(loaded=True)
    window.resize(1000, 760)  # the window's first size (MainWindow._restore_geometry)
    window.draft_panel.set_findings("双肺纹理清晰，右肺上叶胸膜下可见片状磨玻璃影，边界模糊。"
                                    "纵隔居中，未见肿大淋巴结。")
    with qtbot.waitSignal(window.draft_panel.draft_completed, timeout=120_000):
        window.draft_panel.generate()
    build_study(tmp_path / "study.db")
    _all_tabs(qtbot, window, tmp_path / "study.db")
    from reader_study_data import build_scored_study

    build_scored_study(tmp_path / "scored.db")  # Results: tables and a radar chart to see
    window.results_panel.open_study(tmp_path / "scored.db")
    window.results_panel.table_choice.setCurrentIndex(1)
    window.results_panel.chart_choice.setCurrentIndex(1)
    SCREENSHOTS.mkdir(exist_ok=True)
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        qapp.processEvents()
        window.grab().save(str(SCREENSHOTS / f"{value}-{index + 1}-tab.png"))
    window.tabs.setCurrentWidget(window.results_panel)  # the Results tab's chart page too
    window.results_panel.views.setCurrentIndex(1)
    qapp.processEvents()
    window.grab().save(str(SCREENSHOTS / f"{value}-5-chart.png"))
    dialog = window.open_settings()
    qapp.processEvents()
    dialog.grab().save(str(SCREENSHOTS / f"{value}-settings.png"))
    dialog.close()


@pytest.mark.parametrize("value", ["zh_CN", "en"])
def test_status_bar_texts_are_not_cut_at_the_first_window_size(
        qtbot: QtBot, qapp: QApplication, language: None, value: str) -> None:
    """The longest status texts of a loaded model (the device with its llama.cpp build and
    reason, the model's name) fit at the window's first size, in Chinese and in English."""
    from radval_desktop.engine.device import choose_device

    _start(qapp, value)
    window = MainWindow(load_model=False)
    qtbot.addWidget(window)
    try:
        window.show()
        window.resize(1000, 760)  # MainWindow._restore_geometry's first size
        cpu = choose_device(-1, 24, supports_gpu=lambda: False)
        device = device_text(type(cpu)(cpu.n_gpu_layers, cpu.kind, cpu.reason,
                                       build="native (-march=native)", template=cpu.template,
                                       values=cpu.values))
        tr = window.tr
        window._set_status(
            model=tr("Model: {name} ({quantization})").format(
                name="Qwen2.5 Coder 0.5B Instruct AWQ", quantization="Q4_K_M"),
            device=device, state=tr("Ready (loaded in {seconds:.1f} s)").format(seconds=12.3),
            speed=tr("{rate:.1f} tokens/s").format(rate=29.3),
            time=tr("{seconds:.1f} s").format(seconds=6.2))
        window._show_corpus_size()
        qapp.processEvents()
        cut = {name: (label.width(), label.fontMetrics().horizontalAdvance(label.text()))
               for name, label in window.status_labels.items()
               if label.width() < label.fontMetrics().horizontalAdvance(label.text())}
        assert cut == {}
        assert window.status_text("device").startswith("CPU")
    finally:
        window.shutdown()


def test_the_menu_entry_speaks_chinese_and_english() -> None:
    """The .deb's desktop entry: a Chinese desktop shows the zh_CN keys (freedesktop's
    localestrings), every other one the English."""
    entry = (REPO / "packaging" / "linux" / "radval-desktop.desktop").read_text(encoding="utf-8")
    keys = dict(line.split("=", 1) for line in entry.splitlines() if "=" in line)
    for key in ("Name", "GenericName", "Comment", "Keywords"):
        assert _HAN.search(keys[f"{key}[zh_CN]"]), key
        assert not _HAN.search(keys[key]), key
    assert "检查所见" in keys["Comment[zh_CN]"]
    assert "诊断意见" in keys["Comment[zh_CN]"]
