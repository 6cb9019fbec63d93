"""ROUGE-N and ROUGE-L counted as rouge-score counts them, with a bit-parallel LCS."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from radval_desktop.words import lcs_length

__all__ = ["PRF", "lcs_length", "rouge_l", "rouge_n"]


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


def rouge_l(candidate: Sequence[str], reference: Sequence[str]) -> PRF:
    if not candidate or not reference:
        return PRF(0.0, 0.0, 0.0)
    lcs = lcs_length(reference, candidate)
    return _prf(lcs, len(candidate), len(reference))
