"""ROUGE throughput on ../shared/data: our `evaluation.rouge.score` against rouge-score.

Both count with the same tokenizer (rouge-score's own for English, jieba words or characters
for Chinese); "ours" adds language routing, the cached scorer and result objects. Prints
pairs/s and the ratio ours/theirs (goal: >= 1). Figures only, no assertion.

    python bench/rouge_speed.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rouge_score import rouge_scorer  # noqa: E402
from shared_data import SKIPPED, find_data_dir, load_pairs, use_bench_cache  # noqa: E402

from radval_desktop.evaluation import rouge  # noqa: E402


def _pairs_per_second(fn, pairs: list[tuple[str, str]], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for candidate, reference in pairs:
            fn(candidate, reference)
        best = min(best, time.perf_counter() - start)
    return len(pairs) / best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", help="folder of *.jsonl (default: ../shared/data)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N timings")
    args = parser.parse_args()
    data = find_data_dir(args.data)
    if data is None:
        print(SKIPPED)
        return 0
    use_bench_cache()
    print(f"{'file':<26} {'tokenization':<15} {'pairs':>6} {'ours/s':>9} {'theirs/s':>9} "
          f"{'ratio':>6}")
    for path in sorted(data.glob("*.jsonl")):
        all_pairs = load_pairs(path)
        # Each impression scored against the next one's: realistic, mostly different texts.
        pairs = [(a.impression, b.impression) for a, b in zip(all_pairs, all_pairs[1:],
                                                              strict=False)]
        language = all_pairs[0].language
        kinds = [rouge.ZH_JIEBA_WORD, rouge.ZH_CHAR] if language == "zh" else [
            rouge.EN_ROUGE_SCORE]
        for tokenization in kinds:
            rouge.score("预热", "预热", language, tokenization)  # jieba's dictionary load
            theirs = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"],
                                              tokenizer=rouge.tokenizer_for(tokenization))

            def ours(c: str, r: str, t: str = tokenization, lang: str = language) -> None:
                rouge.score(c, r, lang, t)

            def bare(c: str, r: str, s: rouge_scorer.RougeScorer = theirs) -> None:
                s.score(r, c)

            ours_rate = _pairs_per_second(ours, pairs, args.repeat)
            theirs_rate = _pairs_per_second(bare, pairs, args.repeat)
            print(f"{path.name:<26} {tokenization:<15} {len(pairs):>6} {ours_rate:>9.0f} "
                  f"{theirs_rate:>9.0f} {ours_rate / theirs_rate:>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
