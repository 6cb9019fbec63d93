"""Property tests: the safety checks on any findings and impression, in either language."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from property_text import ANY_TEXT, MIXED_TEXT, repeated_to

from radval_desktop.safety.checks import KINDS, Flag, Span, run_checks

LANGUAGES = st.sampled_from((None, "en", "zh"))
# Report words dominate: random characters alone would never raise a flag to look at.
TEXT = st.one_of(MIXED_TEXT, MIXED_TEXT, ANY_TEXT)
# Sides, places, findings and negations with nothing that ends a clause: a paste that is one
# clause from end to end, full of mentions (each of which used to look at the whole clause).
_RUN_ON = ("right", "left", "bilateral", "lung", "upper lobe", "nodule", "effusion", "mass",
           "pneumonia", "no", "not", "with", "右", "左", "双", "肺", "右肺上叶", "胸腔", "结节",
           "积液", "肺炎", "未见", "无", "见")
RUN_ON_PIECE = st.lists(st.sampled_from(_RUN_ON), min_size=3, max_size=8).map(" ".join)


def _assert_spans_inside(spans: tuple[Span, ...], text: str) -> None:
    for span in spans:
        assert 0 <= span.start < span.end <= len(text)
        assert text[span.start:span.end].strip()  # a highlight covers something visible


def _assert_well_formed(flags: list[Flag], findings: str, impression: str) -> None:
    assert [KINDS.index(f.kind) for f in flags] == sorted(KINDS.index(f.kind) for f in flags)
    for flag in flags:
        assert flag.key.startswith(flag.kind + ":")
        assert flag.reason.endswith(".")
        _assert_spans_inside(flag.findings_spans, findings)
        _assert_spans_inside(flag.impression_spans, impression)
        assert flag.findings_spans or flag.impression_spans


@settings(max_examples=800, deadline=2000)
@given(TEXT, TEXT, LANGUAGES)
def test_checks_never_crash_and_spans_index_the_texts(findings: str, impression: str,
                                                     language: str | None) -> None:
    flags = run_checks(findings, impression, language)
    _assert_well_formed(flags, findings, impression)
    assert flags == run_checks(findings, impression, language)  # same texts, same flags


@settings(max_examples=200, deadline=2000)
@given(TEXT, LANGUAGES)
def test_an_impression_that_repeats_the_findings_contradicts_nothing(
        text: str, language: str | None) -> None:
    kinds = {f.kind for f in run_checks(text, text, language)}
    assert not kinds & {"negation", "possibly_missed", "unsupported"}


def test_a_side_said_clear_in_both_texts_is_no_contradiction() -> None:
    text = "Right lung nodule. The left lung is clear."
    assert run_checks(text, text) == []
    assert run_checks("右肺结节，左肺清晰。", "右肺结节，左肺清晰。") == []


@settings(max_examples=10, deadline=10_000)
@given(repeated_to(20_000), TEXT, LANGUAGES)
def test_longest_accepted_findings_are_checked_in_bounded_time(
        findings: str, impression: str, language: str | None) -> None:
    # 20,000 characters is the most clean_findings accepts: the window checks after each
    # keystroke pause, so even a pasted worst case must finish (the deadline is the bound).
    _assert_well_formed(run_checks(findings, impression, language), findings, impression)


@pytest.mark.slow
@settings(max_examples=3, deadline=10_000)
@given(RUN_ON_PIECE, LANGUAGES)
def test_a_pasted_worklist_without_punctuation_is_checked_in_linear_time(
        piece: str, language: str | None) -> None:
    # The window re-checks the findings box (any length: it is checked before the draft
    # refuses it) after each pause in typing, on the GUI thread. One 100,000-character clause
    # in both boxes took 28-73 s here before clauses were cut into pieces and laterality
    # stopped comparing every side mention with every other; now about a second.
    text = (piece + " ") * (100_000 // (len(piece) + 1))
    _assert_well_formed(run_checks(text, text, language), text, text)
