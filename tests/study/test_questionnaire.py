"""The questionnaire matches SPEC §7: seven metrics, five bands of 20, labels top first."""

from __future__ import annotations

import pytest

from radval_desktop.study.questionnaire import METRIC_KEYS, METRICS, metric


def test_seven_metrics_in_spec_order() -> None:
    assert [m.name for m in METRICS] == ["Understandability", "Coherence", "Relevance",
                                         "Conciseness", "Clinical utility", "Missed diagnosis",
                                         "Overdiagnosis"]
    assert all(len(m.bands) == len(m.bands_zh) == 5 for m in METRICS)
    assert len(set(METRIC_KEYS)) == 7


@pytest.mark.parametrize(("score", "band"), [(100, 0), (80, 0), (79, 1), (60, 1), (59, 2),
                                             (40, 2), (20, 3), (19, 4), (0, 4)])
def test_score_falls_in_its_band(score: int, band: int) -> None:
    assert metric("coherence").band(score) == band


def test_band_labels_run_from_best_to_worst() -> None:
    assert metric("understandability").band_label(90) == "Very easy 非常容易"
    assert metric("overdiagnosis").band_label(5) == "Extremely serious 极其严重"
    assert metric("conciseness").bands[3] == "Somewhat verbose"
