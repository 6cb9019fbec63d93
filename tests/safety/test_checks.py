"""Each safety check on crafted Chinese and English pairs: flags contradictions, not agreement."""

from __future__ import annotations

from radval_desktop.safety.checks import (
    CALLED_NORMAL,
    LATERALITY,
    MISSED,
    NEGATION,
    UNSUPPORTED,
    Flag,
    run_checks,
)

ZH_FINDINGS = ("胸廓对称，纵隔心影居中。双肺纹理清晰，右肺上叶胸膜下可见片状磨玻璃影，边缘不清。"
               "双侧胸腔未见积液。")
EN_FINDINGS = ("There is a small left pleural effusion. Patchy consolidation in the right lower "
               "lobe. No pneumothorax.")


def _kinds(flags: list[Flag]) -> list[str]:
    return [f.kind for f in flags]


def _text(text: str, spans: tuple) -> list[str]:  # type: ignore[type-arg]
    return [text[s.start:s.end] for s in spans]


def test_zh_wrong_side_is_flagged_with_spans_in_both_texts() -> None:
    impression = "左肺上叶炎性病变"
    flags = [f for f in run_checks(ZH_FINDINGS, impression) if f.kind == LATERALITY]
    assert len(flags) == 1
    assert _text(impression, flags[0].impression_spans) == ["左肺上叶"]
    assert _text(ZH_FINDINGS, flags[0].findings_spans) == ["右肺上叶"]
    assert "right" in flags[0].reason


def test_zh_same_side_and_normal_both_lungs_are_not_flagged() -> None:
    # "双肺纹理清晰" describes nothing abnormal: it must not count as a side.
    assert LATERALITY not in _kinds(run_checks(ZH_FINDINGS, "右肺上叶炎性病变"))


def test_en_wrong_side_is_flagged_and_right_side_is_not() -> None:
    flags = run_checks(EN_FINDINGS, "Small right pleural effusion. Right lower lobe pneumonia.")
    laterality = [f for f in flags if f.kind == LATERALITY]
    assert len(laterality) == 1
    assert "right pleural" in laterality[0].reason
    agreeing = "Small left pleural effusion. Right lower lobe pneumonia."
    assert LATERALITY not in _kinds(run_checks(EN_FINDINGS, agreeing))


def test_zh_negation_flip_both_ways() -> None:
    asserted = run_checks(ZH_FINDINGS, "右肺上叶炎性病变，双侧胸腔积液")
    assert [f.key for f in asserted if f.kind == NEGATION] == ["negation:effusion"]
    denied = run_checks(ZH_FINDINGS, "右肺未见磨玻璃影")
    assert [f.key for f in denied if f.kind == NEGATION] == ["negation:ground_glass"]
    assert NEGATION not in _kinds(run_checks(ZH_FINDINGS, "右肺上叶炎性病变，未见胸腔积液"))


def test_en_negation_flip_both_ways() -> None:
    flags = run_checks(EN_FINDINGS, "No pleural effusion. Pneumothorax.")
    assert sorted(f.key for f in flags if f.kind == NEGATION) == [
        "negation:effusion", "negation:pneumothorax"]
    agreeing = "Left pleural effusion and right lower lobe consolidation; no pneumothorax."
    assert NEGATION not in _kinds(run_checks(EN_FINDINGS, agreeing))


def test_possibly_missed_names_the_omitted_finding() -> None:
    flags = run_checks(EN_FINDINGS, "Right lower lobe pneumonia.")
    missed = [f for f in flags if f.kind == MISSED]
    assert [f.key for f in missed] == ["possibly_missed:effusion"]
    assert _text(EN_FINDINGS, missed[0].findings_spans) == ["pleural effusion"]
    # The diagnosis covers its supporting finding (consolidation) and the effusion is named.
    complete = "Right lower lobe pneumonia with small left pleural effusion."
    assert MISSED not in _kinds(run_checks(EN_FINDINGS, complete))


def test_zh_possibly_missed_and_not() -> None:
    findings = "右肺下叶见一结节，大小约8mm。左侧少量气胸。"
    assert [f.key for f in run_checks(findings, "右肺下叶结节") if f.kind == MISSED] == [
        "possibly_missed:pneumothorax"]
    assert MISSED not in _kinds(run_checks(findings, "右肺下叶结节；左侧少量气胸"))


def test_unsupported_diagnosis_is_flagged_only_without_support() -> None:
    flags = run_checks("The lungs are hyperexpanded. Heart size is enlarged.",
                       "Right lower lobe pneumonia.")
    assert [f.key for f in flags if f.kind == UNSUPPORTED] == ["unsupported:pneumonia"]
    assert UNSUPPORTED not in _kinds(run_checks(EN_FINDINGS, "Right lower lobe pneumonia."))
    zh = run_checks("双肺纹理增粗，未见异常密度影。", "右肺肺癌")
    assert [f.key for f in zh if f.kind == UNSUPPORTED] == ["unsupported:cancer"]
    # Over findings that are normal throughout, "called abnormal" says it more plainly.
    normal = run_checks("The lungs are clear. Heart size is normal.", "Right lower lobe pneumonia.")
    assert "called_abnormal" in _kinds(normal)
    assert UNSUPPORTED not in _kinds(normal)


