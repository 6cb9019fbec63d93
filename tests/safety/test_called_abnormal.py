""""Called abnormal": an abnormality stated over findings that describe none (issue 15)."""

from __future__ import annotations

import pytest

from radval_desktop.safety.checks import CALLED_ABNORMAL, run_checks

EN_NORMAL = ("Heart size normal. Lungs are clear. The trachea is midline. No pneumonia, "
             "effusions, edema, pneumothorax, adenopathy, nodules or masses.")
ZH_NORMAL = "胸廓对称，纵隔居中，双肺纹理清晰，未见异常密度影，叶段支气管通畅，双侧胸腔未见积液。"


def _over(findings: str, impression: str, language: str) -> list[str]:
    return [f.reason for f in run_checks(findings, impression, language)
            if f.kind == CALLED_ABNORMAL]


@pytest.mark.parametrize("impression", [
    "Cardiopulmonary disease.",  # the default model's draft of a real normal OpenI study
    "Cardiopulmonary abnormality",
    "Cardiomegaly without acute disease.",
    "Right lower lobe pneumonia.",
])
def test_an_abnormality_over_normal_english_findings_is_flagged(impression: str) -> None:
    reasons = _over(EN_NORMAL, impression, "en")
    assert len(reasons) == 1
    assert "the findings describe nothing abnormal" in reasons[0]


def test_a_chinese_lesion_over_normal_findings_is_flagged_with_its_clause() -> None:
    reasons = _over(ZH_NORMAL, "双肺炎性病变", "zh")
    assert reasons == [
        "The impression says '双肺炎性病变'; the findings describe nothing abnormal."]


@pytest.mark.parametrize("impression", [
    "No acute cardiopulmonary disease.", "Normal chest.", "Negative chest x-ray.",
    "No active disease."])
def test_a_normal_impression_is_not(impression: str) -> None:
    assert _over(EN_NORMAL, impression, "en") == []
    assert _over(ZH_NORMAL, "胸部CT平扫未见明显异常", "zh") == []


@pytest.mark.parametrize("findings", [
    # Abnormalities the term list does not know: a clause that reads neither normal nor
    # negated keeps the check quiet (false flags on OpenI 3.6% -> 0.4%).
    "Heart size is moderately enlarged. No pleural effusion or pneumothorax.",
    "Lungs are hyperexpanded. No focal consolidation.",
    "Degenerative disc disease of the spine. Lungs are clear.",
    "双肺纹理增强，双肺未见异常密度影。",
])
def test_findings_with_something_unlisted_are_not_called_normal(findings: str) -> None:
    language = "zh" if "肺" in findings else "en"
    assert _over(findings, "Cardiomegaly." if language == "en" else "肺气肿", language) == []
    assert _over(findings, "Degenerative disease." if language == "en" else "双肺病变",
                 language) == []


def test_an_abnormality_in_a_place_the_findings_call_normal_is_flagged() -> None:
    # The default model's draft of a real chest CT without a corpus (issue 15): the ground
    # glass is in the lungs, the draft puts an inflammation in the bony thorax.
    findings = ("胸廓对称，纵隔心影居中，双肺下叶见小片状磨玻璃影，边缘不清，叶段支气管通畅，"
                "双侧胸腔内未见异常密度影。")
    assert _over(findings, "胸廓炎症，建议治疗后复查。", "zh") == [
        "The impression says '胸廓炎症'; the findings call it normal there: '胸廓对称'."]
    assert _over(findings, "双肺下叶炎性病变", "zh") == []
    en = "Heart size normal. Right lower lobe airspace opacity. No effusion."
    assert _over(en, "Cardiomegaly. Right lower lobe pneumonia.", "en") == [
        "The impression says 'Cardiomegaly'; the findings call it normal there: "
        "'Heart size normal'."]
    assert _over(en, "Right lower lobe pneumonia.", "en") == []


@pytest.mark.parametrize("findings", [
    # Not a plain normal: a minor cue, or only a negation ("no focal consolidation" says
    # nothing of interstitial edema).
    "The heart is top normal in size. Right lower lobe airspace opacity.",
    "There is prominence of the interstitial markings. There is no focal airspace opacity. "
    "Right lower lobe airspace opacity.",
])
def test_a_place_not_plainly_normal_is_not(findings: str) -> None:
    assert _over(findings, "Mild cardiomegaly. Interstitial pulmonary edema.", "en") == []


