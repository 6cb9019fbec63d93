"""The window in Chinese (issue 20), the English left after two passes: the settings' warnings,
a frozen study, the core's errors raised as templates, a model card's values, the llama.cpp
build, a missing model or adapter, Top-k/Top-p, a damaged history, refused files, a merge's
messages, the mirror's refusals, the Scoring list's bands and the file dialogs."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QLabel, QListWidget
from pytestqt.qtbot import QtBot
from reader_study_data import build_study

# The zh walk's helpers: the allow-list of Latin words, the start in a language.
from test_translations import _HAN, REPO, SCAN_TIMEOUT_MS, _english_words, _start
from test_translations_close import beijing_time  # noqa: F401 (a fixture)

from radval_desktop import paths
from radval_desktop.config import load_settings
from radval_desktop.ui.i18n import remove_language
from radval_desktop.ui.main_window import MainWindow, device_text
from radval_desktop.ui.settings_dialog import SettingsDialog


@pytest.fixture
def language(qapp: QApplication) -> Iterator[None]:
    yield
    remove_language(qapp)  # later tests read the English source texts


def test_settings_warnings_and_refusals_reach_the_chinese_window_in_chinese(
        qtbot: QtBot, qapp: QApplication, radval_home: Path, language: None) -> None:
    """The user's file with a wrong type, an unknown key, IT-only keys and a non-http server,
    IT's file with a bad digest: each warning in Chinese in the window (the first on the Draft
    tab) and in the self-test, the log's and CLI's English unchanged; a key IT locked that the
    user tries to set is refused in Chinese."""
    from PySide6.QtCore import QCoreApplication

    from radval_desktop.config import save_user_settings
    from radval_desktop.errors import ConfigError
    from radval_desktop.self_test import run_self_test
    from radval_desktop.workers.sentences import error_text, translated

    _start(qapp, "zh_CN")
    user = paths.user_config_file()
    user.write_text(user.read_text(encoding="utf-8") + (
        '[sampling]\ntop_k = "many"\ncolour = 3\n[hub]\nfiles = ["a/b/c.gguf"]\nrevision = "x"\n'
        '[batch]\nservers = {mine = "ftp://x"}\n'), encoding="utf-8")
    system = paths.system_config_file()
    system.parent.mkdir(parents=True, exist_ok=True)
    system.write_text('[model]\nallowed_sha256 = ["abc"]\n[sampling]\ntemperature = 0.0\n',
                      encoding="utf-8")
    settings = load_settings()
    assert len(settings.warning_words) == 5
    assert [str(w) for w in settings.warning_words] == list(settings.warnings)
    assert f"{user}: 'sampling.top_k' should be a whole number, not 'many'; default used." in (
        settings.warnings)
    assert (f"{user}: 'hub.files', 'hub.revision' and 'batch.servers' are read from IT's "
            "settings file only; ignored here.") in settings.warnings
    shown = [translated(w.context, w.template, w.values, str(w)) for w in settings.warning_words]
    keys = re.compile(r"'[a-z_]+(?:\.[a-z_0-9]+)?'|“[^”]*”|\S*[/\\]\S*|\bhttps?\b")
    assert [text for text in shown if not _HAN.search(text)
            or _english_words(keys.sub(" ", text))] == [], shown
    assert f"{user}：“sampling.top_k”应为整数，而不是“many”；已使用默认值。" in shown
    window = MainWindow(load_model=False)
    qtbot.addWidget(window)
    try:
        assert window.draft_panel.message_text() == shown[0]
    finally:
        window.shutdown()
    lines = run_self_test(settings, model=str(radval_home / "gone.gguf")).lines(
        QCoreApplication.translate)
    line = next(text for text in lines if "FAIL 设置" in text)
    assert "不是 sha256 值" in line
    with pytest.raises(ConfigError) as refused:
        save_user_settings(settings, {"sampling.temperature": 0.7})
    assert error_text(refused.value) == (f"“sampling.temperature”已由 IT 在 {system} 中设定，"
                                         "此处无法更改。")


def test_a_frozen_study_refuses_in_chinese_in_the_window(
        qapp: QApplication, tmp_path: Path, language: None) -> None:
    """A study handed out to a rater refuses a new import's candidates and a new seed: the
    Study tab says why in Chinese; the CLI's English is as before."""
    from reader_study_data import CASES, STUDY, write_jsonl

    from radval_desktop.errors import InputError
    from radval_desktop.store.reader_study import assign, open_study, save_rater, save_study
    from radval_desktop.study.importing import import_candidates
    from radval_desktop.workers.sentences import error_text

    _start(qapp, "zh_CN")
    db = open_study(tmp_path / "study.db")
    import_candidates(db, write_jsonl(tmp_path / "cases.jsonl"))
    study = save_study(db, STUDY, institution_1="1")
    assign(db, study, save_rater(db, "Dr Li", "senior"))
    extra = tmp_path / "more.jsonl"
    rows = [{"case_id": CASES[0]["case_id"], "institution": "1", "body_system": "chest",
             "findings": CASES[0]["findings"], "model": model, "candidate": "右肺下叶肺炎。"}
            for model in ("model-c", "model-d")]
    extra.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                     encoding="utf-8")
    import_candidates(db, extra)
    handed = [r[0] for r in db.execute("SELECT candidate_uuid FROM study_candidates")]
    shown, english = [], []
    for seed, candidates in ((None, None), (7, handed)):  # new candidates, then a new seed
        with pytest.raises(InputError) as refused:
            save_study(db, STUDY, institution_1="1", seed=seed, candidates=candidates)
        shown.append(error_text(refused.value))
        english.append(str(refused.value))
    db.close()
    assert english[0] == (f"The study '{STUDY}' has been handed out to 1 rater, so it is frozen: "
                          "the 2 new candidates in this file would be missing from the raters' "
                          f"copies. Create a new study for them with another name (--name "
                          f"\"{STUDY} 2\").")
    assert english[1].endswith("Create a new study to use another seed.")
    assert shown[0].startswith(f"研究“{STUDY}”已分发给 1 位评分者，因此已冻结：")
    assert "2 条新的待评诊断意见" in shown[0]
    assert [text for text in shown if _english_words(
        re.sub(r"“[^”]*”|--name \"[^\"]*\"", " ", text))] == [], shown


