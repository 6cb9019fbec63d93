from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from radval_desktop.drafting import STARTER, DraftRequest, find_examples
from radval_desktop.errors import RadvalError
from radval_desktop.prompts import BODY_SYSTEMS, LANGUAGES, MODALITIES, Case, Example
from radval_desktop.safety.checks import LATERALITY, NEGATION, run_checks
from radval_desktop.starter_examples import (
    StarterExample,
    bundled_starter_examples,
    load_starter_examples,
    pick_starter_examples,
)

VERSION, EXAMPLES = bundled_starter_examples()
BY_TEXT = {(e.findings, e.impression): e for e in EXAMPLES}

# Written for these tests, not copied from any example in the file.
ZH_RUL_GGO = ("胸廓对称，纵隔居中。右肺上叶前段见片状磨玻璃密度影，边界模糊，其内见增粗血管影。"
              "余肺未见异常。双侧胸腔未见积液。")
EN_HEAD_MRI = ("Focus of restricted diffusion in the right occipital cortex with FLAIR "
               "hyperintensity. No hemorrhage. The ventricles are normal in size.")


def _source(example: Example) -> StarterExample:
    return BY_TEXT[(example.findings, example.impression)]


def _ids(picked: list[Example]) -> list[str]:
    return [_source(e).id for e in picked]


def test_every_language_and_system_has_four_examples_and_a_normal_one() -> None:
    assert isinstance(VERSION, str)
    assert VERSION
    counts = Counter((e.language, e.body_system) for e in EXAMPLES)
    normals = {(e.language, e.body_system) for e in EXAMPLES if e.normal}
    for language in LANGUAGES:
        for system in BODY_SYSTEMS:
            assert counts[language, system] >= 4, (language, system)
            assert (language, system) in normals, (language, system)
    assert len(EXAMPLES) >= 40


def test_ids_are_unique_and_fields_are_known_values() -> None:
    ids = [e.id for e in EXAMPLES]
    assert len(ids) == len(set(ids))
    for e in EXAMPLES:
        assert e.language in LANGUAGES
        assert e.body_system in BODY_SYSTEMS
        assert e.modality in MODALITIES


@pytest.mark.parametrize("language", LANGUAGES)
def test_chest_has_both_radiographs_and_ct(language: str) -> None:
    modalities = {e.modality for e in EXAMPLES
                  if e.language == language and e.body_system == "chest"}
    assert {"CT", "XR"} <= modalities


def test_chinese_examples_are_written_in_chinese() -> None:
    for e in EXAMPLES:
        has_cjk = bool(re.search(r"[\u4e00-\u9fff]", e.findings + e.impression))
        assert has_cjk == (e.language == "zh"), e.id


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_safety_checks_find_no_side_or_negation_contradiction(example: StarterExample) -> None:
    flags = run_checks(example.findings, example.impression, example.language)
    wrong = [f.reason for f in flags if f.kind in (LATERALITY, NEGATION)]
    assert not wrong


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_impression_concludes_instead_of_restating(example: StarterExample) -> None:
    assert len(example.impression) < len(example.findings) / 2
    for line in example.impression.splitlines():
        line = line.strip().rstrip("。.;；")
        if len(line) >= 12:
            assert line not in example.findings


def test_normal_studies_say_so_and_sides_vary() -> None:
    for e in EXAMPLES:
        if e.normal:
            assert re.search(r"未见明显(异常|活动性病变)|[Nn]ormal|[Nn]o acute", e.impression), e.id
    for language, (left, right) in {"zh": ("左", "右"), "en": ("left", "right")}.items():
        impressions = [e.impression.lower() for e in EXAMPLES if e.language == language]
        assert sum(left in i for i in impressions) >= 5
        assert sum(right in i for i in impressions) >= 5


def test_chinese_ground_glass_picks_pneumonia_first_and_a_normal_study() -> None:
    picked = pick_starter_examples(ZH_RUL_GGO, "胸部", "zh", "CT")
    sources = [_source(e) for e in picked]
    assert len(picked) == 3
    assert all(s.language == "zh" and s.body_system == "chest" for s in sources)
    assert sources[0].id == "zh-chest-ct-pneumonia-right"
    assert any(s.normal for s in sources)


def test_picking_is_deterministic() -> None:
    first = pick_starter_examples(ZH_RUL_GGO, "chest", "zh", "CT")
    assert pick_starter_examples(ZH_RUL_GGO, "chest", "zh", "CT") == first
    assert pick_starter_examples(ZH_RUL_GGO, "chest", "zh", "CT",
                                 examples=tuple(reversed(EXAMPLES))) == first


