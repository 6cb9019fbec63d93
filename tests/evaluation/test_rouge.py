"""ROUGE: English identical to rouge-score, Chinese by jieba words and by characters."""

from __future__ import annotations

from pathlib import Path

import pytest
from rouge_score import rouge_scorer

from radval_desktop import paths
from radval_desktop.evaluation import rouge
from radval_desktop.words import USER_DICT_NAME

EN_PAIRS = [
    ("No acute cardiopulmonary abnormality.", "No acute cardiopulmonary disease."),
    ("Cardiomegaly with small bilateral pleural effusions.",
     "1. Stable cardiomegaly. 2. Small bilateral pleural effusions, unchanged."),
    ("Right lower lobe pneumonia.", "Findings concerning for right lower lobe pneumonia."),
    ("Glioblastoma multiforme of the left temporal lobe",
     "Left temporal lobe mass, likely high-grade glioma; enhancing, with surrounding edema."),
    ("the cat was found under the bed", "the cat was under the bed"),
    ("Degenerative changes of the thoracic spine.", "No acute osseous abnormality."),
]


@pytest.mark.parametrize("use_stemmer", [False, True])
@pytest.mark.parametrize(("candidate", "reference"), EN_PAIRS)
def test_english_equals_rouge_score(candidate: str, reference: str, use_stemmer: bool) -> None:
    expected = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=use_stemmer)
    want = expected.score(reference, candidate)  # rouge-score takes (target, prediction)
    got = rouge.score(candidate, reference, use_stemmer=use_stemmer)
    assert got.tokenization == rouge.EN_ROUGE_SCORE
    for name in ("rouge1", "rouge2", "rougeL"):
        ours = getattr(got, name)
        assert ours.precision == pytest.approx(want[name].precision, abs=1e-6)
        assert ours.recall == pytest.approx(want[name].recall, abs=1e-6)
        assert ours.f1 == pytest.approx(want[name].fmeasure, abs=1e-6)


def test_rouge_score_known_value_holds() -> None:
    # rouge-score's own test: "testing one two" vs "testing".
    got = rouge.score("testing", "testing one two")
    assert (got.rouge1.precision, got.rouge1.recall, got.rouge1.f1) == pytest.approx(
        (1.0, 1 / 3, 1 / 2))


def test_chinese_word_level_hand_computed() -> None:
    # jieba + our dictionary: [右肺上叶, 炎性病变] vs [右肺上叶, 炎性病变, 符合, 病毒性肺炎]
    got = rouge.score("右肺上叶炎性病变", "右肺上叶炎性病变（符合病毒性肺炎）")
    assert got.tokenization == rouge.ZH_JIEBA_WORD
    assert got.language == "zh"
    assert (got.rouge1.precision, got.rouge1.recall, got.rouge1.f1) == pytest.approx(
        (1.0, 0.5, 2 / 3))
    assert (got.rouge2.precision, got.rouge2.recall, got.rouge2.f1) == pytest.approx(
        (1.0, 1 / 3, 0.5))
    assert got.rougeL.f1 == pytest.approx(2 / 3)


def test_chinese_char_level_hand_computed() -> None:
    # 8 characters, all in the 15 of the reference, in order; 7 bigrams of its 14.
    got = rouge.score("右肺上叶炎性病变", "右肺上叶炎性病变（符合病毒性肺炎）",
                      tokenization=rouge.ZH_CHAR)
    assert got.tokenization == rouge.ZH_CHAR
    assert (got.rouge1.precision, got.rouge1.recall, got.rouge1.f1) == pytest.approx(
        (1.0, 8 / 15, 16 / 23))
    assert got.rouge2.f1 == pytest.approx(2 / 3)
    assert got.rougeL.f1 == pytest.approx(16 / 23)