# Raised only on the command line (its arguments, `radval batch --server`): English there.
_CLI_ONLY = ("cli/", "engine/served.py", "evaluation/batch.py")
_ERRORS = {"RadvalError", "InputError", "ModelFileError", "ModelLoadError", "ConfigError",
           "StoreError"}


def test_every_error_the_window_can_meet_is_raised_as_a_sentence() -> None:
    """A RadvalError raised with an f-string or a plain string is English in the Chinese
    window: each one outside the command line's own code is raised with sentence(...) and its
    values (or a template made so elsewhere), so lupdate finds it and the window translates."""
    import ast

    english = []
    for path in sorted((REPO / "radval_desktop").rglob("*.py")):
        where = path.relative_to(REPO / "radval_desktop").as_posix()
        if where.startswith(_CLI_ONLY):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            func = node.exc.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            first = node.exc.args[0] if node.exc.args else None
            if name in _ERRORS and isinstance(first, ast.JoinedStr | ast.Constant | ast.BinOp):
                english.append(f"{where}:{node.lineno}")
    assert english == []


def test_broken_bundled_files_and_a_card_without_templates_are_said_in_chinese(
        qapp: QApplication, tmp_path: Path, language: None) -> None:
    """The errors the window meets from a damaged installation (the safety term file, the
    starter examples) and from a model card with no prompt templates: Chinese on screen."""
    from radval_desktop.engine.model_card import _templates_from_text
    from radval_desktop.errors import RadvalError
    from radval_desktop.safety.terms import load_terms
    from radval_desktop.starter_examples import load_starter_examples
    from radval_desktop.workers.sentences import error_text

    _start(qapp, "zh_CN")
    broken = tmp_path / "broken.toml"
    broken.write_text("[[term\n", encoding="utf-8")
    shown = []
    for fails in (lambda: load_terms(broken), lambda: load_starter_examples(broken),
                  lambda: _templates_from_text("  ")):
        with pytest.raises(RadvalError) as caught:
            fails()
        assert not _HAN.search(str(caught.value))  # the log's and the CLI's English
        shown.append(error_text(caught.value))
    assert shown[0].startswith(f"安全检查术语文件 {broken} 无法使用：")
    assert shown[1].startswith(f"内置示例文件 {broken} 无法使用：")
    assert shown[2] == "模型说明中没有提示词模板。"


