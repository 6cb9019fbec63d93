"""The study report as a lead quotes it (issue 19): model names, decimals, rows, NA on radars."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

from gguf_builder import write_gguf
from reader_study_data import build_scored_study

from radval_desktop.cli import main
from radval_desktop.engine.gguf_file import read_gguf
from radval_desktop.evaluation.radar import RadarData, radar_figure
from radval_desktop.store.evaluation_runs import ModelRecord, save_model
from radval_desktop.store.reader_study import open_study

DEFAULT_FILE = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
METADATA_NAME = "Qwen2.5 Coder 0.5b Instruct AWQ"  # what the default Q4_K_M file says


def test_a_model_is_labelled_by_its_file_and_quantization(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / DEFAULT_FILE,
                      {"general.architecture": "qwen2", "general.name": METADATA_NAME,
                       "general.file_type": 15}, [("w", [4])])
    info = read_gguf(path)
    assert info.name == METADATA_NAME  # the header, still shown in the Models details
    assert info.label == "qwen2.5-coder-0.5b-instruct Q4_K_M"
    other = write_gguf(tmp_path / "radval-chest.gguf",
                       {"general.architecture": "qwen2", "general.file_type": 7}, [("w", [4])])
    assert read_gguf(other).label == "radval-chest Q8_0"


def _study_of_batch_model(path: Path) -> Path:
    """The fixture study with model-a's candidates turned into a batch model's outputs."""
    build_scored_study(path)
    db = open_study(path)
    save_model(db, ModelRecord("a" * 64, METADATA_NAME, DEFAULT_FILE, "qwen2", 494_000_000,
                               "Q4_K_M", 1))
    db.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE candidates SET source = 'batch', model_sha256 = ?, model_name = ? "
                     "WHERE model_name = 'model-a'", ("a" * 64, METADATA_NAME))
    conn.close()
    return path


def test_report_names_a_batch_model_by_file_and_quantization(tmp_path: Path) -> None:
    db = _study_of_batch_model(tmp_path / "study.db")
    out = tmp_path / "report"
    assert main(["report", "--study", str(db), "--out", str(out)]) == 0
    for name in ("report.html", "report.md", "expert_aggregates.csv",
                 "tables2_3_institution.csv"):
        text = (out / name).read_text(encoding="utf-8")
        assert "qwen2.5-coder-0.5b-instruct Q4_K_M" in text, name
        assert "AWQ" not in text, name


def test_means_have_one_decimal_and_agreement_two(tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    build_scored_study(db)
    out = tmp_path / "report"
    assert main(["report", "--study", str(db), "--out", str(out)]) == 0
    markdown = (out / "report.md").read_text(encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    # model-b, all systems, OG, overdiagnosis: (46 + 26 + 69.667) / 3 ... = 46.555...
    for text in (markdown, html):
        assert "46.6" in text
        assert "46.56" not in text
        assert "46.5556" not in text
    # Agreement: ICC(2,k) of the three raters 10 apart is 14/15 (test_agreement).
    assert "<td class=\"num\">0.93</td>" in html
    assert "0.9333" not in html
    # The CSV keeps the precision for anyone recomputing.
    assert "46.555556" in (out / "expert_aggregates.csv").read_text(encoding="utf-8-sig")


def test_one_body_system_has_no_repeated_all_rows(tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    build_scored_study(db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE cases SET body_system = 'chest'")
    conn.close()
    out = tmp_path / "report"
    assert main(["report", "--study", str(db), "--out", str(out)]) == 0
    rows = (out / "expert_aggregates.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    systems = {row.split(",")[1] for row in rows}
    assert systems == {"chest"}
    assert len(rows) == 2 * 3  # two models x OG, IHG, OHG


def test_two_body_systems_keep_their_all_rows(tmp_path: Path) -> None:
    db = tmp_path / "study.db"
    build_scored_study(db)
    out = tmp_path / "report"
    assert main(["report", "--study", str(db), "--out", str(out)]) == 0
    rows = (out / "expert_aggregates.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    # OG holds chest and abdomen; IHG is chest only and OHG abdomen only: no "all" there.
    assert sorted(row.split(",")[0] for row in rows if row.split(",")[1] == "all") == ["OG"] * 2


def test_an_na_only_metric_is_a_gap_with_a_note_not_zero() -> None:
    data = RadarData("chest — OG", tuple(f"m{i}" for i in range(7)),
                     (("model-a", (80.0, 70, 60, 50, 40, 30, None)),
                      ("model-b", (50.0, 50, 50, 50, 50, 50, 50))))
    figure = radar_figure(data)
    [axes] = figure.axes
    line = axes.get_lines()[0]
    radii = list(line.get_ydata())
    assert 0.0 not in radii  # nothing drawn at the worst score
    assert any(math.isnan(r) for r in radii)
    assert [r for r in axes.get_lines()[1].get_ydata()] == [50.0] * 8
    notes = " ".join(t.get_text() for t in figure.texts)
    assert "model-a" in notes
    assert "m6" in notes
    assert "NA" in notes


def test_a_metric_every_rater_marked_na_in_a_study_is_a_gap_in_its_chart(tmp_path: Path) -> None:
    """Item 9 from the scores up: 3 raters mark model-b's overdiagnosis NA on every case."""
    from radval_desktop.study.results import expert_results

    path = tmp_path / "study.db"
    build_scored_study(path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE answers SET na = 1, score = NULL WHERE metric = 'overdiagnosis' "
                     "AND candidate_uuid IN (SELECT uuid FROM candidates "
                     "WHERE model_name = 'model-b')")
    conn.close()
    db = open_study(path)
    try:
        results = expert_results(db)
    finally:
        db.close()
    assert results is not None
    assert len(results.charts) == 4  # abdomen OG / OHG, chest OG / IHG
    for chart in results.charts:
        series = dict(chart.series)
        assert series["model-b"][-1] is None  # overdiagnosis, the seventh axis
        assert None not in series["model-a"]
        figure = radar_figure(chart)
        line_b = figure.axes[0].get_lines()[1]
        assert math.isnan(line_b.get_ydata()[-2])  # drawn as a gap ...
        assert 0.0 not in list(line_b.get_ydata())  # ... never at the worst score
        notes = " ".join(t.get_text() for t in figure.texts)
        assert "model-b: Overdiagnosis" in notes


def test_a_legend_stays_inside_its_chart_in_a_row_of_three() -> None:
    """Names the lead's files give (the default model's label beside a short one, 40
    characters in all): a legend wider than its panel ran into the next chart."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from radval_desktop.evaluation.radar import PANEL_INCHES, draw_radar
    from radval_desktop.study.questionnaire import METRICS

    axes = tuple(f"{m.name}\n{m.name_zh}" for m in METRICS)
    for names in (("qwen2.5-coder-0.5b-instruct Q4_K_M", "radval"),
                  ("radiologists' own impressions", "model-x Q8_0"),
                  ("model-a", "model-b", "model-c")):
        data = RadarData("chest — IHG, institution 1", axes,
                         tuple((n, (50.0,) * 7) for n in names))
        figure = Figure(figsize=(PANEL_INCHES * 3, PANEL_INCHES * 1.02), layout="constrained")
        canvas = FigureCanvasAgg(figure)
        panels = figure.subfigures(1, 3, squeeze=False)[0]
        for panel in panels:
            draw_radar(panel, data)
        canvas.draw()
        for panel in panels:
            legend = panel.axes[0].get_legend().get_window_extent(canvas.get_renderer())
            assert panel.bbox.x0 <= legend.x0, names
            assert legend.x1 <= panel.bbox.x1, names
