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


def test_chinese_wording_is_a_radiologists() -> None:
    """Issue 19: the Chinese shown to raters, checked against the paper's appendix (Fig. 9)
    and SPEC §7. Each question names what is scored, as Fig. 9's English questions do, in the
    window's word for the impression (诊断意见: the Scoring tab's label, the Chinese exports'
    column); a report describes findings (表现, 病变), it has no symptoms and treats nobody;
    no band label reads as a non-word."""
    for m in METRICS:
        assert m.question_zh.startswith("诊断意见"), m.key
        assert m.definition_zh.startswith(("诊断意见", m.name_zh)), m.key
        assert "印象" not in m.question_zh + m.definition_zh + m.q2_zh, m.key
        assert len(set(m.bands_zh)) == 5, m.key
    missed, over = metric("missed_diagnosis"), metric("overdiagnosis")
    assert "病变" in missed.definition_zh
    assert "症状" not in missed.definition_zh  # imaging finds lesions, not symptoms
    assert "正常表现" in over.question_zh
    assert "过度治疗" not in over.question_zh  # an impression recommends; it does not treat
    assert "建议" in over.question_zh
    assert metric("clinical_utility").bands_zh[3] == "帮助不大"  # not 有些无用
    assert missed.bands_zh[2] == over.bands_zh[2] == "中等数量"  # "Moderate number"
    assert "患者" in metric("understandability").question_zh  # Fig. 9: ordinary people
