"""The window in Chinese (issue 20), closed out: a model card's training time as a local date
in the window's language, and the study report's PDF and HTML in the language asked for."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QLabel, QTableWidget
from pytestqt.qtbot import QtBot

# The zh walk's helpers: the start in a language, the allow-list of Latin words.
from test_translations import _DATA_LATIN, SCAN_TIMEOUT_MS, _english_words, _start

from radval_desktop import paths
from radval_desktop.engine.model_card import CARD_FORMAT, CARD_FORMAT_VERSION
from radval_desktop.prompts import bundled_templates
from radval_desktop.ui.i18n import remove_language
from radval_desktop.ui.main_window import MainWindow


@pytest.fixture
def language(qapp: QApplication) -> Iterator[None]:
    yield
    remove_language(qapp)  # later tests read the English source texts


@pytest.fixture
def beijing_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's clock in China's time zone (UTC+8, a POSIX rule: no tz database needed),
    so a local time is the same on every test machine."""
    monkeypatch.setenv("TZ", "CST-8")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def write_card(created: str) -> Path:
    """A fine-tuned model's card beside the tiny GGUF of _start, as training/export.py
    writes it, trained at ``created``."""
    model = paths.data_dir() / "models" / "tiny.gguf"
    card = {"format": CARD_FORMAT, "format_version": CARD_FORMAT_VERSION, "created": created,
            "model": {"file": model.name,
                      "sha256": hashlib.sha256(model.read_bytes()).hexdigest()},
            "base": {"name": "Qwen2.5-0.5B-Instruct"},
            "prompt": {"template_id": "t2_numbered",
                       "template_version": bundled_templates().version,
                       "layout": "chat template",
                       "templates_toml": (paths.resources_dir() / "prompt_templates.toml"
                                          ).read_text(encoding="utf-8")}}
    model.with_name("tiny.card.json").write_text(json.dumps(card), encoding="utf-8")
    return model


def _models_tab(qtbot: QtBot) -> tuple[str, str, str, str]:
    """(details text, details tooltip, card cell, card cell tooltip) of tiny.gguf."""
    window = MainWindow(load_model=False)
    qtbot.addWidget(window)
    try:
        with qtbot.waitSignal(window.scanner.hashing_finished, timeout=SCAN_TIMEOUT_MS):
            window.tabs.setCurrentWidget(window.models_panel)
        table = window.findChild(QTableWidget, "models.table")
        row = next(r for r in range(table.rowCount()) if "tiny" in table.item(r, 0).text())
        table.selectRow(row)
        details = window.findChild(QLabel, "models.details")
        column = next(c for c in range(table.columnCount())
                      if table.horizontalHeaderItem(c).text() in ("Card", "模型说明"))
        cell = table.item(row, column)
        return details.text(), details.toolTip(), cell.text(), cell.toolTip()
    finally:
        window.shutdown()


@pytest.mark.parametrize(("value", "shown", "date"), [
    ("zh_CN", "训练时间：2026年11月30日 20:34", "基于 Qwen2.5-0.5B-Instruct 微调，2026年11月30日"),
    ("en", "trained: 30 Nov 2026 20:34", "tuned from Qwen2.5-0.5B-Instruct, 30 Nov 2026")])
def test_a_model_cards_training_time_is_a_local_date_in_the_window_language(
        qtbot: QtBot, qapp: QApplication, language: None, beijing_time: None,
        value: str, shown: str, date: str) -> None:
    """The card's ISO time in UTC (12:34) is shown as Beijing's local 20:34, written as the
    window's language writes dates; the card's own value stays in the tooltips."""
    raw = "2026-11-30T12:34:56+00:00"
    _start(qapp, value, tiny_model=False)
    write_card(raw)
    details, details_tip, cell, cell_tip = _models_tab(qtbot)
    assert shown in details.split("<br>")
    assert raw not in details
    assert raw in details_tip
    assert cell == date
    assert raw in cell_tip


def test_a_training_time_that_is_not_iso_is_shown_as_written(
        qtbot: QtBot, qapp: QApplication, language: None, beijing_time: None) -> None:
    _start(qapp, "zh_CN", tiny_model=False)
    write_card("last Tuesday")
    details, _tip, cell, _cell_tip = _models_tab(qtbot)
    assert "训练时间：last Tuesday" in details.split("<br>")
    assert cell == "基于 Qwen2.5-0.5B-Instruct 微调，last Tuesday"