def test_char_and_word_level_differ_on_wrong_side() -> None:
    # One character (左/右) changes a whole word but only one of eight characters.
    word = rouge.score("左肺下叶磨玻璃影", "右肺下叶磨玻璃影")
    char = rouge.score("左肺下叶磨玻璃影", "右肺下叶磨玻璃影", tokenization=rouge.ZH_CHAR)
    assert (word.rouge1.f1, word.rouge2.f1, word.rougeL.f1) == pytest.approx((0.5, 0.0, 0.5))
    assert (char.rouge1.f1, char.rouge2.f1, char.rougeL.f1) == pytest.approx((7 / 8, 6 / 7, 7 / 8))


@pytest.mark.parametrize("tokenization", [rouge.ZH_JIEBA_WORD, rouge.ZH_CHAR])
def test_identical_chinese_scores_one(tokenization: str) -> None:
    text = "双肺多发磨玻璃影，考虑病毒性肺炎，建议治疗后复查。"
    got = rouge.score(text, text, tokenization=tokenization)
    assert (got.rouge1.f1, got.rouge2.f1, got.rougeL.f1) == (1.0, 1.0, 1.0)


def test_disjoint_chinese_scores_zero() -> None:
    got = rouge.score("肝囊肿", "双肺未见异常")
    assert (got.rouge1.f1, got.rouge2.f1, got.rougeL.f1) == (0.0, 0.0, 0.0)


@pytest.mark.parametrize(("candidate", "reference"), [
    ("", "双肺炎性病变"), ("双肺炎性病变", ""), ("", ""), ("。，！", "双肺炎性病变"),
    ("", "No acute disease."), ("...", "No acute disease."), ("   ", "   "),
])
@pytest.mark.parametrize("tokenization", [None, *rouge.TOKENIZATIONS])
def test_empty_or_punctuation_scores_zero(candidate: str, reference: str,
                                          tokenization: str | None) -> None:
    got = rouge.score(candidate, reference, tokenization=tokenization)
    for part in (got.rouge1, got.rouge2, got.rougeL):
        assert (part.precision, part.recall, part.f1) == (0.0, 0.0, 0.0)


def test_language_follows_the_reference_unless_given() -> None:
    assert rouge.score("garbage", "右肺上叶炎性病变").tokenization == rouge.ZH_JIEBA_WORD
    assert rouge.score("右肺", "No acute disease.").tokenization == rouge.EN_ROUGE_SCORE
    assert rouge.score("右肺", "右肺", language="en").tokenization == rouge.EN_ROUGE_SCORE


def test_user_dictionary_keeps_radiology_terms_whole() -> None:
    words = rouge.tokenize("右肺上叶胸膜下见磨玻璃影，双侧胸腔积液，纵隔淋巴结肿大，左肺结节。",
                           rouge.ZH_JIEBA_WORD)
    for term in ("磨玻璃影", "胸腔积液", "纵隔淋巴结", "胸膜下"):
        assert term in words
    assert "磨玻璃" not in words
    assert "玻璃" not in words


def test_every_dictionary_term_is_one_token() -> None:
    terms = (paths.resources_dir() / USER_DICT_NAME).read_text(encoding="utf-8").split()
    assert len(terms) >= 100
    split = [t for t in terms if rouge.tokenize(t, rouge.ZH_JIEBA_WORD) != [t.lower()]]
    assert not split


def test_jieba_cache_goes_to_our_cache_dir(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RADVAL_CACHE", str(tmp_path / "cache"))
    from radval_desktop.words import load_jieba, words

    assert words("磨玻璃影", load_jieba()) == ["磨玻璃影"]
    assert (paths.cache_dir() / "jieba.cache").is_file()


def test_unknown_tokenization_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown tokenization"):
        rouge.score("a", "a", tokenization="zh-pinyin")


def test_bit_parallel_lcs_equals_rouge_scores_table() -> None:
    import random

    from rouge_score.rouge_scorer import _lcs_table

    from radval_desktop.evaluation.rouge_math import lcs_length

    rng = random.Random(7)
    for _ in range(300):
        a = [rng.choice("abcde") for _ in range(rng.randint(0, 70))]
        b = [rng.choice("abcde") for _ in range(rng.randint(0, 70))]
        expected = _lcs_table(a, b)[-1][-1] if a and b else 0
        assert lcs_length(a, b) == expected
