"""ROUGE-N and ROUGE-L counted as rouge-score counts them, with a bit-parallel LCS."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float
    f1: float


def _prf(overlap: int, candidate_total: int, reference_total: int) -> PRF:
    # rouge-score: precision = overlap / max(pred, 1), recall = overlap / max(target, 1).
    precision = overlap / max(candidate_total, 1)
    recall = overlap / max(reference_total, 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return PRF(precision, recall, f1)


def _ngrams(tokens: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def rouge_n(candidate: Sequence[str], reference: Sequence[str], n: int) -> PRF:
    cand, ref = _ngrams(candidate, n), _ngrams(reference, n)
    overlap = sum(min(count, cand[gram]) for gram, count in ref.items())
    return _prf(overlap, sum(cand.values()), sum(ref.values()))


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence, one machine word op per token of ``b``.

    Hyyrö's bit-vector algorithm: rouge-score's O(n·m) Python table is the slow part of a
    report over thousands of pairs; this gives the same number with big-int arithmetic.
    """
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for index, token in enumerate(a):
        masks[token] = masks.get(token, 0) | (1 << index)
    full = (1 << len(a)) - 1
    v = full
    for token in b:
        u = v & masks.get(token, 0)
        v = ((v + u) | (v - u)) & full
    return len(a) - v.bit_count()


def rouge_l(candidate: Sequence[str], reference: Sequence[str]) -> PRF:
    if not candidate or not reference:
        return PRF(0.0, 0.0, 0.0)
    lcs = lcs_length(reference, candidate)
    return _prf(lcs, len(candidate), len(reference))
