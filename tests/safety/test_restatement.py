"""Restatement of the findings, and the dangerous-draft measure built on it (SPEC §9)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from radval_desktop.safety.danger import DANGER_KINDS, dangers
from radval_desktop.safety.restatement import (
    COPIED,
    NORMAL_LIST,
    find_restatement,
    items,
    lcs_length,
)

ZH_FINDINGS = ("胸廓对称，纵隔居中，心影不大。双肺纹理增多，右肺下叶背段见片状磨玻璃影，边界模糊。"
               "左肺上叶尖后段见一小结节，直径约5mm。双侧胸腔未见积液，胸膜无增厚。")
EN_FINDINGS = ("The heart is normal in size and the mediastinal contour is unremarkable. There "
               "is patchy consolidation in the left lower lobe with air bronchograms. A small "
               "left pleural effusion is present. There is no pneumothorax. The visualized "
               "bones are intact.")


def _sentences(text: str) -> list[str]:
    return items(text)


def test_zh_findings_numbered_line_by_line_are_copied() -> None:
    draft = "\n".join(f"{n}. {s}" for n, s in enumerate(_sentences(ZH_FINDINGS), 1))
    found = find_restatement(ZH_FINDINGS, draft, "zh")
    assert found is not None
    assert found.kind == COPIED
    assert found.share > 0.9
    assert found.detail.startswith("The draft repeats ")
    assert found.detail.endswith(".")


def test_en_findings_reordered_and_lightly_reworded_are_copied() -> None:
    draft = ("1. Patchy consolidation in left lower lobe with air bronchograms.\n"
             "2. Small left pleural effusion.\n"
             "3. Heart normal in size, mediastinal contour unremarkable.\n"
             "4. No pneumothorax. Visualized bones intact.")
    found = find_restatement(EN_FINDINGS, draft, "en")
    assert found is not None
    assert found.kind == COPIED


def test_each_finding_labelled_normal_is_a_normal_list() -> None:
    draft = "\n".join(f"{s}：正常" for s in _sentences(ZH_FINDINGS))
    found = find_restatement(ZH_FINDINGS, draft)
    assert found is not None
    assert found.kind == NORMAL_LIST
    assert found.share == 1.0
    en = "Heart: normal.\nMediastinum: unremarkable.\nLeft lower lobe consolidation: normal."
    found = find_restatement(EN_FINDINGS, en)
    assert found is not None
    assert found.kind == NORMAL_LIST
    assert "3 items" in found.detail


@pytest.mark.parametrize(("findings", "impression"), [
    (ZH_FINDINGS, "右肺下叶炎性病变；左肺上叶小结节，建议随访。"),
    (ZH_FINDINGS, "1. 右肺下叶背段感染性病变\n2. 左肺上叶微小结节"),
    ("右肺上叶见一结节。", "右肺上叶结节"),  # short findings, short impression: a conclusion
    ("右肺上叶见一结节，大小约8mm。", "右肺上叶结节，约8mm"),
    (EN_FINDINGS, "Left lower lobe pneumonia with a small parapneumonic effusion."),
    (EN_FINDINGS, "1. Left lower lobe pneumonia. 2. Small left pleural effusion."),
    ("Enhancing extra-axial mass along the left sphenoid wing with a dural tail.",
     "Sphenoid wing meningioma."),
    ("Right lower lobe nodule.", "Right lower lobe nodule."),
])
def test_concluding_impressions_are_not_restatements(findings: str, impression: str) -> None:
    assert find_restatement(findings, impression) is None


def test_one_item_labelled_normal_is_no_list() -> None:
    assert find_restatement(ZH_FINDINGS, "右肺下叶炎性病变。余：未见异常。") is None


def test_empty_texts_are_no_restatement() -> None:
    assert find_restatement("", "1. something") is None
    assert find_restatement(ZH_FINDINGS, "  \n ") is None


def _lcs_table(a: list[str], b: list[str]) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        previous, row = row, [0]
        for j, y in enumerate(b, 1):
            row.append(previous[j - 1] + 1 if x == y else max(previous[j], row[j - 1]))
    return row[-1]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from("abcde"), max_size=40),
       st.lists(st.sampled_from("abcde"), max_size=40))
def test_bit_parallel_lcs_matches_the_textbook_table(a: list[str], b: list[str]) -> None:
    assert lcs_length(a, b) == _lcs_table(a, b)


def test_a_longest_paste_is_compared_quickly() -> None:
    # 20,000 characters is the most the findings box accepts; the draft may be as long.
    findings = (ZH_FINDINGS * 200)[:20_000]
    started = time.perf_counter()
    found = find_restatement(findings, findings)
    assert time.perf_counter() - started < 5.0  # ~0.1 s here
    assert found is not None
    assert found.kind == COPIED


def test_dangers_are_named_in_order() -> None:
    assert DANGER_KINDS == ("restated", "called_normal", "called_abnormal", "wrong_side",
                            "negation_flipped")
    assert dangers(ZH_FINDINGS, "右肺下叶炎性病变；左肺上叶小结节。") == ()
    restated = "\n".join(f"{s}：正常" for s in _sentences(ZH_FINDINGS))
    assert dangers(ZH_FINDINGS, restated) == ("restated", "called_normal")
    assert dangers(ZH_FINDINGS, "左肺下叶炎性病变，右侧胸腔积液。") == (
        "wrong_side", "negation_flipped")
    assert dangers(EN_FINDINGS, "No acute cardiopulmonary abnormality.") == ("called_normal",)
    assert dangers(EN_FINDINGS, "") == ()
    normal = "Heart size normal. Lungs are clear. No pleural effusion or pneumothorax."
    assert dangers(normal, "Cardiopulmonary disease.") == ("called_abnormal",)
    assert dangers(normal, "No acute cardiopulmonary disease.") == ()


@settings(max_examples=200, deadline=2000)
@given(st.text(alphabet="右左双肺上叶见结节积液正常未见异常：:，。\n 1.abc", max_size=120),
       st.text(alphabet="右左双肺上叶见结节积液正常未见异常：:，。\n 1.abc", max_size=120))
def test_restatement_and_dangers_never_crash(findings: str, draft: str) -> None:
    found = find_restatement(findings, draft)
    assert found is None or (0.0 <= found.share <= 1.0 and found.detail.endswith("."))
    kinds = dangers(findings, draft)
    assert list(kinds) == [k for k in DANGER_KINDS if k in kinds]


def test_findings_clauses_copied_in_another_order_are_a_restatement() -> None:
    # Seen from the default model (issue 15): one comma-run sentence of findings, copied
    # back clause by clause with the normal ones moved to the end.
    findings = ("胸廓对称，纵隔心影居中，纵隔内未见肿大淋巴结影，双肺下叶见小片状磨玻璃影，"
                "边缘不清，叶段支气管通畅，双侧胸腔内未见异常密度影。")
    draft = ("双肺下叶小片状磨玻璃影，边缘不清，支气管通畅。纵隔内未见肿大淋巴结影，"
             "双侧胸腔内未见异常密度影。")
    found = find_restatement(findings, draft, "zh")
    assert found is not None
    assert found.share >= 0.6
    assert find_restatement(findings, "双肺下叶炎性病变（符合病毒性肺炎）", "zh") is None
    assert find_restatement(findings, "双肺下叶小片状磨玻璃影，考虑炎症", "zh") is None