def test_empty_texts_give_no_flags() -> None:
    assert run_checks("", "左肺上叶炎性病变") == []
    assert run_checks(ZH_FINDINGS, "  ") == []


def test_old_or_stable_findings_are_not_possibly_missed_but_new_ones_are() -> None:
    findings = ("Scattered calcified granulomas. Old healed right rib fractures. "
                "New small right pneumothorax.")
    assert [f for f in run_checks(findings, "Right pneumothorax.") if f.kind == MISSED] == []
    missed = [f.key for f in run_checks(findings, "Stable chest.") if f.kind == MISSED]
    assert missed == ["possibly_missed:pneumothorax"]
    # Under a normal impression the new finding is "called normal", which says more than
    # "possibly missed" (issue 15): one flag for it, not two; the old ones get neither.
    flags = run_checks(findings, "No acute cardiopulmonary disease.")
    assert [f.key for f in flags if f.kind in (MISSED, CALLED_NORMAL)] == [
        "called_normal:pneumothorax"]
    zh = [f.key for f in run_checks("左侧第5肋陈旧性骨折。右肺上叶结节。", "右肺上叶结节。")
          if f.kind == MISSED]
    assert zh == []
    assert [f.key for f in run_checks("左侧第5肋骨折。", "右肺上叶结节。") if f.kind == MISSED] == [
        "possibly_missed:fracture"]
    assert [f.key for f in run_checks("左侧第5肋骨折。", "未见异常。")] == [
        "called_normal:fracture"]


def test_a_named_tumour_carries_the_mass_and_its_edema() -> None:
    findings = "Enhancing right frontal mass with surrounding vasogenic edema."
    assert [f for f in run_checks(findings, "Meningioma.") if f.kind == MISSED] == []
    assert {f.key for f in run_checks(findings, "Sinusitis.") if f.kind == MISSED} == {
        "possibly_missed:mass", "possibly_missed:edema"}
    assert [f for f in run_checks("右额叶占位。", "右额叶脑膜瘤。") if f.kind == MISSED] == []


def _sides(findings: str, impression: str) -> list[str]:
    return [f.key for f in run_checks(findings, impression) if f.kind == LATERALITY]


def test_both_sides_said_where_the_findings_have_one_is_flagged() -> None:
    assert _sides("右肺上叶见斑片影，边缘模糊。", "双肺上叶炎性病变") == ["laterality:肺上叶:both"]
    flags = run_checks("Small left pleural effusion.", "Bilateral pleural effusions.")
    laterality = [f for f in flags if f.kind == LATERALITY]
    assert [f.key for f in laterality] == ["laterality:pleural:both"]
    assert "on the left" in laterality[0].reason


def test_one_side_said_where_the_findings_have_both_is_flagged() -> None:
    # Issue 15: this used to pass ("both" described let any one side through).
    flags = [f for f in run_checks("双肺多发结节，大者约6mm。", "右肺结节") if f.kind == LATERALITY]
    assert [f.key for f in flags] == ["laterality:肺:right"]
    assert "both sides" in flags[0].reason
    two_sides = "右肺上叶见磨玻璃影，左肺下叶见斑片影。"
    assert _sides(two_sides, "右肺炎性病变") == ["laterality:肺:right"]
    assert _sides("Bilateral pleural effusions, moderate.", "Right pleural effusion.") == [
        "laterality:pleural:right"]


def test_both_or_one_side_agreeing_with_the_findings_is_not_flagged() -> None:
    two_sides = "右肺上叶见磨玻璃影，左肺下叶见斑片影。"
    assert _sides(two_sides, "双肺炎性病变") == []  # right upper and left lower: both lungs
    assert _sides(two_sides, "右肺上叶及左肺下叶炎性病变") == []
    assert _sides(two_sides, "右肺上叶炎性病变") == []  # that lobe is only on the right
    # A coarser both says nothing of one lobe: 双肺 markings, a right upper lobe nodule.
    assert _sides("双肺纹理增多，双肺多发小结节，右肺上叶为著。", "右肺上叶结节") == []
    # The other side is old: one side is right.
    assert _sides("右侧第5肋骨折。左侧第6肋陈旧性骨折。", "右侧第5肋骨折") == []
    # The impression names the other side elsewhere.
    assert _sides("Bilateral pleural effusions.",
                  "Small left effusion and moderate right pleural effusion.") == []


def test_one_side_said_of_a_place_the_findings_name_on_that_side_too_is_not_flagged() -> None:
    # A real chest CT (issue 15): bilateral ground glass, and one right upper lobe lesion the
    # draft names; omitting the ground glass is not a wrong side.
    findings = "双肺上叶见磨玻璃影，边缘不清；右肺上叶胸膜下见小圆形低密度影，边缘清楚。"
    assert _sides(findings, "右肺上叶胸膜下小圆形低密度影") == []
    assert _sides(findings, "左肺上叶胸膜下小圆形低密度影") == ["laterality:肺上叶:left"]


