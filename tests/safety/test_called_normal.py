"""The "called normal" check: a normal impression over abnormal findings, in both languages."""

from __future__ import annotations

import pytest

from radval_desktop.safety.checks import (
    CALLED_NORMAL,
    KINDS,
    MISSED,
    TITLES,
    Flag,
    run_checks,
)

ZH_LUNG = ("胸廓对称，纵隔居中，心影不大。双肺纹理增多，右肺下叶背段见片状磨玻璃影，边界模糊。"
           "双侧胸腔未见积液。")
EN_LUNG = ("Heart size is within normal limits. There is patchy consolidation in the left lower "
           "lobe. No pleural effusion or pneumothorax.")
EN_HEAD = "Acute hematoma in the right parietal lobe with mild surrounding edema."


def _called(findings: str, impression: str) -> list[Flag]:
    return [f for f in run_checks(findings, impression) if f.kind == CALLED_NORMAL]


def _text(text: str, spans: tuple) -> list[str]:  # type: ignore[type-arg]
    return [text[s.start:s.end] for s in spans]


def test_called_normal_is_a_kind_with_a_title() -> None:
    assert CALLED_NORMAL in KINDS
    assert TITLES[CALLED_NORMAL] == "Called normal"


@pytest.mark.parametrize("impression", [
    "胸部CT平扫未见明显异常。", "未见明显异常。", "双肺未见异常", "双肺未见明显异常。",
    "两肺野清晰。", "心肺未见异常。"])
def test_zh_normal_study_or_lungs_over_a_lung_lesion_is_flagged(impression: str) -> None:
    flags = _called(ZH_LUNG, impression)
    assert [f.key for f in flags] == ["called_normal:ground_glass"]
    assert _text(ZH_LUNG, flags[0].findings_spans) == ["磨玻璃影"]
    assert _text(impression, flags[0].impression_spans) == [impression.rstrip("。")]


@pytest.mark.parametrize("impression", ["心脏未见异常。", "心影大小正常。", "纵隔未见明显异常。",
                                        "双侧胸腔未见异常。"])
def test_zh_another_place_called_normal_contradicts_nothing(impression: str) -> None:
    assert _called(ZH_LUNG, impression) == []


@pytest.mark.parametrize("impression", [
    "No acute cardiopulmonary abnormality.", "Normal chest.", "No acute disease.",
    "The lungs are clear.", "Clear lungs.", "Lungs: normal.", "1. No active disease."])
def test_en_normal_chest_or_lungs_over_consolidation_is_flagged(impression: str) -> None:
    flags = _called(EN_LUNG, impression)
    assert [f.key for f in flags] == ["called_normal:consolidation"]
    assert "consolidation" in flags[0].reason
    assert flags[0].reason.endswith(".")


@pytest.mark.parametrize("impression", ["The heart is normal.", "Normal heart size.",
                                        "No acute osseous abnormality."])
def test_en_another_place_called_normal_contradicts_nothing(impression: str) -> None:
    assert _called(EN_LUNG, impression) == []


@pytest.mark.parametrize("impression", ["Unremarkable CT of the head.",
                                        "No acute intracranial abnormality.", "Normal brain."])
def test_en_normal_head_over_a_hematoma_is_flagged(impression: str) -> None:
    assert [f.key for f in _called(EN_HEAD, impression)] == ["called_normal:hemorrhage"]
    # The lungs say nothing about the brain.
    assert _called(EN_HEAD, "The lungs are clear.") == []


def test_zh_each_finding_labelled_normal_is_flagged_on_its_line() -> None:
    draft = ("1. 胸廓对称，纵隔居中：正常\n"
             "2. 双肺纹理增多，右肺下叶背段见片状磨玻璃影，边界模糊：正常\n"
             "3. 双侧胸腔未见积液：正常")
    flags = _called(ZH_LUNG, draft)
    assert [f.key for f in flags] == ["called_normal:ground_glass"]
    assert _text(draft, flags[0].impression_spans) == [
        "双肺纹理增多，右肺下叶背段见片状磨玻璃影，边界模糊：正常"]


def test_en_a_finding_labelled_normal_is_flagged_however_mild() -> None:
    findings = "Mild left lower lobe opacity. Heart size normal."
    assert [f.key for f in _called(findings, "Left lower lobe opacity: normal.")] == [
        "called_normal:consolidation"]
    assert [f.key for f in _called(findings, "Left lower lobe opacity - normal")] == [
        "called_normal:consolidation"]


