"""Draft latency of the default model on ../shared/data, and our overhead over bare llama.cpp.

For each findings text: our full ``drafting.draft`` (prompt, guards, streaming), then a bare
llama-cpp-python loop (``create_completion(stream=True)``) on the same prompt, with the same
sampling, generating the same number of tokens per attempt (so a case the guards retried is
compared with the same retries done bare). The KV cache is reset before each run so that
neither side profits from the other's prompt. Prints figures; asserts nothing about time.

  python bench/draft_latency.py --n-zh 16 --n-en 16
  python bench/draft_latency.py --model /tmp/qwen.gguf --profile /tmp/draft.prof
"""

from __future__ import annotations

import argparse
import cProfile
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared_data import Pair, find_data_dir, load_pairs, sample, use_bench_cache  # noqa: E402

from radval_desktop.drafting import DraftRequest, DraftResult, draft  # noqa: E402
from radval_desktop.engine.llama_engine import EngineSettings, LlamaEngine  # noqa: E402
from radval_desktop.engine.sampling import Sampling  # noqa: E402


@dataclass(frozen=True)
class Run:
    first_token: float
    total: float
    tokens: int


@dataclass(frozen=True)
class Case:
    pair: Pair
    ours_wall: float  # around drafting.draft(): prompt building, checks, every attempt
    ours: DraftResult
    bare: Run


