from __future__ import annotations

import pytest

from radval_desktop.engine.guards import find_loop, is_empty, judge, strip_echo
from radval_desktop.engine.sampling import Sampling, retry_sampling


@pytest.mark.parametrize(
    "text",
    [
        "双肺双肺双肺双肺双肺双肺",
        "pneumonia pneumonia pneumonia pneumonia pneumonia",
        "肺" * 12,
        "1. Right upper lobe pneumonia. Right upper lobe pneumonia. Right upper lobe pneumonia.",
        "右肺上叶炎症\n左肺下叶结节\n右肺上叶炎症\n其他\n右肺上叶炎症",
    ],
)
def test_loops_are_found(text: str) -> None:
    assert find_loop(text) is not None
    assert judge(text).reason == "repetition"


@pytest.mark.parametrize(
    "text",
    [
        "右肺上叶炎性病变（符合病毒性肺炎）",
        "1. Right upper lobe pneumonia.\n2. Small left pleural effusion.",
        "No acute cardiopulmonary abnormality.",
        "双肺多发结节，较前相仿。",
        "L1, L2, L3 vertebral bodies are normal.",
    ],
)
def test_real_impressions_are_not_loops(text: str) -> None:
    assert find_loop(text) is None
    assert judge(text).ok


@pytest.mark.parametrize("text", ["", "   \n", "。。", "** **", "```\n```"])
def test_empty_outputs(text: str) -> None:
    assert is_empty(strip_echo(text))
    assert judge(strip_echo(text)).reason == "empty"


def test_labels_and_fences_are_stripped() -> None:
    assert strip_echo("Impression: Impression: Left lower lobe pneumonia.") == (
        "Left lower lobe pneumonia."
    )
    assert strip_echo("**IMPRESSION:** No acute findings.") == "No acute findings."
    assert strip_echo("诊断意见：右肺上叶炎症。") == "右肺上叶炎症。"
    assert strip_echo("```\n印象：双肺炎症\n```") == "双肺炎症"


def test_preamble_only_is_empty_and_preamble_line_goes() -> None:
    assert strip_echo("The impression for this CT examination would be:") == ""
    assert strip_echo("诊断意见如下：\n1. 右肺上叶炎症") == "1. 右肺上叶炎症"
    assert strip_echo("Based on the findings, the impression is:\nNo acute disease.") == (
        "No acute disease."
    )
    assert strip_echo("胸部CT检查的诊断意见：右肺上叶炎症。") == "右肺上叶炎症。"
    assert strip_echo("The impression for this study is: No acute disease.") == (
        "No acute disease."
    )
    # A sentence that happens to contain the word stays.
    assert strip_echo("Findings consistent with pneumonia; diagnosis: pneumonia") == (
        "Findings consistent with pneumonia; diagnosis: pneumonia"
    )


def test_markdown_bold_is_removed() -> None:
    assert strip_echo("1. **胸部CT平扫**：右肺下叶炎症\n2. **No effusion**") == (
        "1. 胸部CT平扫：右肺下叶炎症\n2. No effusion"
    )


def test_next_case_is_cut() -> None:
    text = "Right pneumothorax.\nFindings: The heart is normal.\nImpression: normal"
    assert strip_echo(text) == "Right pneumothorax."


def test_copied_findings_are_removed() -> None:
    findings = "Large right pleural effusion with compressive atelectasis of the right lower lobe."
    assert strip_echo(findings + "\nRight pleural effusion.", findings) == "Right pleural effusion."
    assert strip_echo("Impression: " + findings + " Effusion.", findings) == "Effusion."
    # A short phrase shared with the findings is the impression, not an echo.
    assert strip_echo("Right pleural effusion.", findings) == "Right pleural effusion."


def test_retry_sampling_changes_greedy_settings() -> None:
    base = Sampling()
    first, second = retry_sampling(base, 1), retry_sampling(base, 2)
    assert retry_sampling(base, 0) == base
    assert first.temperature > base.temperature
    assert second.temperature > first.temperature
    assert second.repeat_penalty > first.repeat_penalty > base.repeat_penalty
    assert len({base.seed, first.seed, second.seed}) == 3