def test_old_mild_possible_and_incidental_findings_are_not_called_normal() -> None:
    findings = ("Stable calcified granuloma in the right upper lobe. Mild cardiomegaly. "
                "Aortic atherosclerotic calcification. Old healed left rib fractures. "
                "Linear opacity at the left base may represent scarring.")
    assert _called(findings, "No acute cardiopulmonary abnormality.") == []
    assert _called("左侧第6肋陈旧性骨折。", "胸部CT平扫未见明显异常。") == []


def test_a_hedge_that_names_a_finding_still_calls_for_the_impression() -> None:
    """"may represent infiltrate" is a possible pneumonia, which belongs in the impression;
    "may represent overlying soft tissue" explains the opacity away (issue 16's adapter drafted
    "No acute cardiopulmonary abnormality." over the first, and the checks let it pass)."""
    findings = ("The heart is not enlarged. No pneumothorax or pleural effusion. Small right "
                "juxtahilar opacity may represent infiltrate. Lungs are otherwise well aerated.")
    assert [f.key for f in _called(findings, "No acute cardiopulmonary abnormality.")] == [
        "called_normal:consolidation"]
    assert _called(findings, "Small right juxtahilar opacity, possible infiltrate.") == []
    explained = "Right basilar opacity may represent overlying soft tissue."
    assert _called(explained, "No acute cardiopulmonary abnormality.") == []
    # What the film cannot show is no finding (OpenI writes this over normal studies).
    hidden = "The lungs are clear. Bony overlap in the lung apices could obscure a small nodule."
    assert _called(hidden, "No acute cardiopulmonary disease.") == []


def test_no_acute_says_nothing_of_what_is_chronic_by_nature() -> None:
    findings = "Hyperinflated lungs with marked emphysema. Enlarged cardiac silhouette."
    assert _called(findings, "No acute cardiopulmonary process.") == []
    # A plain normal claim still contradicts them, and "possibly missed" still shows.
    assert {f.key for f in _called(findings, "Normal chest.")} == {
        "called_normal:emphysema", "called_normal:cardiomegaly",
        "called_normal:hyperinflation"}
    assert MISSED in {f.kind for f in run_checks(findings, "No acute cardiopulmonary process.")}


def test_a_finding_the_impression_names_is_not_called_normal() -> None:
    findings = "There is a 9 mm nodule in the right upper lobe. No pleural effusion."
    impression = "1. No acute cardiopulmonary abnormality. 2. Right upper lobe nodule."
    assert _called(findings, impression) == []
    zh = "右肺上叶见结节，约8mm。左侧胸腔少量积液。"
    flags = _called(zh, "右肺上叶结节，余未见明显异常。")
    assert [f.key for f in flags] == ["called_normal:effusion"]


def test_called_normal_replaces_possibly_missed_for_the_same_finding() -> None:
    kinds = [f.kind for f in run_checks(EN_LUNG, "No acute cardiopulmonary abnormality.")]
    assert kinds.count(CALLED_NORMAL) == 1
    assert MISSED not in kinds


@pytest.mark.parametrize(("findings", "impression"), [
    ("右肺上叶见一结节，边缘光滑。", "右肺上叶结节，边缘清晰。"),
    ("双侧胸腔未见积液，双肺未见实变。", "双肺未见异常。"),
    ("The lungs are clear. No effusion.", "No acute cardiopulmonary abnormality."),
    ("Right upper lobe mass.", "Non-small cell lung cancer, clear-cell variant."),
    ("Enhancing left renal mass.", "Renal cell carcinoma without metastatic disease."),
])
def test_agreeing_pairs_are_not_flagged(findings: str, impression: str) -> None:
    assert _called(findings, impression) == []


def test_a_denied_normal_word_claims_nothing() -> None:
    assert _called(ZH_LUNG, "双肺纹理不清晰") == []
    assert _called(EN_LUNG, "The left lung is not normal.") == []


# Seen from the default model (issue 15): the study named by a place and "CT", over a lesion.
GGO = ("胸廓对称，纵隔居中，双肺纹理清晰，双肺上叶见小片状磨玻璃影，边缘模糊，胸膜下为著，"
       "双侧胸腔内未见异常密度影。")


@pytest.mark.parametrize("impression", ["胸腔CT平扫未见明显异常。", "胸廓CT平扫未见明显异常。",
                                        "胸部CT平扫未见明显异常。"])
def test_a_place_named_with_the_study_calls_the_whole_study_normal(impression: str) -> None:
    assert len(_called(GGO, impression)) == 1


def test_a_new_low_density_area_is_abnormal() -> None:
    emphysema = "胸廓对称，纵隔居中，双肺下叶见弥漫分布小圆形低密度影，双侧胸腔内未见异常密度影。"
    assert len(_called(emphysema, "胸部CT平扫未见明显异常。")) == 1
    assert _called(emphysema, "双肺下叶肺气肿。") == []


