"""Algorithm 1's text cleaning, one rule at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from training.cleaning import (
    REPEAT_REMOVED,
    TERMS_REMOVED,
    TITLE_REMOVED,
    TermCorpus,
    clean_text,
    drop_repeated_sentences,
    strip_titles,
)
from training.errors import TrainingError


@pytest.fixture(scope="module")
def corpus() -> TermCorpus:
    return TermCorpus.load()


def test_titles_are_removed_only_at_the_start_and_with_a_colon() -> None:
    assert strip_titles("检查所见：检查所见：双肺清晰。") == "双肺清晰。"
    assert strip_titles("【诊断意见】：肺炎") == "肺炎"
    assert strip_titles("IMPRESSION: No acute findings.") == "No acute findings."
    assert strip_titles("所见双肺清晰。") == "所见双肺清晰。"
    assert strip_titles("Small findings: none") == "Small findings: none"


def test_repeated_sentences_keep_the_first() -> None:
    text = "肝脏大小正常。脾不大。肝脏大小正常。"
    assert drop_repeated_sentences(text) == "肝脏大小正常。脾不大。"
    text = "No effusion. Lesion 3.5 cm. No effusion."
    assert drop_repeated_sentences(text) == "No effusion. Lesion 3.5 cm."
    assert drop_repeated_sentences("A 3.5 cm lesion.") == "A 3.5 cm lesion."


def test_non_essential_terms_go_and_the_punctuation_is_mended(corpus: TermCorpus) -> None:
    cleaned = clean_text("右肺结节，请结合临床。", corpus)
    assert cleaned.text == "右肺结节。"
    assert cleaned.changes == {TERMS_REMOVED}
    cleaned = clean_text("Right lower lobe pneumonia. Please correlate clinically.", corpus)
    assert cleaned.text == "Right lower lobe pneumonia."
    # The longer phrase goes whole rather than leaving its tail.
    assert clean_text("左肾结石，请结合临床及其他检查。", corpus).text == "左肾结石。"
    assert clean_text("报告日期：2023-05-01 肝囊肿。", corpus).text == "肝囊肿。"


def test_an_untouched_field_reports_no_change(corpus: TermCorpus) -> None:
    cleaned = clean_text("  双肺纹理清晰。 ", corpus)
    assert cleaned.text == "双肺纹理清晰。"
    assert not cleaned.changes


def test_changes_are_named(corpus: TermCorpus) -> None:
    cleaned = clean_text("诊断意见：肺炎。肺炎。请结合临床。", corpus)
    assert cleaned.text == "肺炎。"
    assert cleaned.changes == {TITLE_REMOVED, REPEAT_REMOVED, TERMS_REMOVED}
    assert clean_text("请结合临床。", corpus).text == ""


def test_the_corpus_is_an_editable_file(tmp_path: Path) -> None:
    terms = tmp_path / "terms.txt"
    terms.write_text("# ours\n随访复查\nre:\\(ID \\d+\\)\n", encoding="utf-8")
    corpus = TermCorpus.load(terms)
    assert clean_text("胆囊息肉 (ID 42)，随访复查。", corpus).text == "胆囊息肉。"
    terms.write_text("re:(unclosed\n", encoding="utf-8")
    with pytest.raises(TrainingError, match="line 1: not a regular expression"):
        TermCorpus.load(terms)
