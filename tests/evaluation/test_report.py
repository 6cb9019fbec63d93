"""The study report: one self-contained HTML file, a PDF and chart files; Chromium renders it."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from html import escape as html_escape
from pathlib import Path

import pytest
from matplotlib.text import Text
from reader_study_data import build_scored_study

from radval_desktop.cli import main
from radval_desktop.evaluation.radar import RadarData, font_families, radar_figure, render
from radval_desktop.store.evaluation_runs import (
    ModelRecord,
    NewCandidate,
    save_candidate,
    save_model,
)
from radval_desktop.store.reader_study import open_study

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def _study_with_batch_outputs(path: Path) -> Path:
    """The scored fixture study plus batch outputs of one model, for the ROUGE tables."""
    build_scored_study(path)
    db = open_study(path)
    save_model(db, ModelRecord("s" * 64, "Model X", "x.gguf", "qwen2", 494_000_000, "Q4_K_M", 1))
    for case, reference in db.execute("SELECT uuid, reference_impression FROM cases"):
        save_candidate(db, NewCandidate(case, "s" * 64, "Model X", "batch", "t2", "v1",
                                        reference, seconds=1.5, attempts=2, empty_attempts=1))
    db.close()
    return path


@pytest.fixture
def report_dir(tmp_path: Path) -> Path:
    db = _study_with_batch_outputs(tmp_path / "study.db")
    out = tmp_path / "report"
    assert main(["report", "--study", str(db), "--out", str(out)]) == 0
    return out


def test_report_writes_html_pdf_tables_and_charts(report_dir: Path) -> None:
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    for heading in ("Counts", "Expert evaluation", "Radar charts", "Agreement",
                    "ROUGE F1 per institution (paper Tables 2-3)", "Practical utility",
                    "Output guards", "ICC(2,k)", "NA answers (left out)", "可理解性"):
        assert heading in html, heading
    # Self-contained: a row of charts per body system (chest, abdomen) inline as data URIs,
    # nothing fetched from elsewhere.
    assert html.count('src="data:image/svg+xml;base64,') == 2
    assert not re.search(r'(src|href)="(?!data:)', html)
    assert (report_dir / "report.pdf").read_bytes().startswith(b"%PDF")
    charts = sorted(p.name for p in (report_dir / "charts").iterdir())
    assert "radar-chest-og-all-cases.png" in charts
    assert "radar-chest-og-all-cases.svg" in charts
    assert len(charts) == 8
    csv = (report_dir / "expert_aggregates.csv").read_text(encoding="utf-8-sig").splitlines()
    assert csv[0].startswith("scope,body system,model,Understandability 可理解性,")
    assert (report_dir / "agreement.csv").is_file()
    assert (report_dir / "tables2_3_institution.csv").is_file()


def test_report_without_batch_outputs_says_so(tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    build_scored_study(db)
    out = tmp_path / "report"
    assert main(["report", "--study", str(db), "--out", str(out)]) == 0
    assert "No batch outputs in this database" in (out / "report.html").read_text("utf-8")


def test_chart_text_uses_the_bundled_cjk_font() -> None:
    assert "WenQuanYi Micro Hei" in font_families()
    data = RadarData("胸部 chest — OG", ("Relevance\n相关性",) * 7,
                     (("model-a", (80.0, 70, 60, 50, 40, 30, None)),))
    png = render(data, "png")
    assert png.startswith(b"\x89PNG")


# Names as users and model files may write them: an unbalanced formula, a pair of "$" and a
# leading "_" (which matplotlib's legend drops on its own). Issue 17, item 12c.
DOLLAR_MODEL = r"$\alpha_{1$ model"
PRICED_INSTITUTION = r"Ward $\x$ A ($5 a scan$)"
HIDDEN_MODEL = "_base"


def _shown(text: Text) -> str:
    """What matplotlib draws for a Text: its string after mathtext preprocessing, which must
    say it is not a formula."""
    shown, is_math = text._preprocess_math(text.get_text())
    assert is_math is False, text.get_text()
    return str(shown)


def test_chart_shows_dollar_and_underscore_names_as_written() -> None:
    data = RadarData(PRICED_INSTITUTION, ("Relevance\n相关性",) * 7,
                     ((DOLLAR_MODEL, (80.0, 70, 60, 50, 40, 30, None)),
                      (HIDDEN_MODEL, (50.0, 50, 50, 50, 50, 50, 50))))
    figure = radar_figure(data)
    assert render(data, "png").startswith(b"\x89PNG")  # a formula error raised here
    [axes] = figure.axes
    assert _shown(axes.title) == PRICED_INSTITUTION
    legend = axes.get_legend()
    assert [_shown(t) for t in legend.get_texts()] == [DOLLAR_MODEL, HIDDEN_MODEL]


def test_report_with_dollar_signs_in_model_and_institution_names_is_written(
        tmp_path: Path) -> None:
    db = _study_with_batch_outputs(tmp_path / "study.db")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE candidates SET model_name = ? WHERE model_name = 'model-a'",
                     (DOLLAR_MODEL,))
        conn.execute("UPDATE candidates SET model_name = ? WHERE model_name = 'model-b'",
                     (HIDDEN_MODEL,))
        conn.execute("UPDATE cases SET institution = ? WHERE institution = '1'",
                     (PRICED_INSTITUTION,))
    conn.close()
    out = tmp_path / "report"
    assert main(["report", "--study", str(db), "--out", str(out),
                 "--institution-1", PRICED_INSTITUTION]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    for name in (DOLLAR_MODEL, HIDDEN_MODEL, PRICED_INSTITUTION):
        assert html_escape(name, quote=False) in html, name
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    assert len(list((out / "charts").iterdir())) == 8


@pytest.mark.skipif(not CHROMIUM.is_file(),
                    reason="headless Chromium absent: apt-get install -y chromium")
def test_report_renders_in_headless_chromium(report_dir: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars",
         "--window-size=1400,4200", f"--screenshot={shot}",
         (report_dir / "report.html").as_uri()],
        check=True, timeout=120, capture_output=True)
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG")
    assert len(png) > 50_000  # not a blank page
    if os.environ.get("RADVAL_SCREENSHOTS") == "1":  # as tests/ui/test_screenshots.py
        SCREENSHOTS.mkdir(exist_ok=True)
        shutil.copyfile(shot, SCREENSHOTS / "report-chromium.png")
        shutil.copyfile(report_dir / "charts" / "radar-chest-og-all-cases.png",
                        SCREENSHOTS / "radar-chest-og.png")