@pytest.mark.usefixtures("beijing_time")
def test_a_model_cards_values_are_chinese_in_the_models_tab(
        qtbot: QtBot, qapp: QApplication, language: None) -> None:
    """A fine-tuned model's card beside its GGUF (as training/export.py writes it): the Models
    tab's details say its values (prompt layout, reports, LoRA, losses, ROUGE-L) in Chinese,
    the card's own names (template id, columns) as written; `radval model-info` keeps English."""
    import hashlib

    from PySide6.QtWidgets import QTableWidget

    from radval_desktop.engine.model_card import CARD_FORMAT, CARD_FORMAT_VERSION, read_card
    from radval_desktop.prompts import bundled_templates

    _start(qapp, "zh_CN", tiny_model=False)
    model = paths.data_dir() / "models" / "tiny.gguf"
    templates = bundled_templates()
    card = {"format": CARD_FORMAT, "format_version": CARD_FORMAT_VERSION,
            "created": "2026-11-30T10:00:00+0800",
            "model": {"file": model.name,
                      "sha256": hashlib.sha256(model.read_bytes()).hexdigest()},
            "base": {"name": "Qwen2.5-0.5B-Instruct"},
            "prompt": {"template_id": "t2_numbered", "template_version": templates.version,
                       "layout": "chat template",
                       "templates_toml": (paths.resources_dir() / "prompt_templates.toml"
                                          ).read_text(encoding="utf-8")},
            "data": {"columns": [{"key": "H1-train", "reports": 800},
                                 {"key": "H2", "reports": 4}, {"key": "all", "reports": 804}]},
            "training": {"hyperparameters": {"lora_r": 8, "lora_alpha": 16,
                                             "learning_rate": 2e-4, "epochs": 3,
                                             "effective_batch_size": 16}},
            "evaluation": {"eval_loss_before": 2.5, "eval_loss_after": 1.25,
                           "rouge_l_validation": {"cases": 40, "rouge_l": 0.4321}}}
    model.with_name("tiny.card.json").write_text(json.dumps(card), encoding="utf-8")
    read = read_card(model)
    assert read is not None
    english = dict(read.facts())
    assert english["prompt"] == f"t2_numbered (templates {templates.version}, chat template layout)"
    assert english["eval loss"] == "1.2500 (before 2.5000)"
    window = MainWindow(load_model=False)
    qtbot.addWidget(window)
    try:
        with qtbot.waitSignal(window.scanner.hashing_finished, timeout=SCAN_TIMEOUT_MS):
            window.tabs.setCurrentWidget(window.models_panel)
        table = window.findChild(QTableWidget, "models.table")
        row = next(r for r in range(table.rowCount()) if "tiny" in table.item(r, 0).text())
        table.selectRow(row)
        details = window.findChild(QLabel, "models.details").text()
        cells = [table.item(row, c).text() for c in range(table.columnCount())]
    finally:
        window.shutdown()
    lines = details.split("<br>")
    facts = [line for line in lines if line.startswith((
        "模型说明：", "基础模型：", "提示词：", "训练时间：", "报告数：", "LoRA：", "验证损失：",
        "ROUGE-L："))]
    assert len(facts) == 8, lines
    names = re.compile(r"t2_numbered|Qwen2\.5-0\.5B-Instruct|H1-train|H2|\S*/\S*|ROUGE-L|LoRA"
                       r"|\b(?:r|alpha)=")
    assert [line for line in facts if _english_words(names.sub(" ", line))] == [], facts
    assert f"提示词：t2_numbered（模板 {templates.version}，对话模板格式）" in facts
    assert "验证损失：1.2500（训练前 2.5000）" in facts
    assert "ROUGE-L：0.4321（40 例验证病例）" in facts
    assert "报告数：训练 800 份；测试：H2 4" in facts
    assert "LoRA：r=8，alpha=16，学习率 0.0002，轮数 3，批大小 16" in facts
    assert "基于 Qwen2.5-0.5B-Instruct 微调，2026年11月30日" in cells  # a local date