@pytest.mark.parametrize("elsewhere", [
    # The default model drafted "Cardiopulmonary disease." over real OpenI studies like these
    # (bench/quality.py, no corpus): the only clause that is not normal is about the spine.
    "Postsurgical changes of the cervical spine are present.",
    "Osseous structures and soft tissues are unchanged.",
])
def test_an_abnormal_heart_and_lungs_over_normal_ones_is_flagged_whatever_the_spine(
        elsewhere: str) -> None:
    findings = ("Cardiomediastinal silhouette is normal. Pulmonary vasculature and XXXX are "
                f"normal. No consolidation, pneumothorax or large pleural effusion. {elsewhere}")
    assert _over(findings, "Cardiopulmonary disease.", "en") == [
        "The impression says 'Cardiopulmonary disease'; the findings describe nothing "
        "abnormal there."]
    # The spine is the findings' own: an impression about it is not flagged, nor a normal one.
    assert _over(findings, "No acute cardiopulmonary disease. Cervical spine fusion.",
                 "en") == []
    assert _over(findings, "Degenerative disease of the spine.", "en") == []
    zh = "胸廓对称，纵隔居中，双肺纹理清晰，双侧胸腔未见积液。胸椎退行性变。"
    assert _over(zh, "双肺炎性病变", "zh") == [
        "The impression says '双肺炎性病变'; the findings call it normal there: '双肺纹理清晰'."]
    assert _over(zh, "胸椎退行性变", "zh") == []


def test_a_place_with_its_own_unlisted_change_is_not_flagged() -> None:
    findings = ("Heart size normal. There is a XXXX opacity in the left lung. Degenerative "
                "changes of the spine.")
    assert _over(findings, "Left lung disease.", "en") == []
    assert _over(findings, "Cardiopulmonary disease.", "en") == []


def test_a_place_called_normal_is_checked_when_nothing_listed_is_abnormal() -> None:
    # The default model's "Cardiomegaly." over a real OpenI film (no corpus): the heart is
    # within normal limits; the one odd clause (a broken sternal wire) names no place.
    findings = ("The cardiomediastinal silhouette is within normal limits in size. The lungs "
                "are clear. The lowest sternotomy wire is fractured.")
    assert _over(findings, "Cardiomegaly.", "en") == [
        "The impression says 'Cardiomegaly'; the findings call it normal there: 'The "
        "cardiomediastinal silhouette is within normal limits in size'."]
    assert _over(findings, "Fractured sternotomy wire.", "en") == []


def test_an_effusion_where_the_findings_see_nothing_abnormal_is_a_contradiction() -> None:
    # A real draft with 3 retrieved cov_ctr examples (bench/finetune_real.py, session 8): the
    # effusion comes from the examples' impressions, not from these findings. "未见异常密度影"
    # negates any abnormality there, not one finding: the cavity is called normal.
    findings = ("胸廓对称，纵隔居中，左肺下叶见斑片状实变影，边缘模糊，叶段支气管通畅，"
                "双侧胸腔内未见异常密度影。")
    assert _over(findings, "左肺下叶炎性病变（符合病毒性肺炎）；双侧胸腔积液", "zh") == [
        "The impression says '双侧胸腔积液'; the findings call it normal there: "
        "'双侧胸腔内未见异常密度影'."]
    assert _over(findings, "左肺下叶炎性病变（符合病毒性肺炎）", "zh") == []
    en = ("Right lower lobe airspace opacity. No abnormality of the pleural spaces. "
          "Heart size normal.")
    assert _over(en, "Right lower lobe pneumonia. Bilateral pleural effusions.", "en") == [
        "The impression says 'Bilateral pleural effusions'; the findings call it normal "
        "there: 'No abnormality of the pleural spaces'."]
    # A word between narrows the denial (real OpenI reports): not a contradiction.
    assert _over("Chest. No focal thoracic bony findings. Hand. Cortical irregularity of the "
                 "scaphoid.", "Minimally displaced fracture of the scaphoid.", "en") == []
    assert _over("Heart size is normal. Several calcified granulomas. No acute bony "
                 "abnormalities.",
                 "No acute abnormality. If there is continued concern for occult fracture, "
                 "consider dedicated rib series.", "en") == []
    # A negation of one finding still says nothing of another: no flag for edema here.
    assert _over("Right lower lobe airspace opacity. No pleural effusion.",
                 "Right lower lobe pneumonia. Small bilateral pleural effusions.", "en") == []


def test_a_lesion_at_the_pleura_leaves_both_cavities_denied_normal() -> None:
    # Drafted with 3 retrieved cov_ctr examples (bench/quality.py, session 10) over a mass
    # that abuts the pleura: the contact does not make "未见异常密度影" of both cavities less
    # plain, so an effusion there is still a contradiction.
    findings = ("胸廓对称，纵隔居中，左肺上叶见类圆形致密影，边缘见分叶，病灶与邻近胸膜分界不清，"
                "双侧胸腔内未见异常密度影。")
    assert _over(findings, "左肺上叶占位；双侧胸腔积液", "zh") == [
        "The impression says '双侧胸腔积液'; the findings call it normal there: "
        "'双侧胸腔内未见异常密度影'."]
    # One side denied, something unnamed on the other: no contradiction to claim.
    one_side = "右肺下叶见斑片影，右侧胸腔内见少许液体密度影，左侧胸腔内未见异常密度影。"
    assert _over(one_side, "右肺下叶炎性病变；右侧胸腔积液", "zh") == []