def test_english_head_mri_picks_english_head_examples() -> None:
    picked = pick_starter_examples(EN_HEAD_MRI, "brain", "en", "MR")
    sources = [_source(e) for e in picked]
    assert len(sources) == 3
    assert all(s.language == "en" and s.body_system == "head" for s in sources)
    assert sources[0].id == "en-head-mri-infarct-left"
    assert any(s.normal for s in sources)


@pytest.mark.parametrize(("language", "findings"), [
    # The default model copied "Normal CT of the chest." onto chest films (bench/quality.py,
    # OpenI, no corpus): a CT example that shares more words won over the radiographs.
    ("en", "The heart is normal in size. The mediastinum is unremarkable. The lungs are clear."),
    ("zh", "胸廓对称，纵隔居中，双肺纹理清晰，心影不大，双膈面光整。"),
])
def test_a_radiograph_is_shown_radiograph_examples_first(language: str, findings: str) -> None:
    picked = [_source(e) for e in pick_starter_examples(findings, "chest", language, "XR")]
    assert [s.modality for s in picked] == ["XR"] * 3
    assert any(s.normal for s in picked)
    ct = [_source(e) for e in pick_starter_examples(findings, "chest", language, "CT")]
    assert [s.modality for s in ct] == ["CT"] * 3


def test_same_modality_breaks_a_tie_then_the_id() -> None:
    pool = [StarterExample("c", "en", "chest", "CT", "Clear lungs.", "From c."),
            StarterExample("b", "en", "chest", "XR", "Clear lungs.", "From b."),
            StarterExample("a", "en", "chest", "CT", "Clear lungs.", "From a.")]
    picked = pick_starter_examples("Clear lungs.", "chest", "en", "X-ray", examples=pool)
    assert [e.impression for e in picked] == ["From b.", "From a.", "From c."]
    picked = pick_starter_examples("Clear lungs.", "chest", "en", examples=pool)
    assert [e.impression for e in picked] == ["From a.", "From b.", "From c."]


def test_a_normal_study_takes_the_last_place_when_none_ranks_in() -> None:
    pool = [StarterExample("a", "en", "head", "CT", "Left frontal hematoma.", "Bleed A."),
            StarterExample("b", "en", "head", "CT", "Right frontal hematoma.", "Bleed B."),
            StarterExample("c", "en", "head", "CT", "Frontal hematoma, small.", "Bleed C."),
            StarterExample("d", "en", "head", "CT", "Parietal hematoma.", "Bleed D."),
            StarterExample("n", "en", "head", "CT", "Brain unremarkable.", "Normal.", True)]
    picked = pick_starter_examples("Left frontal hematoma.", "head", "en", examples=pool)
    assert [e.impression for e in picked] == ["Bleed A.", "Bleed B.", "Normal."]
    picked = pick_starter_examples("Left frontal hematoma.", "head", "en", k=1, examples=pool)
    assert [e.impression for e in picked] == ["Bleed A."]
    no_normal = pool[:4]
    picked = pick_starter_examples("Left frontal hematoma.", "head", "en", examples=no_normal)
    assert [e.impression for e in picked] == ["Bleed A.", "Bleed B.", "Bleed C."]


def test_k_one_takes_the_most_similar_even_when_abnormal() -> None:
    picked = pick_starter_examples(ZH_RUL_GGO, "chest", "zh", "CT", k=1)
    assert _ids(picked) == ["zh-chest-ct-pneumonia-right"]


def test_a_system_without_examples_falls_back_to_the_language() -> None:
    only_chest = [e for e in EXAMPLES if e.body_system == "chest"]
    picked = pick_starter_examples(EN_HEAD_MRI, "head", "en", examples=only_chest)
    assert len(picked) == 3
    assert all(_source(e).language == "en" for e in picked)
    assert pick_starter_examples(EN_HEAD_MRI, "head", "fr") == []


def test_unknown_body_system_is_refused() -> None:
    with pytest.raises(RadvalError, match="body system"):
        pick_starter_examples(ZH_RUL_GGO, "elbow-and-toes", "zh")


def test_broken_file_names_itself(tmp_path: Path) -> None:
    broken = tmp_path / "starter.toml"
    broken.write_text('version = "1"\n[[example]\nid = ', encoding="utf-8")
    with pytest.raises(RadvalError, match=re.escape(str(broken))):
        load_starter_examples(broken)


@pytest.mark.parametrize("entry", [
    'id = "x"\nlanguage = "fr"\nbody_system = "chest"\nmodality = "CT"\n'
    'findings = "a"\nimpression = "b"',
    'id = "x"\nlanguage = "en"\nbody_system = "elbow"\nmodality = "CT"\n'
    'findings = "a"\nimpression = "b"',
    'id = "x"\nlanguage = "en"\nbody_system = "chest"\nmodality = "CT"\nfindings = "a"',
    'id = "x"\nlanguage = "en"\nbody_system = "chest"\nmodality = "CT"\n'
    'findings = ""\nimpression = "b"',
])
def test_a_bad_entry_names_the_file(tmp_path: Path, entry: str) -> None:
    path = tmp_path / "starter.toml"
    path.write_text(f'version = "1"\n[[example]]\n{entry}\n', encoding="utf-8")
    with pytest.raises(RadvalError, match=re.escape(str(path))):
        load_starter_examples(path)


