from __future__ import annotations

import pytest

from radval_desktop.errors import InputError
from radval_desktop.findings import (
    MAX_FINDINGS_CHARS,
    clean_findings,
    detect_language,
    suggest_body_system,
    suggest_modality,
)


@pytest.mark.parametrize("text", ["", "   ", "\n\t\n"])
def test_empty_findings_are_refused(text: str) -> None:
    with pytest.raises(InputError, match="empty"):
        clean_findings(text)


def test_huge_paste_is_refused_with_the_limit() -> None:
    with pytest.raises(InputError, match=f"{MAX_FINDINGS_CHARS:,}"):
        clean_findings("肺" * (5 * 1024 * 1024))


def test_binary_junk_is_refused() -> None:
    junk = bytes(range(256)).decode("latin-1") * 4
    with pytest.raises(InputError, match="control"):
        clean_findings(junk)


def test_punctuation_only_is_refused() -> None:
    with pytest.raises(InputError, match="no words"):
        clean_findings("。。。，，，")


def test_clean_findings_normalizes_newlines() -> None:
    assert clean_findings("  Lungs clear.\r\nNo effusion.  ") == "Lungs clear.\nNo effusion."


@pytest.mark.parametrize(
    ("text", "lang"),
    [("双肺纹理清晰。", "zh"), ("Lungs are clear.", "en"), ("右肺上叶结节 (RUL nodule) 8mm", "zh")],
)
def test_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    ("text", "system"),
    [
        ("双肺纹理清晰，右肺上叶磨玻璃影。", "chest"),
        ("肝脏形态大小正常，胆囊不大。", "abdomen"),
        ("Large right MCA territory infarct in the brain.", "head"),
        ("Tear of the medial meniscus and the anterior cruciate ligament of the knee.",
         "musculoskeletal"),
        ("甲状腺右叶见低密度结节。", "maxillofacial_neck"),
    ],
)
def test_body_system_suggestion(text: str, system: str) -> None:
    assert suggest_body_system(text) == system


def test_no_suggestion_without_anatomy() -> None:
    assert suggest_body_system("Comparison none.") is None


def test_modality_suggestion() -> None:
    assert suggest_modality("T2WI 高信号") == "MRI"
    assert suggest_modality("平扫见低密度影") == "CT"
    assert suggest_modality("PA and lateral radiograph") == "XR"
    assert suggest_modality("Findings unremarkable.") is None