def test_the_llama_cpp_build_in_the_status_bar_is_chinese(
        qapp: QApplication, language: None) -> None:
    """The status bar's llama.cpp build (LlamaBuild.label, as the engine sets it on the device)
    is said in Chinese for each kind of build; the log's English label is unchanged."""
    from dataclasses import replace

    from radval_desktop.engine.backends import CUDA, NATIVE, PORTABLE, LlamaBuild
    from radval_desktop.engine.device import choose_device

    _start(qapp, "zh_CN")
    cpu = choose_device(-1, 24, supports_gpu=lambda: False)
    builds = [LlamaBuild(PORTABLE, "haswell", False, "0.3", "", ""),
              LlamaBuild(PORTABLE, None, False, "0.3", "", ""),
              LlamaBuild(CUDA, None, True, "0.3", "", ""),
              LlamaBuild(CUDA, None, False, "0.3", "", ""),
              LlamaBuild(NATIVE, None, False, "0.3", "", "")]
    labels = [build.label() for build in builds]
    assert labels == ["portable (haswell)", "portable", "CUDA", "CUDA (no GPU found)",
                      "native (-march=native)"]
    shown = [device_text(replace(cpu, build=label)) for label in labels]
    assert shown[0] == "CPU：llama.cpp 通用版（haswell）；此 llama.cpp 版本不支持 GPU（无 CUDA）"
    assert shown[4].startswith("CPU：llama.cpp 本机优化版（-march=native）；")
    assert [text for text in shown if _english_words(
        re.sub(r"\bhaswell\b|\bCUDA\b|-march=native", " ", text))] == [], shown


def test_a_missing_model_or_adapter_and_the_self_tests_model_source_are_chinese(
        qapp: QApplication, tmp_path: Path, language: None) -> None:
    """"The {what} {path} does not exist": the file's kind (model file, adapter) is said in
    Chinese too, and the self-test's model line names where the model came from (the embedded
    default model, the command line) in Chinese; the CLI's English is unchanged."""
    from PySide6.QtCore import QCoreApplication

    from radval_desktop.engine.sealed_file import SealedFile
    from radval_desktop.errors import ModelFileError
    from radval_desktop.self_test import run_self_test
    from radval_desktop.workers.sentences import error_text

    _start(qapp, "zh_CN", tiny_model=False)
    shown, english = [], []
    for what in ("model file", "adapter"):
        with pytest.raises(ModelFileError) as missing:
            SealedFile(tmp_path / "gone.gguf", what)
        shown.append(error_text(missing.value))
        english.append(str(missing.value))
    assert english[0] == f"The model file {tmp_path / 'gone.gguf'} does not exist."
    assert shown == [f"模型文件 {tmp_path / 'gone.gguf'} 不存在。",
                     f"适配器 {tmp_path / 'gone.gguf'} 不存在。"]
    settings = load_settings()
    lines = run_self_test(settings, model=str(tmp_path / "gone.gguf")).lines(
        QCoreApplication.translate)
    model_line = next(line for line in lines if "gone.gguf" in line)
    assert model_line.endswith(f"{tmp_path / 'gone.gguf'}（命令行）不存在"), model_line
    lines = run_self_test(settings).lines(QCoreApplication.translate)
    model_line = next(line for line in lines if ".gguf" in line)
    assert "内置默认模型" in model_line, model_line
    assert "embedded" not in model_line


