"""`radval batch` throughput in process (issue 18): one at a time vs ``--parallel N``.

The same cases (``--n``, default 100: each file's seeded test part, bench/quality.py's
``split``, then a seeded sample of them all) are drafted by `radval batch`'s own code
(``evaluation.batch.run_model``, the starter examples, the configured sampling: greedy)
one at a time, as the window drafts, and with ``--parallel`` 1, 2, 4 and 8. For each: cases
per minute (the model's load not counted), prompt and completion tokens per second, and
for one at a time where a case's time goes (reading the prompt up to the first token vs
generating), and for --parallel the share of prompt tokens not read because another
sequence held the same beginning (engine/parallel.py). Beside the whole run's rate, the rate
while every slot had a case waiting (from the first save to the save that left a slot with
nothing to take; seconds as saved): a finite run ends with a long draft decoded alone, which
a run of the paper's size hardly has. Then the cases whose greedy draft differs from one at
a time.
``--parallel 1`` is the batch decoder alone on every core: it tells the threads' part from
batching's. Prints; asserts nothing.

    python bench/batch_throughput.py [--n 100] [--parallel 1,2,4,8] [--max-tokens 512]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quality import SEED, split  # noqa: E402
from shared_data import SKIPPED, Pair, find_data_dir, load_pairs, use_bench_cache  # noqa: E402

from radval_desktop.engine.default_model import default_model_path  # noqa: E402
from radval_desktop.engine.sampling import Sampling  # noqa: E402
from radval_desktop.evaluation.batch import ModelSummary, run_model  # noqa: E402
from radval_desktop.store.database import open_database  # noqa: E402
from radval_desktop.store.evaluation_runs import NewCase, save_cases  # noqa: E402


def cases(data: Path, n: int) -> list[Pair]:
    pool = [p for path in sorted(data.glob("*.jsonl")) for p in split(load_pairs(path), n)[0]]
    return random.Random(SEED).sample(sorted(pool, key=lambda p: p.id), min(n, len(pool)))


def run(model: Path, test: list[Pair], folder: Path, parallel: int, sampling: Sampling
        ) -> tuple[ModelSummary, dict[str, dict[str, object]], float]:
    """The run's summary, its saved rows by case id, and its cases a minute while every slot
    had a case waiting: up to the save of the case that left the last slot unfilled."""
    db = open_database(folder / f"parallel-{parallel}.db")
    new = [NewCase("1", p.body_system, p.modality, p.language, p.findings, p.impression, p.id,
                   p.file, i) for i, p in enumerate(test, 1)]
    ids = save_cases(db, new)
    summary = run_model(db, model, new, ids, sampling=sampling, parallel=parallel,
                        on_note=lambda text: print(f"  {text}", file=sys.stderr))
    rows = {r["case_uuid"]: r for r in db.query(
        "SELECT case_uuid, raw_text, text, prompt_tokens, completion_tokens, "
        "first_token_seconds, seconds, created_at FROM candidates")}
    saved = sorted(datetime.fromisoformat(str(r["created_at"])).timestamp()
                   for r in rows.values())
    # From the first save (the model loaded, the first case drafted) to the save that left a
    # slot with nothing to take: a finite run's tail (a long draft alone) set apart.
    full = len(saved) - max(1, parallel)
    steady = 60 * (full - 1) / (saved[full - 1] - saved[0]) if full > 1 and \
        saved[full - 1] > saved[0] else 0.0
    db.close()
    by_id = {p.id: rows[c] for p, c in zip(test, ids, strict=True) if c in rows}
    return summary, by_id, steady


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", help="folder of *.jsonl (default: ../shared/data)")
    parser.add_argument("--n", type=int, default=100, help="cases (default 100)")
    parser.add_argument("--parallel", default="1,2,4,8", help="comma-separated N")
    parser.add_argument("--max-tokens", type=int, default=Sampling.max_tokens)
    parser.add_argument("--model", help="GGUF (default: the embedded default model)")
    args = parser.parse_args()
    data = find_data_dir(args.data)
    if data is None:
        print(SKIPPED)
        return 0
    use_bench_cache()
    model = Path(args.model) if args.model else default_model_path()
    sampling = Sampling(max_tokens=args.max_tokens)
    test = cases(data, args.n)
    print(f"{len(test)} cases from {data} (seed {SEED}); model {model.name}; "
          f"{os.cpu_count()} cores; greedy, max_tokens {sampling.max_tokens}; "
          f"{time.strftime('%Y-%m-%d')}\n")
    print("| drafting | cases/min | x one at a time | while every slot had a case: cases/min, "
          "x | prompt tok/s | completion tok/s | prompt tokens from a shared prefix |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    results: dict[int, dict[str, dict[str, object]]] = {}
    base, steady_base, where = 0.0, 0.0, ""
    with tempfile.TemporaryDirectory() as tmp:
        for parallel in [0, *(int(x) for x in args.parallel.split(","))]:
            summary, rows, steady = run(model, test, Path(tmp), parallel, sampling)
            results[parallel] = rows
            per_min = 60 * summary.generated / summary.seconds if summary.seconds else 0.0
            base = per_min if not parallel else base
            steady_base = steady if not parallel else steady_base
            prompt = sum(int(str(r["prompt_tokens"] or 0)) for r in rows.values())
            completion = sum(int(str(r["completion_tokens"] or 0)) for r in rows.values())
            label = ("one at a time (the window's way, engine's threads)" if not parallel
                     else f"--parallel {parallel} (every core)")
            shared = (f"{100 * summary.shared_prompt_tokens / summary.prompt_tokens:.0f}%"
                      if summary.prompt_tokens else "—")
            print(f"| {label} | {per_min:.1f} | {per_min / base if base else 0:.2f} | "
                  f"{steady:.1f}, {steady / steady_base if steady_base else 0:.2f} | "
                  f"{prompt / summary.seconds:.0f} | {completion / summary.seconds:.0f} | "
                  f"{shared} |", flush=True)
            if not parallel:
                reading = sum(float(str(r["first_token_seconds"] or 0)) for r in rows.values())
                total = sum(float(str(r["seconds"] or 0)) for r in rows.values())
                where = (f"one at a time: {reading:.0f} s of {total:.0f} s "
                         f"({100 * reading / total:.0f}%) reading prompts up to the first "
                         f"token, the rest generating; {prompt / len(rows):.0f} prompt and "
                         f"{completion / len(rows):.0f} completion tokens a case")
    print(f"\n{where}")
    alone = results[0]
    for parallel, rows in results.items():
        if not parallel:
            continue
        differ = sorted(i for i in alone if i in rows and rows[i]["raw_text"] !=
                        alone[i]["raw_text"])
        print(f"--parallel {parallel}: {len(rows) - len(differ)} of {len(rows)} greedy drafts "
              f"identical to one at a time" + (f"; differ: {', '.join(differ)}" if differ
                                                else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