def _pdftotext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, timeout=60,
                          capture_output=True, text=True).stdout


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, timeout=60, capture_output=True,
                          text=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info)[1])  # type: ignore[index]


# The report's data in Latin letters besides the window's: the fixture's batch model and
# the ROUGE tables' tokenization ids, as the Results tab shows them too.
_REPORT_LATIN = re.compile(r"\bModel X\b|\bmodel-x\S*|\b(?:en|zh)-[a-z-]+"
                           # the statistics' authors, cited as Chinese papers cite them
                           # (pdftotext gives Krippendorff's "ff" as one ligature)
                           r"|\b(?:Shrout|Fleiss|McGraw|Wong|Krippendor\S*)")


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils absent: "
                    "apt-get install -y poppler-utils")
def test_the_report_in_chinese_has_chinese_headings_notes_and_footer(
        tmp_path: Path, radval_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`radval report --language zh_CN` (and, with no option, a Chinese shell's locale, as
    the self-test): report.pdf's footer on each page, its title, subtitle, section headings
    and notes, table titles and headers and the body systems are Chinese, in report.html and
    report.md too; `--language en` keeps the English; the CSV files are English either way."""
    from test_report_pdf import _fixture_study

    from radval_desktop.cli import main

    db = _fixture_study(tmp_path / "study.db")
    assert main(["report", "--study", str(db), "--out", str(tmp_path / "zh"),
                 "--language", "zh_CN"]) == 0
    pdf = tmp_path / "zh" / "report.pdf"
    text, pages = _pdftotext(pdf), _pages(pdf)
    flat = re.sub(r"\s+", "", text)
    for page in range(1, pages + 1):
        assert f"第{page}页，共{pages}页" in flat
    assert "Page" not in text
    page = (tmp_path / "zh" / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page
    for heading in ("RadVal 评估：study.db", "<h2>数量</h2>", "<h2>专家评价</h2>",
                    '<h2 class="new-page">雷达图</h2>', "<h2>一致性</h2>",
                    "<h3>专家评分，各评分者级别均值（0-100）</h3>", "<h3>腹部</h3>",
                    "<h3 class=\"new-page\">胸部</h3>", "<h2>ROUGE、实用性与输出检查</h2>"):
        assert heading in page, heading
    for heading in ("RadVal评估：study.db", "专家评价", "雷达图", "一致性", "胸部"):
        assert heading in flat, heading
    from radval_desktop.study.questionnaire import METRICS

    # The seven metrics are bilingual, as the paper prints them (a header's two lines).
    bilingual = {word for metric in METRICS for word in metric.name.split()}
    english = sorted({w for line in text.splitlines()
                      for w in _english_words(_REPORT_LATIN.sub(" ", _DATA_LATIN.sub(" ", line)))
                      if w not in bilingual})
    assert english == []
    assert main(["report", "--study", str(db), "--out", str(tmp_path / "en"),
                 "--language", "en"]) == 0
    english_pdf = _pdftotext(tmp_path / "en" / "report.pdf")
    assert f"Page 1 of {_pages(tmp_path / 'en' / 'report.pdf')}" in english_pdf
    assert "Expert evaluation" in english_pdf
    assert "### 病例、评分者与回答" in (tmp_path / "zh" / "report.md").read_text(encoding="utf-8")
    for csv in sorted((tmp_path / "en").glob("*.csv")):  # for scripts: English either way
        assert (tmp_path / "zh" / csv.name).read_bytes() == csv.read_bytes(), csv.name
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")  # no option: the shell's language
    assert main(["report", "--study", str(db), "--out", str(tmp_path / "auto")]) == 0
    assert '<html lang="zh-CN">' in (tmp_path / "auto" / "report.html").read_text(
        encoding="utf-8")


def test_a_charts_gap_note_is_in_the_window_and_report_language(
        qapp: QApplication, language: None) -> None:
    """A metric every rater marked NA is a gap, named under the chart: the Results tab's
    chart in the Chinese window and the Chinese report name it in Chinese (the metric's
    Chinese name); the English report and the chart files keep the English."""
    from radval_desktop.evaluation.radar import RadarData, na_note
    from radval_desktop.study.report_language import ENGLISH_WORDS, report_words
    from radval_desktop.study.results import AXES
    from radval_desktop.ui.results_panel import shown_chart

    values = (60.0, 61.0, 62.0, 63.0, 64.0, None, None)
    chart = RadarData("chest — OG", AXES, (("model-a", values), ("model-b", (50.0,) * 7)))
    english = "Gap = every answer NA (no score), not 0: model-a: Missed diagnosis, Overdiagnosis."
    chinese = "空缺 = 所有回答均为 NA（无评分），并非 0 分：model-a：漏诊、过度诊断。"
    assert na_note(chart) == english
    assert na_note(ENGLISH_WORDS.chart(chart)) == english
    assert na_note(report_words("zh_CN").chart(chart)) == chinese
    _start(qapp, "zh_CN")
    assert na_note(shown_chart(chart)) == chinese


@pytest.mark.parametrize("value", ["zh_CN", "en"])
def test_the_results_chart_is_shown_whole_and_legible_at_the_first_window_size(
        qtbot: QtBot, qapp: QApplication, tmp_path: Path, language: None, value: str) -> None:
    """The Results tab's radar chart (a 150 dpi PNG, 900 x 828) sat under the table in a pane
    of 962 x 165 at 1000 x 760: its title and the axis names were cut at the pane's edges
    (the screenshots). On a page of its own beside the tables, it is scaled into its pane
    whole, its shape kept, at no less than half size (9 pt labels stay about 12 px), and
    follows the pane when the window grows."""
    from reader_study_data import build_scored_study

    _start(qapp, value)
    build_scored_study(tmp_path / "scored.db")
    window = MainWindow(load_model=False)
    qtbot.addWidget(window)
    try:
        window.show()
        window.resize(1000, 760)  # MainWindow._restore_geometry's first size
        window.tabs.setCurrentWidget(window.results_panel)
        panel = window.results_panel
        panel.open_study(tmp_path / "scored.db")
        panel.views.setCurrentIndex(1)
        qapp.processEvents()
        assert panel.views.tabText(1) == ("雷达图" if value == "zh_CN" else "Radar charts")
        viewport = panel.chart.parentWidget().size()
        full, shown = panel.chart_image, panel.chart.pixmap()
        assert full.height() > viewport.height()  # the drawn chart is larger than its pane
        assert 0 < shown.width() <= viewport.width()
        assert 0 < shown.height() <= viewport.height()
        assert shown.height() >= full.height() / 2
        assert abs(shown.width() / shown.height() - full.width() / full.height()) < 0.02
        small = shown.height()
        window.resize(1400, 1100)
        qapp.processEvents()
        assert panel.chart.pixmap().height() > small
    finally:
        window.shutdown()


_WINDOW_IN_A_LOCALE = """
import json
from radval_desktop.config import load_settings
from radval_desktop.ui.app import create_application, start_language
from radval_desktop.ui.main_window import MainWindow

app = create_application(["radval"])
language = start_language(app, load_settings())
window = MainWindow(load_model=False)
tabs = [window.tabs.tabText(i) for i in range(window.tabs.count())]
window.shutdown()
print(json.dumps({"language": language, "tabs": tabs}, ensure_ascii=False))
"""


@pytest.mark.parametrize(("locale", "language", "tabs"), [
    ("zh_CN.UTF-8", "zh_CN", ["草稿", "历史记录", "研究", "评分", "结果", "模型"]),
    ("en_US.UTF-8", "en", ["Draft", "History", "Study", "Scoring", "Results", "Models"])])
def test_a_window_started_in_a_chinese_locale_speaks_chinese(
        radval_home: Path, locale: str, language: str, tabs: list[str]) -> None:
    """`radval` started afresh in a zh_CN (or en_US) session with ui.language left at auto:
    the language comes from the system locale Qt reads at start, not from a setting."""
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    env.update(LANG=locale, QT_QPA_PLATFORM="offscreen", RADVAL_HOME=str(radval_home))
    done = subprocess.run([sys.executable, "-c", _WINDOW_IN_A_LOCALE], env=env, check=True,
                          cwd=Path(__file__).resolve().parents[2],
                          capture_output=True, text=True, timeout=120)
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    assert shown == {"language": language, "tabs": tabs}
