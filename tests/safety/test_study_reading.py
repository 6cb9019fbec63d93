"""The one normal/abnormal reading of an impression (issue 16): the fine-tuning bench's class
balance and its "abnormal study drafted as normal" rate both use it."""

from __future__ import annotations

import pytest

from radval_desktop.safety.study_reading import reads_normal


@pytest.mark.parametrize("impression", [
    "No acute cardiopulmonary abnormality.",
    "No acute cardiopulmonary disease.",
    "Normal chest.",
    "心肺未见异常。",
    "颅脑CT平扫未见明显异常。",
])
def test_normal_impressions_read_normal(impression: str) -> None:
    assert reads_normal(impression)


@pytest.mark.parametrize("impression", [
    "Right lower lobe pneumonia.",
    "Low lung volumes with bibasilar atelectasis.",
    "No acute cardiopulmonary abnormality. Stable cardiomegaly.",
    "Enlarging left upper lobe density, recommend CT.",
    "右肺上叶炎症。",
    "双肺多发磨玻璃影，考虑病毒性肺炎。",
    "",
    # Read normal while "Emphysema without acute disease." was not (issue 16's second run):
    "Emphysematous changes without acute lung disease.",
    "Stable appearance of the chest. Right chest wall mass.",
])
def test_abnormal_or_empty_impressions_do_not(impression: str) -> None:
    assert not reads_normal(impression)
