"""Compare candidate default models, templates and sampling on ../shared/data: ROUGE, guards, time.

Examples:
  python bench/default_model_choice.py \\
      --model qwen=default --model smollm2=/tmp/smollm2.gguf --model gemma=/tmp/gemma.gguf
  python bench/default_model_choice.py --model qwen=default --n 10 \\
      --files cov_ctr_zh,medpix2_ct_mri --templates t1_terse,t2_numbered,t3_system_modality

Prints figures only; it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared_data import Pair, find_data_dir, load_pairs, sample, use_bench_cache  # noqa: E402

from radval_desktop.drafting import DraftRequest, DraftResult, draft  # noqa: E402
from radval_desktop.engine.llama_engine import EngineSettings, LlamaEngine  # noqa: E402
from radval_desktop.engine.sampling import Sampling  # noqa: E402
from radval_desktop.errors import RadvalError  # noqa: E402
from radval_desktop.evaluation import rouge  # noqa: E402
from radval_desktop.prompts import bundled_templates  # noqa: E402


@dataclass
class Cell:
    """The runs of one model x template x temperature x file."""

    rouge1: list[float]
    rouge2: list[float]
    rougeL: list[float]  # noqa: N815
    rougeL_char: list[float]  # noqa: N815 - zh only: character level beside jieba words
    seconds: list[float]
    tokens: list[int]
    guard_fired: int = 0  # attempts rejected by a guard (empty or repetition)
    not_ok: int = 0  # drafts with no usable impression after all retries
    refused: int = 0  # findings refused before drafting (too long for the context)

    @classmethod
    def empty(cls) -> Cell:
        return cls([], [], [], [], [], [])


def parse_models(values: list[str]) -> list[tuple[str, str]]:
    models = []
    for value in values:
        label, _, path = value.partition("=")
        if not path:
            label, path = Path(value).stem, value
        models.append((label, path))
    return models


def resolve(path: str) -> Path:
    if path == "default":
        from radval_desktop.engine.default_model import default_model_path

        return default_model_path()
    return Path(path)


def run_cell(engine: LlamaEngine, pairs: list[Pair], template: str | None, sampling: Sampling,
             out: list[dict[str, object]], label: str) -> Cell:
    cell = Cell.empty()
    for pair in pairs:
        request = DraftRequest(pair.findings, pair.body_system, pair.modality,
                               language=pair.language, template_id=template)
        try:
            result: DraftResult = draft(engine, request, sampling=sampling)
        except RadvalError as err:
            cell.refused += 1
            print(f"  refused {pair.id[:40]}: {err}", file=sys.stderr)
            continue
        scores = rouge.score(result.text, pair.impression, language=pair.language)
        cell.rouge1.append(scores.rouge1.f1)
        cell.rouge2.append(scores.rouge2.f1)
        cell.rougeL.append(scores.rougeL.f1)
        if pair.language == "zh":
            char = rouge.score(result.text, pair.impression, tokenization=rouge.ZH_CHAR)
            cell.rougeL_char.append(char.rougeL.f1)
        cell.seconds.append(result.total_seconds)
        cell.tokens.append(result.completion_tokens)
        cell.guard_fired += sum(1 for a in result.attempts if a.verdict != "ok")
        cell.not_ok += 0 if result.ok else 1
        out.append({"model": label, "template": result.template_id, "file": pair.file,
                    "temperature": sampling.temperature, "id": pair.id, "draft": result.text,
                    "raw": result.raw_text, "ok": result.ok, "rougeL": scores.rougeL.f1,
                    "seconds": round(result.total_seconds, 3),
                    "verdicts": [a.verdict for a in result.attempts]})
    return cell


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--model", action="append", metavar="LABEL=PATH",
        help="a GGUF to compare, repeatable; PATH 'default' is the embedded default model. "
             "E.g. qwen=default, smollm2=/tmp/smollm2.gguf, gemma=/tmp/gemma.gguf "
             "(default: qwen=default)")
    parser.add_argument("--data-dir", help="folder of *.jsonl pairs (default: ../shared/data)")
    parser.add_argument("--files", help="comma-separated file stems (default: every *.jsonl)")
    parser.add_argument("--n", type=int, default=15, help="pairs sampled per file (default 15)")
    parser.add_argument("--seed", type=int, default=20261123, help="sampling seed")
    parser.add_argument("--templates", default="",
                        help="comma-separated template ids (default: the templates file's)")
    parser.add_argument("--temperatures", default="0", help="comma-separated (default 0)")
    # The references are one or two lines; a draft still going at 256 tokens has already
    # failed, and stopping it there keeps three models x three files near 15 minutes.
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--out", help="write every draft as JSONL here (keep it outside the repo)")
    args = parser.parse_args(argv)

    data_dir = find_data_dir(args.data_dir)
    if data_dir is None:
        print("Skipped: no ../shared/data/*.jsonl found (the real report pairs are not on "
              "this machine).")
        return 0
    use_bench_cache()
    stems = [s for s in args.files.split(",") if s] if args.files else None
    files = sorted(p for p in data_dir.glob("*.jsonl")
                   if stems is None or any(p.name.startswith(s) for s in stems))
    samples = {f.name: sample(load_pairs(f), args.n, args.seed) for f in files}
    templates: list[str | None] = [t for t in args.templates.split(",") if t] or [None]
    temperatures = [float(t) for t in args.temperatures.split(",")]
    models = parse_models(args.model or ["qwen=default"])

    rows: list[tuple[str, str, str, float, str, Cell]] = []
    drafts: list[dict[str, object]] = []
    started = time.perf_counter()
    for label, path in models:
        engine = LlamaEngine(resolve(path), EngineSettings())
        info = engine.load()
        print(f"{label}: {info.name} ({info.quantization}, {info.parameters / 1e6:.0f}M params, "
              f"chat template: {'yes' if info.chat_template else 'no'}), "
              f"loaded in {info.load_seconds:.2f} s", file=sys.stderr)
        try:
            for template in templates:
                for temperature in temperatures:
                    sampling = Sampling(temperature=temperature, max_tokens=args.max_tokens)
                    for name, pairs in samples.items():
                        cell = run_cell(engine, pairs, template, sampling, drafts, label)
                        shown = template or bundled_templates().default_template
                        rows.append((label, str(shown), name, temperature, path, cell))
                        print(f"  {label} {shown} T={temperature} {name}: "
                              f"R-L {mean(cell.rougeL):.3f}, {len(cell.seconds)} drafts, "
                              f"{time.perf_counter() - started:.0f} s so far", file=sys.stderr)
        finally:
            engine.close()

    print(f"\n{args.n} pairs per file (seed {args.seed}), max_tokens {args.max_tokens}; "
          "R-x = mean F1 (en: rouge-score tokens; zh: jieba words, R-L char in its own column); "
          "a draft with no usable text scores 0.\n")
    header = ("| model | template | T | file | n | R-1 | R-2 | R-L | R-L zh-char | guard fired "
              "| not ok | refused | median s | median tokens |")
    print(header)
    print("|" + " --- |" * (header.count("|") - 1))
    for label, template, name, temperature, _path, cell in rows:
        char = f"{mean(cell.rougeL_char):.3f}" if cell.rougeL_char else "-"
        median_s = statistics.median(cell.seconds) if cell.seconds else float("nan")
        median_t = statistics.median(cell.tokens) if cell.tokens else 0
        print(f"| {label} | {template} | {temperature:g} | {name.split('.')[0]} | "
              f"{len(cell.seconds)} | {mean(cell.rouge1):.3f} | {mean(cell.rouge2):.3f} | "
              f"{mean(cell.rougeL):.3f} | {char} | {cell.guard_fired} | {cell.not_ok} | "
              f"{cell.refused} | {median_s:.2f} | {median_t:g} |")
    print(f"\nTotal {time.perf_counter() - started:.0f} s.")
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            for row in drafts:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