def test_an_english_lobe_and_a_base_on_opposite_sides_are_a_wrong_side() -> None:
    # Drafted by the default model from real OpenI findings (issue 15): the lobe was not
    # known as lung, so the left base passed against a right lower lobe.
    findings = ("Diffuse right lower lobe airspace opacity is present. There is no pleural "
                "effusion or pneumothorax. The heart and mediastinum are normal.")
    assert _sides(findings, "COPD with left base airspace opacity.") == [
        "laterality:airspace opacity:left"]
    assert _sides(findings, "Right basilar pneumonia.") == []


def test_a_lobe_the_findings_do_not_name_is_a_wrong_place() -> None:
    # Drafted by the default model from a real chest CT (issue 15): both lower lobes in the
    # findings, the left upper lobe in the draft.
    findings = "胸廓对称，双肺下叶见小片状磨玻璃影，边缘不清，叶段支气管通畅。"
    flags = [f for f in run_checks(findings, "左肺上叶炎性病变（符合病毒性肺炎）")
             if f.kind == LATERALITY]
    assert [f.key for f in flags] == ["laterality:肺上叶:left"]
    assert "双肺下叶 only" in flags[0].reason
    assert _sides(findings, "双肺下叶炎性病变（符合病毒性肺炎）") == []
    # The lung named without a lobe covers every lobe of that side.
    assert _sides("右肺见斑片影，右肺下叶见结节。", "右肺上叶炎症，右肺下叶结节") == []
    assert _sides("右肺中叶及左肺下叶见小结节影。", "右肺中叶及左肺下叶结节") == []


def test_a_lobe_named_the_short_way_is_that_lobe() -> None:
    # "左下肺炎症" is a starter impression (a chest film); copied by the default model onto
    # CT findings in the left upper lobe (bench/quality.py, cov_ctr without a corpus).
    findings = "胸廓对称，纵隔居中，左肺上叶见片状影，边缘模糊，双侧胸腔内未见异常密度影。"
    assert _sides(findings, "左下肺炎症，建议治疗后复查。") == ["laterality:肺下叶:left"]
    assert _sides(findings, "左上肺炎症。") == []
    assert _sides(findings, "右上肺炎症。") == ["laterality:肺上叶:right"]
    # A film's lower zone in the findings and the lower lung in the impression agree.
    assert _sides("左下肺野见斑片状模糊影，边缘不清。", "左下肺炎症。") == []


def test_a_finding_not_seen_on_earlier_exams_is_new_not_absent() -> None:
    from radval_desktop.safety.checks import mentions
    from radval_desktop.safety.terms import load_terms

    en, zh = load_terms().lexicons["en"], load_terms().lexicons["zh"]
    new = "There is a 6 mm nodule in the right upper lobe, not seen on prior exams."
    assert [m.negated for m in mentions(new, en)] == [False]
    assert [m.negated for m in mentions("A nodule not seen previously.", en)] == [False]
    assert [m.negated for m in mentions("Nodule, not seen on the prior study.", en)] == [False]
    assert [m.negated for m in mentions("Pneumothorax is not seen.", en)] == [True]
    assert [m.negated for m in mentions("右肺上叶结节前片未见。", zh)] == [False]
    assert [m.negated for m in mentions("右肺上叶结节未见。", zh)] == [True]
    # So an impression denying it is a flipped negation, as for any present finding.
    flags = run_checks(new, "No pulmonary nodule.", "en")
    assert NEGATION in _kinds(flags)


def test_still_absent_as_before_stays_negated() -> None:
    from radval_desktop.safety.checks import mentions
    from radval_desktop.safety.terms import load_terms

    en, zh = load_terms().lexicons["en"], load_terms().lexicons["zh"]
    assert [m.negated for m in mentions("Pneumothorax not seen, as before.", en)] == [True]
    assert [m.negated for m in mentions("胸腔积液较前已吸收。", zh)] == [True]


def test_a_heart_said_not_enlarged_and_drafted_as_cardiomegaly_is_a_negation_flip() -> None:
    # A real OpenI draft (issue 15's bench, 3 examples): "Cardiomegaly" over these findings
    # was only "unsupported", a warning, though the findings deny it in words.
    findings = ("The heart is not enlarged. The central pulmonary vasculature is not engorged. "
                "No pneumothorax or pleural effusion. Small right juxtahilar opacity may "
                "represent infiltrate. Lungs are otherwise well aerated.")
    for impression in ("Cardiomegaly", "The heart is enlarged.", "Mild cardiomegaly."):
        flags = run_checks(findings, impression, "en")
        assert [f.key for f in flags if f.kind == NEGATION] == ["negation:cardiomegaly"], \
            impression
    assert NEGATION not in _kinds(run_checks(findings, "No cardiomegaly.", "en"))
    # Chinese says it the same way: 心影不大 denies 心影增大.
    zh = run_checks("心影不大，双肺纹理清晰。", "心影增大", "zh")
    assert [f.key for f in zh if f.kind == NEGATION] == ["negation:cardiomegaly"]
