"""Property tests: output guards and ROUGE, with simple slow oracles for the fast maths."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st
from property_text import ANY_TEXT, MIXED_TEXT, repeated_to
from rouge_score import rouge_scorer

from radval_desktop.engine.guards import find_loop, judge, strip_echo
from radval_desktop.evaluation import rouge
from radval_desktop.evaluation.rouge_math import lcs_length, rouge_l, rouge_n

# Few distinct tokens, so that random lists share subsequences and n-grams.
TOKENS = st.lists(st.sampled_from("abcdefg") | st.sampled_from(("肺", "结节", "lung", "a")),
                  max_size=70)


def dp_lcs(a: Sequence[str], b: Sequence[str]) -> int:
    """The textbook O(n·m) table: the oracle for the bit-parallel LCS."""
    row = [0] * (len(b) + 1)
    for x in a:
        previous_diagonal = 0
        for j, y in enumerate(b, 1):
            keep = row[j]
            row[j] = previous_diagonal + 1 if x == y else max(row[j], row[j - 1])
            previous_diagonal = keep
    return row[-1]


@settings(max_examples=300, deadline=2000)
@given(ANY_TEXT, ANY_TEXT)
def test_strip_echo_only_removes(text: str, findings: str) -> None:
    cleaned = strip_echo(text, findings)
    assert cleaned == cleaned.strip()
    assert len(cleaned) <= len(text)


@settings(max_examples=300, deadline=2000)
@given(ANY_TEXT)
def test_judge_gives_one_of_three_verdicts(text: str) -> None:
    verdict = judge(text)
    assert verdict.reason in ("", "empty", "repetition")
    assert verdict.ok == (verdict.reason == "")
    if verdict.ok:
        assert any(ch.isalnum() for ch in text)


@settings(max_examples=300, deadline=2000)
@given(ANY_TEXT)
def test_a_loop_found_is_really_in_the_text(text: str) -> None:
    loop = find_loop(text)
    if loop is not None:
        assert loop.repeats >= 3
        assert loop.unit.strip()
        assert text.startswith(loop.unit, loop.start)
        assert loop.describe()


@settings(max_examples=200, deadline=2000)
@given(st.text(st.characters(categories=["L", "N"]), min_size=8, max_size=80), MIXED_TEXT,
       st.integers(10, 30))
def test_a_sentence_repeated_ten_times_is_a_loop(unit: str, before: str, times: int) -> None:
    # What a stuck model writes: the guard must stop it whatever came first.
    assert find_loop(before + unit * times) is not None
    assert judge(before + unit * times).reason in ("repetition", "empty")


@settings(max_examples=10, deadline=3000)
@given(repeated_to(20_000))
def test_guards_on_a_runaway_output_finish(text: str) -> None:
    # 20,000 characters is several times what max_tokens lets a draft reach.
    assert judge(text).reason in ("", "empty", "repetition")
    assert len(strip_echo(text, text[:5000])) <= len(text)


@settings(max_examples=500, deadline=1000)
@given(TOKENS, TOKENS)
def test_bit_parallel_lcs_equals_the_dp_table(a: list[str], b: list[str]) -> None:
    assert lcs_length(a, b) == dp_lcs(a, b)
    assert lcs_length(a, b) == lcs_length(b, a)


@settings(max_examples=300, deadline=1000)
@given(TOKENS, TOKENS)
def test_rouge_maths_equals_rouge_score_on_the_same_tokens(cand: list[str], ref: list[str]
                                                           ) -> None:
    # rouge-score's own counting functions are the reference: ours must agree exactly.
    # rouge-score joins tokens with spaces to key its n-grams; our tokens have none.
    for n in (1, 2):
        want = rouge_scorer._score_ngrams(rouge_scorer._create_ngrams(ref, n),
                                          rouge_scorer._create_ngrams(cand, n))
        got = rouge_n(cand, ref, n)
        assert (got.precision, got.recall) == (want.precision, want.recall)
        assert abs(got.f1 - want.fmeasure) < 1e-12
    want_l = rouge_scorer._score_lcs(ref, cand)
    got_l = rouge_l(cand, ref)
    assert (got_l.precision, got_l.recall) == (want_l.precision, want_l.recall)
    assert abs(got_l.f1 - want_l.fmeasure) < 1e-12


@settings(max_examples=300, deadline=2000)
@given(ANY_TEXT, ANY_TEXT, st.sampled_from(rouge.TOKENIZATIONS))
def test_rouge_is_bounded_and_symmetric(a: str, b: str, tokenization: str) -> None:
    forward = rouge.score(a, b, tokenization=tokenization)
    backward = rouge.score(b, a, tokenization=tokenization)
    for name in rouge.ROUGE_TYPES:
        ab, ba = getattr(forward, name), getattr(backward, name)
        for value in (ab.precision, ab.recall, ab.f1):
            assert 0.0 <= value <= 1.0
        # Swapping candidate and reference swaps precision and recall; F1 stays.
        assert (ab.precision, ab.recall) == (ba.recall, ba.precision)
        assert abs(ab.f1 - ba.f1) < 1e-12


@settings(max_examples=300, deadline=2000)
@given(ANY_TEXT, st.sampled_from(rouge.TOKENIZATIONS))
def test_a_text_against_itself_scores_one(text: str, tokenization: str) -> None:
    tokens = rouge.tokenize(text, tokenization)
    result = rouge.score(text, text, tokenization=tokenization)
    assert result.rouge1.f1 == (1.0 if tokens else 0.0)
    assert result.rougeL.f1 == (1.0 if tokens else 0.0)
    assert result.rouge2.f1 == (1.0 if len(tokens) >= 2 else 0.0)
