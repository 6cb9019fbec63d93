"""ROUGE-L of the default model with and without k retrieved examples, leave-one-out per file.

For each ../shared/data file a seeded sample is drafted twice: plain, and with the k most
similar pairs of the same file (the stand-in for the institution) as examples; the corpus
holds the file's other pairs only (the drafted pair's findings are excluded: no leakage).
Prints mean ROUGE-L F1 and time per impression; asserts nothing.

    python bench/retrieval_quality.py [--n 15] [--k 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared_data import SKIPPED, find_data_dir, load_engine, load_pairs, sample  # noqa: E402

from radval_desktop.drafting import DraftRequest, draft  # noqa: E402
from radval_desktop.errors import InputError  # noqa: E402
from radval_desktop.evaluation.rouge import score  # noqa: E402
from radval_desktop.safety.retrieval import ExampleCorpus, Pair  # noqa: E402
from radval_desktop.store.database import open_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", help="folder of *.jsonl (default: ../shared/data)")
    parser.add_argument("--n", type=int, default=15, help="drafted pairs per file")
    parser.add_argument("--k", type=int, default=3, help="examples per prompt")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--model", help="GGUF (default: the embedded default model)")
    args = parser.parse_args()
    data = find_data_dir(args.data)
    if data is None:
        print(SKIPPED)
        return 0
    engine = load_engine(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        for number, path in enumerate(sorted(data.glob("*.jsonl"))):
            pairs = load_pairs(path)
            corpus = ExampleCorpus(open_database(Path(tmp) / f"corpus{number}.db"))
            corpus.add_many(Pair(p.findings, p.impression, p.body_system, p.modality,
                                 p.language, path.stem, path.name) for p in pairs)
            figures: dict[int, tuple[list[float], list[float]]] = {0: ([], []), args.k: ([], [])}
            for pair in sample(pairs, args.n, args.seed):
                examples = corpus.similar(pair.findings, pair.body_system, args.k, path.stem,
                                          exclude_findings=pair.findings)
                for k, shown in ((0, ()), (args.k, tuple(examples))):
                    request = DraftRequest(pair.findings, pair.body_system, pair.modality,
                                           pair.language, examples=shown)
                    started = time.perf_counter()
                    try:
                        result = draft(engine, request)
                    except InputError as err:
                        print(f"  {pair.id}: refused: {err}")
                        continue
                    figures[k][1].append(time.perf_counter() - started)
                    figures[k][0].append(score(result.text, pair.impression,
                                               pair.language).rougeL.f1)
                    print(f"  {pair.id[:40]:<40} k={k} R-L {figures[k][0][-1]:.3f} "
                          f"{figures[k][1][-1]:.1f} s", file=sys.stderr, flush=True)
            for k, (rouge_l, seconds) in figures.items():
                label = f"k={k}" if k else "no examples"
                print(f"{path.name:<28} {label:<12} n={len(rouge_l):<3} "
                      f"ROUGE-L {statistics.mean(rouge_l):.4f}  "
                      f"{statistics.mean(seconds):.2f} s/impression", flush=True)
    engine.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
