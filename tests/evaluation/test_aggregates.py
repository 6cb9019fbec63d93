"""Expert aggregates of a scored fixture study, checked against values worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from reader_study_data import build_scored_study

from radval_desktop.evaluation.aggregates import Rating, level_mean
from radval_desktop.store.reader_study import open_study
from radval_desktop.study.results import expert_results


@pytest.fixture
def results(tmp_path: Path):
    path = tmp_path / "study.db"
    build_scored_study(path)
    db = open_study(path)
    try:
        found = expert_results(db)
    finally:
        db.close()
    assert found is not None
    return found


def _find(results, model: str, system: str, scope: str):
    matches = [a for a in results.aggregates
               if (a.model, a.body_system, a.scope) == (model, system, scope)]
    assert len(matches) == 1, (model, system, scope)
    return matches[0]


def test_chest_means_by_hand(results) -> None:
    # Chest = zh-1 and en-1, both institution 1. Model a: junior (80+90)/2 = 85,
    # intermediate 75, senior 65 -> 75; model b: 65, 55, 45 -> 55. Metric i adds i.
    a = _find(results, "model-a", "chest", "IHG")
    assert a.means["understandability"] == pytest.approx(75)
    assert a.means["coherence"] == pytest.approx(76)
    assert a.by_level["understandability"] == {"junior": 85, "intermediate": 75, "senior": 65}
    b = _find(results, "model-b", "chest", "IHG")
    assert b.means["clinical_utility"] == pytest.approx(59)
    # Senior's en-1 overdiagnosis is NA: senior is 40+6 = 46 from zh-1 alone;
    # (71 + 61 + 46) / 3.
    assert b.means["overdiagnosis"] == pytest.approx(178 / 3)
    assert (b.answers, b.na, b.items) == (41, 1, 2)
    assert _find(results, "model-b", "chest", "OG").means == b.means


def test_scopes_split_by_institution_1(results) -> None:
    # Abdomen is only zh-2, institution 2: OHG and OG, never IHG.
    assert _find(results, "model-a", "abdomen", "OHG").means["understandability"] == \
        pytest.approx((50 + 40 + 30) / 3)
    assert _find(results, "model-b", "abdomen", "OG").means["relevance"] == pytest.approx(22)
    assert not [a for a in results.aggregates if a.scope == "IHG" and a.body_system == "abdomen"]
    assert not [a for a in results.aggregates if a.scope == "OHG" and a.body_system == "chest"]
    # All systems, OG, model a: junior (80+90+50)/3, intermediate and senior 10 and 20 less.
    assert _find(results, "model-a", "all", "OG").means["understandability"] == \
        pytest.approx(190 / 3)


def test_counts_and_agreement(results) -> None:
    counts = results.counts
    assert (counts.cases, counts.candidates, counts.models) == (3, 6, 2)
    assert counts.raters == {"junior": 1, "intermediate": 1, "senior": 1}
    assert (counts.answers, counts.na) == (3 * 6 * 7 - 1, 1)
    agreement = {a.metric: a for a in results.agreement}
    # Raters differ by a constant 10 on every item: see test_agreement's hand computation.
    assert agreement["understandability"].icc2k == pytest.approx(14 / 15)
    assert agreement["understandability"].alpha == pytest.approx(65 / 82)
    assert (agreement["overdiagnosis"].icc_items, agreement["overdiagnosis"].alpha_items) \
        == (5, 6)


def test_radar_charts_one_per_system_and_scope(results) -> None:
    titles = [c.title for c in results.charts]
    assert titles == ["abdomen — OG, all cases",
                      "abdomen — OHG, institutions other than 1",
                      "chest — OG, all cases", "chest — IHG, institution 1"]
    chest = results.charts[2]
    assert len(chest.axes) == 7
    assert "可理解性" in chest.axes[0]
    assert [model for model, _ in chest.series] == ["model-a", "model-b"]
    assert chest.series[0][1][0] == pytest.approx(75)


def _rating(rater: str, level: str, score: float | None) -> Rating:
    return Rating(rater, level, "c1", "m", "1", "chest", "coherence", score)


def test_levels_are_averaged_within_then_across() -> None:
    # Two juniors (40, 60) -> 50; one senior 80 -> (50 + 80) / 2 = 65, not the pooled 60.
    overall, levels = level_mean([_rating("j1", "junior", 40), _rating("j2", "junior", 60),
                                  _rating("s1", "senior", 80), _rating("s2", "senior", None)])
    assert levels == {"junior": 50, "senior": 80}
    assert overall == pytest.approx(65)


def test_all_na_gives_no_mean() -> None:
    assert level_mean([_rating("j1", "junior", None)]) == (None, {})