def test_an_impression_of_normal_clauses_only_over_an_abnormal_study_is_called_normal() -> None:
    # The default model's draft of a real chest CT without a corpus (issue 15): the findings'
    # normal clauses copied, the ground glass left out; no normal claim word to place.
    findings = ("胸廓对称，纵隔心影居中，纵隔内未见肿大淋巴结影，双肺下叶见小片状磨玻璃影，"
                "边缘不清，叶段支气管通畅，双侧胸腔内未见异常密度影。")
    flags = [f for f in run_checks(findings, "胸廓对称，纵隔心影居中。", "zh")
             if f.kind == CALLED_NORMAL]
    assert [f.reason for f in flags] == [
        "The impression says only '胸廓对称，纵隔心影居中'; the findings describe 'ground glass'."]
    lesion = run_checks(findings, "双肺下叶炎性病变", "zh")
    assert not [f for f in lesion if f.kind == CALLED_NORMAL]
    # Negations alone say nothing of what is chronic by nature (as "no acute ..."): OpenI
    # reports atelectasis so. "Possibly missed", not "called normal".
    en = "Left lower lobe density representing atelectasis. No pleural effusion."
    assert not [f for f in run_checks(en, "No focal lung consolidation.", "en")
                if f.kind == CALLED_NORMAL]


def test_an_impression_of_negations_only_over_a_lesion_reads_as_a_normal_study() -> None:
    # The default model's draft of a real chest CT (bench/quality.py, session 10): it ruled
    # out what the findings rule out and named nothing they describe. A radiologist reading
    # the report's conclusion takes it for a normal study.
    findings = ("胸廓对称，纵隔居中，左肺上叶见类圆形致密影，边界较清，其边缘见分叶，"
                "纵隔内未见肿大淋巴结，双侧胸腔内未见异常密度影。")
    flags = [f for f in run_checks(findings, "纵隔内未见肿大淋巴结。", "zh")
             if f.kind == CALLED_NORMAL]
    assert [f.reason for f in flags] == [
        "The impression says only '纵隔内未见肿大淋巴结'; the findings describe 'consolidation'."]
    assert dict(flags[0].values)["written"] == "致密影"
    en = "Spiculated mass in the right upper lobe. No pleural effusion. No pneumothorax."
    flags = [f for f in run_checks(en, "No pleural effusion or pneumothorax.", "en")
             if f.kind == CALLED_NORMAL]
    assert [dict(f.values)["concept"] for f in flags] == ["mass"]
    # Named beside the negations, the lesion is carried: nothing called normal.
    for named in ("左肺上叶占位，纵隔内未见肿大淋巴结。", "左肺上叶致密影，纵隔内未见肿大淋巴结。"):
        assert not [f for f in run_checks(findings, named, "zh") if f.kind == CALLED_NORMAL]
    assert not [f for f in run_checks(en, "Right upper lobe mass. No effusion.", "en")
                if f.kind == CALLED_NORMAL]
    # A mild or prior finding is no study a negation contradicts.
    mild = "Minimal right basilar opacity. No pleural effusion."
    assert not [f for f in run_checks(mild, "No pleural effusion.", "en")
                if f.kind == CALLED_NORMAL]


@pytest.mark.parametrize("findings", [
    # A rounded dense area with a lobulated edge: a mass by its description.
    "胸廓对称，纵隔居中，左肺上叶见类圆形致密影，边界较清，其边缘见分叶，双侧胸腔内未见异常密度影。",
    "胸廓对称，纵隔居中，双肺纹理增强，右肺门增大，边缘清楚，双侧胸腔内未见异常密度影。",
    "胸廓对称，纵隔居中，右肺中叶支气管管径增宽，管壁增厚，呈支气管扩张改变。",
    "胸廓对称，左肺下叶见厚壁空洞，双侧胸腔内未见异常密度影。",
    "胸廓对称，纵隔内见条状气体密度影，考虑纵隔气肿。"],
    ids=["dense-lobulated", "hilum", "bronchiectasis", "cavity", "pneumomediastinum"])
def test_zh_chest_findings_the_term_list_lacked_are_not_called_normal(findings: str) -> None:
    # Drafted "胸廓CT平扫未见明显异常" over such findings (bench/quality.py, cov_ctr without a
    # corpus), and no check saw it: the lists knew no word of the finding.
    assert len(_called(findings, "胸部CT平扫未见明显异常。")) == 1
    assert len(_called(findings, "胸廓CT平扫未见明显异常。")) == 1