def test_top_k_and_top_p_have_chinese_labels_with_the_english_term(
        qtbot: QtBot, qapp: QApplication, language: None) -> None:
    """Top-k and Top-p in Settings: a Chinese label with the term radiology software keeps,
    in brackets, as the other sampling settings have Chinese labels."""
    _start(qapp, "zh_CN")
    dialog = SettingsDialog(load_settings())
    qtbot.addWidget(dialog)
    labels = [w.text() for w in dialog.findChildren(QLabel)]
    assert "候选词数（Top-k）" in labels  # full-width brackets, as 上下文长度（词元）
    assert "累积概率（Top-p）" in labels
    assert [text for text in labels if text.startswith("Top")] == []


def test_a_damaged_history_and_a_refused_model_file_are_said_in_chinese(
        qtbot: QtBot, qapp: QApplication, language: None) -> None:
    """A history database of junk bytes (set aside, a new one started) and a models folder
    holding a zip named .gguf: the Draft tab's notice and the Models tab's list of refused
    files say why in Chinese; the log's and `radval models`' English are unchanged."""
    from PySide6.QtWidgets import QListWidget

    from radval_desktop.store.database import database_path

    _start(qapp, "zh_CN")
    database_path().parent.mkdir(parents=True, exist_ok=True)
    database_path().write_bytes(b"not sqlite at all " * 100)
    (paths.data_dir() / "models" / "zip.gguf").write_bytes(b"PK\x03\x04 a zip, not a model" * 10)
    window = MainWindow(load_model=False)
    qtbot.addWidget(window)
    try:
        notice = window.draft_panel.message_text()
        assert window.history.notice is not None
        assert window.history.notice.startswith("The history database was damaged")
        with qtbot.waitSignal(window.scanner.scan_finished, timeout=SCAN_TIMEOUT_MS):
            window.tabs.setCurrentWidget(window.models_panel)
        refused = window.findChild(QListWidget, "models.refused")
        items = [refused.item(i).text() for i in range(refused.count())]
    finally:
        window.shutdown()
    recovered = window.history.recovered_from
    assert notice == ("历史记录数据库已损坏，已新建一个空的历史记录。"
                      f"损坏的文件已保留为 {recovered}；IT 或许能从中恢复较早的草稿。")
    assert items == ["zip.gguf：文件 zip.gguf 不是 GGUF 模型（文件标识不符）；RadVal 需要为 "
                     "llama.cpp 制作的量化 .gguf 文件。"]


def test_a_merges_conflicts_and_left_out_rows_are_chinese_in_the_study_tab(
        qapp: QApplication, tmp_path: Path, language: None) -> None:
    """Two raters' files sent back, one edited on two machines (a conflict), one tampered with
    (a score of 150, NA with a score, a made-up level, a time in the future): the Study tab's
    merge message lists each in Chinese, the data's own names kept; the CLI's English too."""
    import shutil
    import sqlite3

    from reader_study_data import build_scored_study

    from radval_desktop.store.merge import merge_databases
    from radval_desktop.ui.study_panel import merge_text

    _start(qapp, "zh_CN")
    lead, forged, laptop = (tmp_path / n for n in ("lead.db", "forged.db", "laptop.db"))
    build_scored_study(lead)
    shutil.copy(lead, forged)
    shutil.copy(lead, laptop)
    edits = {forged: ["UPDATE answers SET score = 150 WHERE rowid = 1",
                      "UPDATE answers SET na = 1, score = 40 WHERE rowid = 2",
                      "UPDATE raters SET level = 'professor' WHERE name = 'Dr Senior'",
                      "UPDATE answers SET score = 3, changed_at = '2999-01-01T00:00:00+00:00' "
                      "WHERE rowid = 3"],
             laptop: ["UPDATE answers SET score = 99, changed_at = '2026-01-01T00:00:00+00:00' "
                      "WHERE rowid = 3"]}
    for path, sqls in edits.items():
        conn = sqlite3.connect(path)
        with conn:
            for sql in sqls:
                conn.execute(sql)
        conn.close()
    report = merge_databases([forged, laptop], tmp_path / "merged.db")
    assert len(report.conflicts) == 1
    assert len(report.problems) == len(report.problem_words) == 5
    assert any(p.startswith("forged.db: answers row 1 (") for p in report.problems)
    assert "studie " not in "\n".join(report.problems)  # "that study", not "that studie"
    shown = merge_text(report).split("\n")
    assert shown[0].startswith("已合并：")
    data = re.compile(r"\S+\.db\b|Dr (?:Junior|Middle|Senior)|“[^”]*”|\b[0-9a-f]{8}\b"
                      r"|\S*\d{4}-\d\d-\d\dT\S*|\bNA\b")
    assert [line for line in shown if _english_words(data.sub(" ", line))] == [], shown
    assert any(line.startswith("forged.db：答案表第 1 行（Dr Junior · 可理解性）：")
               for line in shown), shown
    from radval_desktop.store.merge import _METRICS
    from radval_desktop.store.reader_study import METRIC_KEYS

    assert sorted(_METRICS) == sorted(METRIC_KEYS)  # every metric has its Chinese name
    assert any("评分 150 不在 0 至 100 之间" in line for line in shown), shown


