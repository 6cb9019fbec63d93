"""bench/finetune_real.py's data pieces (issue 16, item 6), on made-up pairs (the suite runs
where ../shared/data does not): training pairs come only from a file's corpus part, never a
test case; normal impressions are capped; the split is bench/quality.py's, seeded."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

from finetune_real import balanced, split_file, training_pairs, upsampled  # noqa: E402
from quality import split  # noqa: E402
from shared_data import Pair  # noqa: E402

NORMAL = "No acute cardiopulmonary abnormality."


def _pairs(n: int, normal_every: int, name: str = "openi") -> list[Pair]:
    """``n`` pairs, every ``normal_every``-th but one abnormal: mostly normal when 1 < it."""
    return [Pair(id=f"{name}-{i:05d}", file=f"{name}.jsonl", findings=f"Case {i}.",
                 impression=("Right lower lobe pneumonia." if i % normal_every == 0 else NORMAL),
                 language="en", modality="XR", body_system="chest") for i in range(n)]


def test_a_large_file_uses_quality_py_split_and_trains_on_its_corpus_only() -> None:
    pairs = _pairs(400, 3)
    s = split_file(pairs, "openi", 20)
    test, corpus = split(pairs, 20)
    assert [p.id for p in s.test] == [p.id for p in test]  # the same seeded test part
    assert [p.id for p in s.corpus] == [p.id for p in corpus]
    chosen = training_pairs([s], 100, 0.5)["openi"]
    assert len(chosen) == 100
    assert not {p.id for p in chosen} & {p.id for p in s.test}


def test_a_small_file_gets_a_disjoint_test_part() -> None:
    pairs = _pairs(73, 2, "cov")  # quality.py tests a file this small whole
    whole, _ = split(pairs, 20)
    assert len(whole) == 73
    s = split_file(pairs, "cov", 20)
    assert len(s.test) == 20
    assert len(s.corpus) == 53
    assert not {p.id for p in s.corpus} & {p.id for p in s.test}
    assert split_file(pairs, "cov", 100).test.__len__() == 36  # at most half the file


def test_normal_impressions_are_capped_and_abnormal_ones_kept() -> None:
    pairs = _pairs(300, 4)  # 75 abnormal, 225 normal
    chosen = balanced(pairs, 100, 0.5, seed=7)
    normal = [p for p in chosen if p.impression == NORMAL]
    assert len(chosen) == 100
    assert len(normal) == 50  # not the 75 a plain sample would take
    assert balanced(pairs, 100, 0.5, seed=7) == chosen  # seeded
    few = balanced(_pairs(300, 30), 100, 0.5, seed=7)  # only 10 abnormal pairs
    assert sum(p.impression != NORMAL for p in few) == 10
    assert sum(p.impression == NORMAL for p in few) == 50


def test_a_small_file_is_trained_on_whole_and_repeated_under_its_own_ids() -> None:
    big = split_file(_pairs(2000, 3), "openi", 100)
    small = split_file(_pairs(73, 1, "cov"), "cov", 100)  # all abnormal; 37 corpus pairs
    chosen = training_pairs([big, small], 1600, 0.5)
    # Its share of 1,600 by size would be 30 of its 37 pairs.
    assert sorted(p.id for p in chosen["cov"]) == sorted(p.id for p in small.corpus)
    up = upsampled(chosen, {"cov": 4})
    assert len(up["cov"]) == 148
    assert len({p.id for p in up["cov"]}) == 148  # each copy its own id
    assert {p.id.split("#")[0] for p in up["cov"]} == {p.id for p in small.corpus}
    assert sorted(p.id for p in up["openi"]) == sorted(p.id for p in chosen["openi"])  # once


def test_abnormal_pairs_are_repeated_and_normal_ones_are_not() -> None:
    s = split_file(_pairs(400, 3), "openi", 20)
    chosen = training_pairs([s], 100, 0.5)
    up = upsampled(chosen, {}, abnormal_repeats=2)["openi"]
    abnormal = [p for p in chosen["openi"] if p.impression != NORMAL]
    assert len(up) == len(chosen["openi"]) + len(abnormal)
    assert len({p.id for p in up}) == len(up)  # each copy its own id
    assert sum(p.impression != NORMAL for p in up) == 2 * len(abnormal)
    assert sum(p.impression == NORMAL for p in up) == len(chosen["openi"]) - len(abnormal)
