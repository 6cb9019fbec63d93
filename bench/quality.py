"""Draft quality of a model on ../shared/data: R-1/R-2/L per file, with and without examples.

A fixed, seeded sample per file (each file stands in for one institution) is held out and
drafted with the product's defaults (template, greedy sampling, guards); the paper's tables
are printed for it. With ``--examples K`` (default 3; 0 skips) the same held-out sample is
drafted a second time with the K most similar pairs as retrieved examples (issue 8). The
corpus holds only the file's other pairs: the held-out pairs are never in it, and neither
is any pair whose findings are a near-duplicate of a held-out pair's (word Jaccard >= 0.9:
templated reports repeat almost verbatim, and that would be leakage by another name).
Prints ROUGE-L and time per impression for both; asserts nothing.

    python bench/quality.py [--n 30] [--examples 3] [--model path.gguf] [--template id]
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

from shared_data import SKIPPED, Pair, find_data_dir, load_engine, load_pairs, sample  # noqa: E402

from radval_desktop.drafting import DraftRequest, DraftResult, draft  # noqa: E402
from radval_desktop.engine.llama_engine import ModelInfo  # noqa: E402
from radval_desktop.errors import InputError  # noqa: E402
from radval_desktop.evaluation.rouge import score  # noqa: E402
from radval_desktop.evaluation.tables import Output, paper_tables  # noqa: E402
from radval_desktop.prompts import Example  # noqa: E402
from radval_desktop.safety import retrieval  # noqa: E402
from radval_desktop.store.database import open_database  # noqa: E402
from radval_desktop.words import words  # noqa: E402

NEAR_DUPLICATE = 0.9


def _word_set(text: str) -> frozenset[str]:
    return frozenset(w for w in words(text) if w.strip())


def leakage_free_corpus(pairs: list[Pair], held_out: list[Pair]) -> tuple[list[Pair], int]:
    """The file's pairs minus the held-out ones and their near-duplicates; and how many went."""
    held_ids = {p.id for p in held_out}
    held_sets = [_word_set(p.findings) for p in held_out]
    kept, near = [], 0
    for pair in pairs:
        if pair.id in held_ids:
            continue
        mine = _word_set(pair.findings)
        if any(len(mine & other) / max(1, len(mine | other)) >= NEAR_DUPLICATE
               for other in held_sets):
            near += 1
            continue
        kept.append(pair)
    return kept, near


def _output(info: ModelInfo, file: str, pair: Pair, result: DraftResult) -> Output:
    return Output(
        model=info.name, institution=file, body_system=pair.body_system,
        language=pair.language, candidate=result.text, reference=pair.impression,
        seconds=result.total_seconds, ok=result.ok, attempts=len(result.attempts),
        empty_attempts=sum(a.verdict == "empty" for a in result.attempts),
        repetition_attempts=sum(a.verdict == "repetition" for a in result.attempts),
        parameters=info.parameters)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", help="folder of *.jsonl (default: ../shared/data)")
    parser.add_argument("--n", type=int, default=30, help="held-out pairs per file (seeded)")
    parser.add_argument("--examples", type=int, default=retrieval.DEFAULT_K,
                        help="retrieved examples per prompt in the second run; 0 = no second run")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--model", help="GGUF (default: the embedded default model)")
    parser.add_argument("--template", help="prompt template id (default: the file's default)")
    args = parser.parse_args()
    data = find_data_dir(args.data)
    if data is None:
        print(SKIPPED)
        return 0
    engine = load_engine(args.model)
    info = engine.info
    assert info is not None
    runs = (0, args.examples) if args.examples > 0 else (0,)
    outputs: dict[int, list[Output]] = {k: [] for k in runs}
    summary: list[str] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for number, path in enumerate(sorted(data.glob("*.jsonl"))):
            pairs = load_pairs(path)
            held_out = sample(pairs, args.n, args.seed)
            corpus_pairs, near = leakage_free_corpus(pairs, held_out)
            corpus = retrieval.ExampleCorpus(open_database(Path(tmp) / f"corpus{number}.db"))
            corpus.add_many(retrieval.Pair(p.findings, p.impression, p.body_system, p.modality,
                                           p.language, path.stem, path.name)
                            for p in corpus_pairs)
            for done, pair in enumerate(held_out, 1):
                for k in runs:
                    shown: tuple[Example, ...] = ()
                    if k:
                        shown = tuple(corpus.similar(pair.findings, pair.body_system, k,
                                                     path.stem))
                    request = DraftRequest(pair.findings, pair.body_system, pair.modality,
                                           pair.language, args.template, examples=shown)
                    try:
                        result = draft(engine, request)
                    except InputError as err:
                        print(f"  {path.name} {pair.id} k={k}: refused: {err}")
                        continue
                    outputs[k].append(_output(info, path.stem, pair, result))
                print(f"\r  {path.name}: {done}/{len(held_out)}", end="", file=sys.stderr,
                      flush=True)
            print(file=sys.stderr)
            line = (f"| {path.stem} | {len(held_out)} | {len(corpus_pairs)} "
                    f"(-{near} near-duplicates) |")
            for k in runs:
                mine = [o for o in outputs[k] if o.institution == path.stem]
                rouge_l = statistics.mean(score(o.candidate, o.reference, o.language).rougeL.f1
                                          for o in mine) if mine else 0.0
                seconds = statistics.median(o.seconds for o in mine) if mine else 0.0
                line += f" {rouge_l:.4f} | {seconds:.2f} s |"
            summary.append(line)
    engine.close()
    elapsed = time.perf_counter() - started
    plain = outputs[0]
    print(f"{sum(map(len, outputs.values()))} drafts in {elapsed:.0f} s "
          f"(median {statistics.median(o.seconds for o in plain):.2f} s per impression, "
          "no examples)\n")
    first = sorted(data.glob("*.jsonl"))[0].stem
    for table in paper_tables(plain, first):
        print(table.to_markdown())
    header = "| file | held out | corpus |" + "".join(
        f" R-L {'no examples' if k == 0 else f'k={k}'} | s/impression |" for k in runs)
    print("\nRetrieved examples (issue 8), mean ROUGE-L F1 and median time per impression:\n")
    print(header)
    print("|" + " --- |" * (3 + 2 * len(runs)))
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