def test_a_file_the_mirror_lacks_is_said_in_chinese(
        qapp: QApplication, tmp_path: Path, language: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The Models tab's download from the hospital's mirror (tests/hub_server.py): a file the
    mirror does not hold is refused with a sentence the Chinese window says in Chinese."""
    import huggingface_hub.constants
    from hub_server import serve

    from radval_desktop.engine.hub_mirror import HubSettings, download_model
    from radval_desktop.errors import ModelFileError
    from radval_desktop.workers.sentences import error_text

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    _start(qapp, "zh_CN")
    with serve({"hospital/radval/one.gguf": b"GGUF"}) as mirror, \
            pytest.raises(ModelFileError) as missing:
        download_model(HubSettings(endpoint=mirror.url), "hospital/radval", "absent.gguf",
                       tmp_path, ())
    assert str(missing.value) == (f"The hospital's model mirror ({mirror.url}) has no file "
                                  "hospital/radval/absent.gguf.")
    assert error_text(missing.value) == (f"医院的模型镜像（{mirror.url}）中没有文件 "
                                         "hospital/radval/absent.gguf。")


def test_an_answered_metric_names_its_band_in_both_languages(
        qtbot: QtBot, qapp: QApplication, tmp_path: Path, language: None) -> None:
    """The Scoring tab's metric list after a score: the band in English and Chinese, as the
    band buttons and the metric names beside it are (the paper's bilingual questionnaire)."""
    _start(qapp, "zh_CN")
    study = tmp_path / "study.db"
    build_study(study)
    window = MainWindow(load_model=False)
    qtbot.addWidget(window)
    try:
        panel = window.scoring_panel
        panel.open_file(study)
        panel.start("Dr Li", "senior")
        assert panel.session is not None
        panel.session.set_score(75)
        panel._show()
        items = panel.findChild(QListWidget, "scoring.metrics")
        first = items.item(0).text()
    finally:
        window.shutdown()
    assert first == "Understandability 可理解性: 75 (Fairly easy 比较容易)"


def test_every_file_dialog_says_its_title_and_file_types_through_tr() -> None:
    """A file dialog's title and file types ("RadVal study (*.db)", "All files (*)") are
    words the user reads: none is a plain string or a module constant left untranslated."""
    import ast

    untranslated = []
    for path in sorted((REPO / "radval_desktop" / "ui").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "QFileDialog"):
                continue
            # (parent, caption, dir, filter): the caption and the filter; dir is a file name.
            for arg in [a for i, a in enumerate(node.args) if i in (1, 3)]:
                plain = isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value
                constant = isinstance(arg, ast.Name) and arg.id.isupper()
                if plain or constant:
                    untranslated.append(f"{path.name}:{node.lineno}: {ast.unparse(arg)[:40]}")
    assert untranslated == []