def test_repeated_ids_are_refused(tmp_path: Path) -> None:
    entry = ('[[example]]\nid = "x"\nlanguage = "en"\nbody_system = "chest"\n'
             'modality = "CT"\nfindings = "a"\nimpression = "b"\n')
    path = tmp_path / "starter.toml"
    path.write_text('version = "1"\n' + entry + entry, encoding="utf-8")
    with pytest.raises(RadvalError, match="repeated ids x"):
        load_starter_examples(path)


def test_a_missing_file_names_itself(tmp_path: Path) -> None:
    with pytest.raises(RadvalError, match="missing.toml"):
        load_starter_examples(tmp_path / "missing.toml")


# Written for these tests: a normal chest film, and one with a left-sided finding.
EN_NORMAL_FILM = ("Cardiomediastinal silhouette is within normal limits. The lungs are clear. "
                  "No pneumothorax or pleural effusion. No acute osseous findings.")
EN_LEFT_EFFUSION = ("The heart is normal in size. Small left pleural effusion with blunting of "
                    "the left costophrenic angle. The right lung is clear.")
EN_CARDIOMEGALY = ("The heart is moderately enlarged. The lungs are clear. No pleural effusion "
                   "or pneumothorax.")
ZH_NORMAL_CT = ("胸廓对称，气管居中。双肺纹理清晰，未见实变及结节。纵隔未见肿大淋巴结。"
                "心影大小正常。双侧胸腔未见积液。")
# Flags that mean the case's findings go against a starter's conclusion ("possibly missed"
# is left out: a one-line starter leaves most of any case's findings unsaid).
AGAINST = ("laterality", "negation", "called_normal", "called_abnormal", "unsupported")


def _against(findings: str, language: str, example: Example) -> list[str]:
    return [f.kind for f in run_checks(findings, example.impression, language, kinds=AGAINST)]


@pytest.mark.parametrize(("findings", "modality", "language"), [
    (EN_NORMAL_FILM, "XR", "en"), (ZH_NORMAL_CT, "CT", "zh")])
def test_a_normal_study_is_shown_no_starter_that_names_a_disease(
        findings: str, modality: str, language: str) -> None:
    """A small model copies an example's impression: "Cardiomegaly without acute
    cardiopulmonary abnormality." was drafted over normal OpenI films because that starter
    was among the three shown (no corpus)."""
    case = Case(findings, "chest", modality, language)
    examples, source = find_examples(DraftRequest(findings, "chest", modality, language),
                                     case, None, None)
    assert source == STARTER
    assert len(examples) == 3
    assert [(e.impression, _against(findings, language, e)) for e in examples
            if _against(findings, language, e)] == []


@pytest.mark.parametrize(("findings", "modality", "language"), [
    (EN_NORMAL_FILM, "XR", "en"), (EN_LEFT_EFFUSION, "XR", "en"), (ZH_NORMAL_CT, "CT", "zh"),
    (ZH_RUL_GGO, "CT", "zh"), (EN_CARDIOMEGALY, "XR", "en")])
def test_a_starter_the_findings_go_against_is_shown_only_when_no_other_is_left(
        findings: str, modality: str, language: str) -> None:
    """Contradicted starters rank after every other of the language and system (the one
    normal study shown on every case aside: it teaches that an impression may say normal)."""
    case = Case(findings, "chest", modality, language)
    examples, _source_kind = find_examples(
        DraftRequest(findings, "chest", modality, language), case, None, None)
    shown = {(e.findings, e.impression) for e in examples}
    left_out = [e for e in EXAMPLES if e.language == language and e.body_system == "chest"
                and (e.findings, e.impression) not in shown]
    contradicted = [e for e in examples if _against(findings, language, e)
                    and not _source(e).normal]
    if contradicted:
        assert all(_against(findings, language, Example(e.findings, e.impression))
                   for e in left_out), [e.id for e in left_out]


def test_an_enlarged_heart_is_shown_the_cardiomegaly_starter_nearest_the_case() -> None:
    """A starter that states what the findings describe ranks first and is shown last,
    where a small model looks."""
    case = Case(EN_CARDIOMEGALY, "chest", "XR", "en")
    examples, _source_kind = find_examples(
        DraftRequest(EN_CARDIOMEGALY, "chest", "XR", "en"), case, None, None)
    assert _source(examples[-1]).id == "en-chest-xr-cardiomegaly"
    assert any(_source(e).normal for e in examples)