def bare_loop(llm: Any, prompt: str, result: DraftResult) -> Run:
    """Replay the draft's attempts with nothing but llama-cpp-python's streaming loop."""
    start = time.perf_counter()
    first: float | None = None
    tokens = 0
    for attempt in result.attempts:
        s = attempt.sampling
        llm.reset()  # as cold as our attempt was
        chunks = llm.create_completion(
            prompt, max_tokens=max(attempt.completion_tokens, 1), temperature=s.temperature,
            top_k=s.top_k, top_p=s.top_p, min_p=0.0, repeat_penalty=s.repeat_penalty,
            seed=s.seed, stream=True)
        for _chunk in chunks:
            if first is None:
                first = time.perf_counter() - start
        tokens += attempt.completion_tokens
    return Run(first or 0.0, time.perf_counter() - start, tokens)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    # Nearest-rank: with ~30 values an interpolated p90 would pretend to more precision.
    rank = max(1, round(q * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def describe(name: str, values: list[float], unit: str = "s") -> str:
    return (f"| {name} | {statistics.median(values):.3f} {unit} | "
            f"{percentile(values, 0.9):.3f} {unit} | {statistics.fmean(values):.3f} {unit} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="default",
                        help="GGUF path, or 'default' for the embedded default model "
                             "(e.g. /tmp/qwen.gguf)")
    parser.add_argument("--data-dir", help="folder of *.jsonl pairs (default: ../shared/data)")
    parser.add_argument("--n-zh", type=int, default=16, help="Chinese findings (default 16)")
    parser.add_argument("--n-en", type=int, default=16,
                        help="English findings, split over the English files (default 16)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-tokens", type=int, default=Sampling().max_tokens)
    parser.add_argument("--profile", help="also write a cProfile of our drafts to this file")
    args = parser.parse_args(argv)

    data_dir = find_data_dir(args.data_dir)
    if data_dir is None:
        print("Skipped: no ../shared/data/*.jsonl found (the real report pairs are not on "
              "this machine).")
        return 0
    use_bench_cache()
    pairs: list[Pair] = []
    english = []
    for path in sorted(data_dir.glob("*.jsonl")):
        rows = load_pairs(path)
        if rows and rows[0].language == "zh":
            pairs += sample(rows, args.n_zh, args.seed)
        else:
            english.append(rows)
    for index, rows in enumerate(english):
        share = args.n_en // len(english) + (1 if index < args.n_en % len(english) else 0)
        pairs += sample(rows, share, args.seed)

    if args.model == "default":
        from radval_desktop.engine.default_model import default_model_path

        model = default_model_path()
    else:
        model = Path(args.model)
    engine = LlamaEngine(model, EngineSettings())
    info = engine.load()
    llm = engine._llm  # the same loaded model for the bare loop: no second copy, same threads
    sampling = Sampling(max_tokens=args.max_tokens)
    print(f"{info.name} {info.quantization}, {info.device.describe()}, n_ctx {info.n_ctx}, "
          f"load {info.load_seconds:.2f} s; sampling {sampling}", file=sys.stderr)

    # Warm-up (not measured): first-call costs (page-in of the weights, thread pool).
    warm = pairs[0]
    draft(engine, DraftRequest(warm.findings, warm.body_system, warm.modality), sampling)

    profiler = cProfile.Profile() if args.profile else None
    cases: list[Case] = []
    for number, pair in enumerate(pairs, 1):
        request = DraftRequest(pair.findings, pair.body_system, pair.modality,
                               language=pair.language)
        llm.reset()
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        result = draft(engine, request, sampling)
        if profiler:
            profiler.disable()
        wall = time.perf_counter() - start
        bare = bare_loop(llm, result.prompt, result)
        cases.append(Case(pair, wall, result, bare))
        print(f"  {number}/{len(pairs)} {pair.language} {result.completion_tokens} tokens "
              f"ours {wall:.2f} s bare {bare.total:.2f} s ({wall / bare.total:.3f})",
              file=sys.stderr)
    engine.close()
    if profiler and args.profile:
        profiler.dump_stats(args.profile)

    zh = sum(1 for c in cases if c.pair.language == "zh")
    print(f"\n{len(cases)} findings ({zh} zh, {len(cases) - zh} en) from {data_dir}; "
          f"{info.name} {info.quantization}; {info.device.describe()}; "
          f"temperature {sampling.temperature}, max_tokens {sampling.max_tokens}; "
          f"KV cache reset before every run.\n")
    print("| per impression | median | p90 | mean |")
    print("| --- | --- | --- | --- |")
    print(describe("time to first token (ours)",
                   [c.ours.first_token_seconds or 0.0 for c in cases]))
    print(describe("total time (ours, draft() wall clock)", [c.ours_wall for c in cases]))
    print(describe("time to first token (bare)", [c.bare.first_token for c in cases]))
    print(describe("total time (bare)", [c.bare.total for c in cases]))
    print(describe("tokens/s generation (ours)", [c.ours.tokens_per_second for c in cases],
                   "tok/s"))
    print(describe("completion tokens", [float(c.ours.completion_tokens) for c in cases], "tok"))
    print(describe("prompt tokens", [float(c.ours.attempts[0].prompt_tokens) for c in cases],
                   "tok"))
    ours_total = sum(c.ours_wall for c in cases)
    bare_total = sum(c.bare.total for c in cases)
    inner_total = sum(c.ours.total_seconds for c in cases)
    tokens = sum(c.ours.completion_tokens for c in cases)
    ratios = [c.ours_wall / c.bare.total for c in cases]
    retried = sum(1 for c in cases if len(c.ours.attempts) > 1)
    print(f"\nour time / bare time, summed over all cases: {ours_total / bare_total:.3f} "
          f"({ours_total:.1f} s / {bare_total:.1f} s for {tokens} tokens each; goal <= 1.05)")
    print(f"  per case: median {statistics.median(ratios):.3f}, p90 "
          f"{percentile(ratios, 0.9):.3f}")
    print(f"  draft()'s own total_seconds (after prompt building) / bare: "
          f"{inner_total / bare_total:.3f}")
    print(f"  drafts retried by a guard: {retried}; not ok: "
          f"{sum(1 for c in cases if not c.ours.ok)}")
    print(f"  overall throughput: ours {tokens / ours_total:.1f} tok/s, "
          f"bare {tokens / bare_total:.1f} tok/s (prompt time included)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
