"""Fine-tuning for real (issue 16, item 6): the embedded default model, LoRA-only, on report
pairs of ../shared/data, then base and base + adapter drafted by `radval batch`'s code.

Split: bench/quality.py's own seeded split (``split``, seed 20261130) with ``--test-n`` test
pairs per file; training pairs come only from each file's corpus part, never a test case. A
file quality.py tests whole (leave-one-out, under 200 pairs: cov_ctr) gets a seeded test part
of at most half the file by the same rule, and trains on the rest.

Class balance: most OpenI impressions are normal (1,371 of 2,007 read normal by
``safety.study_reading.reads_normal``), and a model trained on them learns "No acute
cardiopulmonary abnormality." as the safe answer (issue 16's probe). So each file's training
pairs are sampled with normal impressions capped at ``--normal-share`` (default 0.5): normals
are undersampled, abnormal pairs all kept up to the file's quota. Undersampling, not loss
weights: the Trainer's loss stays the plain mean, and the cap is one number to report.

Training: the GGUF default model dequantized into the run folder (training/gguf_base.py),
LoRA r16 alpha 32 on every linear layer, lr 2e-4, batch 8 (2 a pass), the frozen base in
bfloat16, no embedding stage (the model's
output layer shares the embeddings: an adapter cannot carry stage one there, README). It
records training time, tokens/s, peak memory (max RSS) and the loss curve (loss_curve.csv,
events.jsonl and TensorBoard where installed) in the run folder, and exports the adapter GGUF
to bench/out (git-ignored: the data's licences forbid derivatives; never commit it).

Evaluation on each file's test part: the base with no examples at all (zero-shot, as issue
16's probe prompted it), then base and base + adapter with no retrieved examples (the base
gets the starter examples, as the app drafts; the adapter is prompted as its card says) and
with 3 retrieved examples from the file's corpus part, through
``evaluation.batch.run_model`` with the adapter as `radval batch --adapter` attaches it (IT's
allowlist applies): ROUGE-1/2/L, dangerous drafts (``safety.danger``), seconds per draft, and
the share of abnormal studies (reference impression not normal) drafted as normal. Every
draft is written beside its reference to bench/out/finetune_drafts.jsonl, to be read.

    python bench/finetune_real.py [--train-pairs 1600] [--steps 0] [--test-n 100]
                                  [--files openi,cov] [--normal-share 0.5] [--upsample cov=4]
                                  [--abnormal-repeats 1]

``--steps 0`` trains one epoch of the training pairs. Prints; asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quality import SEED, Drafted, K, build_corpus, row, split  # noqa: E402
from shared_data import REPO, SKIPPED, Pair, find_data_dir, load_pairs, use_bench_cache  # noqa: E402

from radval_desktop.safety.study_reading import reads_normal  # noqa: E402

SMALL_FILE = 100  # corpus pairs under which a file is trained on whole
OUT = REPO / "bench" / "out"  # git-ignored: nothing trained on the data is ever committed


@dataclass(frozen=True)
class FileSplit:
    name: str
    test: list[Pair]
    corpus: list[Pair]  # the file's pairs that are not test cases: retrieval and training


def split_file(pairs: list[Pair], name: str, test_n: int) -> FileSplit:
    """quality.py's split; a file it tests whole gets a disjoint seeded test part."""
    test, corpus = split(pairs, test_n)
    if len(test) == len(pairs):  # leave-one-out in quality.py: no pair is free to train on
        ordered = sorted(pairs, key=lambda p: p.id)
        test = random.Random(SEED).sample(ordered, min(test_n, len(ordered) // 2))
        chosen = {p.id for p in test}
        corpus = [p for p in ordered if p.id not in chosen]
    return FileSplit(name, test, corpus)


def balanced(pairs: list[Pair], quota: int, normal_share: float, seed: int) -> list[Pair]:
    """Up to ``quota`` pairs, normal impressions at most ``normal_share`` of them."""
    rng = random.Random(seed)
    normal = [p for p in pairs if reads_normal(p.impression, p.language)]
    abnormal = [p for p in pairs if not reads_normal(p.impression, p.language)]
    cap = math.floor(quota * normal_share)
    n_abnormal = min(len(abnormal), quota - min(len(normal), cap))
    n_normal = min(len(normal), cap, quota - n_abnormal)
    chosen = rng.sample(abnormal, n_abnormal) + rng.sample(normal, n_normal)
    rng.shuffle(chosen)
    return chosen


def training_pairs(splits: list[FileSplit], total: int, normal_share: float
                   ) -> dict[str, list[Pair]]:
    """``total`` pairs over the files' corpus parts, in proportion to their size."""
    size = sum(len(s.corpus) for s in splits) or 1
    # A small file (cov_ctr: 37 corpus pairs) is taken whole: its share of ``total`` would
    # leave out pairs there are too few of already.
    return {s.name: balanced(s.corpus, max(min(len(s.corpus), SMALL_FILE),
                                           round(total * len(s.corpus) / size)),
                             normal_share, SEED + i) for i, s in enumerate(splits)}


def upsampled(train: dict[str, list[Pair]], repeats: dict[str, int],
              abnormal_repeats: int = 1) -> dict[str, list[Pair]]:
    """A small file's pairs seen ``k`` times an epoch (cov_ctr: 37 pairs beside ~1,400 of
    OpenI would be 3% of the steps), and every abnormal pair ``abnormal_repeats`` times (a
    second look at what the model must not call normal); each copy gets its own id,
    shuffled in place."""
    out = {}
    for name, pairs in train.items():
        k = next((n for prefix, n in repeats.items() if name.startswith(prefix)), 1)
        copies = [replace(p, id=f"{p.id}#{r}" if r else p.id) for p in pairs
                  for r in range(k if reads_normal(p.impression, p.language)
                                 else k * abnormal_repeats)]
        random.Random(SEED + k).shuffle(copies)
        out[name] = copies
    return out


def _report(pair: Pair, institution: str, line: int) -> Any:
    from training.records import Report

    return Report(id=f"{institution}:{pair.file}:{pair.id}", institution=institution,
                  source=pair.file, line=line, language=pair.language,
                  body_system=pair.body_system, modality=pair.modality, age=None, sex="",
                  findings=pair.findings, impression=pair.impression)


def write_run_data(run: Any, train: dict[str, list[Pair]], validation: list[Pair]) -> None:
    """The run's data as `train` reads it (the bench's pairs, not `prepare`'s split)."""
    from training.records import write_reports
    from training.run_folder import write_json

    run.data.mkdir(parents=True, exist_ok=True)
    write_reports(run.data / "train.jsonl", [_report(p, name, i) for name, pairs in
                                             train.items() for i, p in enumerate(pairs, 1)])
    write_reports(run.data / "validation.jsonl",
                  [_report(p, p.file.split(".")[0], i) for i, p in enumerate(validation, 1)])
    write_json(run.data / "data_card.json", {
        "columns": {}, "cleaning": "none: bench/finetune_real.py's seeded pairs as given",
        "settings": {"seed": SEED, "files": {k: len(v) for k, v in train.items()}}})


def recipe_for(base: Path, template: str, steps: int, validation: int) -> Any:
    from training.recipe import build_recipe, parse_sets

    return build_recipe(parse_sets([
        f"model.base={base}", "model.device=cpu", f"prompt.template={template}",
        # The frozen base in bfloat16 (the LoRA weights stay float32, PEFT's default): 3.1
        # against 4.2 s a 250-token sample on this CPU's AVX512_BF16, 2.5 s two at a time.
        "model.compute_dtype=bfloat16",
        "prompt.rouge_samples=0",
        "train.stage_one_fraction=0",  # tied output layer: LoRA on the linear layers only
        "train.embeddings=lora", "train.lora_r=16", "train.lora_alpha=32",
        "train.lora_dropout=0.05", "train.learning_rate=2e-4",  # issue 16's probe
        # Two samples a pass, 4 accumulated: batch 8 at once held 19 GB in float32 (a
        # 151,936-token vocabulary makes the logits large) and was killed on a 23 GB machine.
        "train.per_device_batch_size=2", "train.effective_batch_size=8",
        "train.max_target_length=128", "train.epochs=1", f"train.max_steps={steps}",
        "train.warmup_steps=0.05", "train.logging_steps=1", "train.save_steps=50",
        f"train.eval_steps={50 if validation else 1000000}",
    ]))


def loss_curve(run: Any) -> list[dict[str, Any]]:
    """The logged training and eval losses, also written as loss_curve.csv in the run."""
    rows = []
    for line in (run.train / "events.jsonl").read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event.get("event") == "log" and ("loss" in event or "eval_loss" in event):
            rows.append({"step": event["step"], "loss": event.get("loss", ""),
                         "eval_loss": event.get("eval_loss", "")})
    with (run.train / "loss_curve.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["step", "loss", "eval_loss"])
        writer.writeheader()
        writer.writerows(rows)
    return rows


def tokens_per_sample(recipe: Any, run: Any) -> float:
    from radval_desktop.prompts import load_templates
    from training.gguf_base import with_hf_base
    from training.modeling import load_tokenizer
    from training.records import read_reports
    from training.samples import build_samples

    tokenizer = load_tokenizer(with_hf_base(recipe, run).model)
    t = recipe.train
    built = build_samples(read_reports(run.data / "train.jsonl"), tokenizer,
                          recipe.prompt.template, load_templates(), t.max_source_length,
                          t.max_target_length)
    return statistics.mean(len(s.input_ids) for s in built.samples) if built.samples else 0.0


def draft(model: Path, adapter: Path | None, test: list[Pair], folder: Path, name: str,
          institution: str, corpus: Any, template: str, zero_shot: bool = False
          ) -> list[Drafted]:
    """Every test pair through run_model, the adapter attached as `radval batch --adapter`."""
    from radval_desktop.config import load_settings
    from radval_desktop.evaluation.batch import run_model
    from radval_desktop.store.database import open_database
    from radval_desktop.store.evaluation_runs import NewCase, save_cases

    settings = load_settings()
    engine = settings.engine()
    if adapter is not None:
        engine = replace(engine, adapter_path=str(adapter))
    db = open_database(folder / f"{name}.db")
    cases = [NewCase(institution=institution, body_system=p.body_system, modality=p.modality,
                     language=p.language, findings=p.findings, reference_impression=p.impression,
                     source_id=p.id, source_file=p.file, source_line=i)
             for i, p in enumerate(test, 1)]
    ids = save_cases(db, cases)
    run_model(db, model, cases, ids, engine_settings=engine, sampling=settings.sampling(),
              template_id=template, examples_k=K if corpus else 0, corpus=corpus,
              zero_shot=zero_shot)
    rows = {r["case_uuid"]: r for r in db.query("SELECT case_uuid, text, ok, seconds "
                                                 "FROM candidates")}
    db.close()
    return [Drafted(p, rows[c]["text"] or "", bool(rows[c]["ok"]), rows[c]["seconds"] or 0.0)
            for p, c in zip(test, ids, strict=True) if c in rows]


def abnormal_called_normal(drafted: list[Drafted]) -> tuple[int, int]:
    """(abnormal studies drafted as normal, abnormal studies): reference not normal, the
    shown draft normal. An unusable draft is not counted as normal."""
    abnormal = [d for d in drafted if not reads_normal(d.pair.impression, d.pair.language)]
    called = [d for d in abnormal if d.ok and reads_normal(d.text, d.pair.language)]
    return len(called), len(abnormal)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="folder of *.jsonl (default: ../shared/data)")
    parser.add_argument("--files", help="comma-separated name prefixes (default: all)")
    parser.add_argument("--train-pairs", type=int, default=1600,
                        help="training pairs over all files' corpus parts")
    parser.add_argument("--steps", type=int, default=0,
                        help="optimizer steps (batch 8); 0 = one epoch of the training pairs")
    parser.add_argument("--test-n", type=int, default=100, help="test pairs per file")
    parser.add_argument("--validation", type=int, default=32,
                        help="corpus pairs (not trained on) for the eval loss")
    parser.add_argument("--normal-share", type=float, default=0.5,
                        help="most share of normal impressions among training pairs")
    parser.add_argument("--upsample", default="cov=4",
                        help="NAME=K,...: a file's training pairs repeated K times an epoch")
    parser.add_argument("--abnormal-repeats", type=int, default=1,
                        help="each abnormal training pair seen K times an epoch")
    parser.add_argument("--no-eval", action="store_true",
                        help="train and export only (a later run reuses the adapter)")
    parser.add_argument("--out", default=str(OUT), help="run folder and adapter (git-ignored)")
    args = parser.parse_args()
    data = find_data_dir(args.data)
    if data is None:
        print(SKIPPED)
        return 0
    use_bench_cache()
    from radval_desktop.engine.default_model import default_model_path
    from radval_desktop.prompts import load_templates
    from training.adapter_export import export_adapter
    from training.errors import TrainingError
    from training.run_folder import RunFolder
    from training.train import train

    files = sorted(data.glob("*.jsonl"))
    if args.files:
        files = [f for f in files if any(f.stem.startswith(x) for x in args.files.split(","))]
    splits = [split_file(load_pairs(f), f.stem, args.test_n) for f in files]
    chosen = training_pairs(splits, args.train_pairs, args.normal_share)
    used = {p.id for pairs in chosen.values() for p in pairs}
    repeats = {k: int(v) for k, v in (x.split("=") for x in args.upsample.split(",") if x)}
    chosen = upsampled(chosen, repeats, args.abnormal_repeats)
    rest = sorted((p for s in splits for p in s.corpus if p.id not in used), key=lambda p: p.id)
    validation = random.Random(SEED).sample(rest, min(args.validation, len(rest)))
    for s in splits:
        normal = sum(reads_normal(p.impression, p.language) for p in chosen[s.name])
        print(f"{s.name}: {len(s.test)} test, {len(s.corpus)} corpus, {len(chosen[s.name])} "
              f"trained on ({normal} normal; repeats included)")

    out = Path(args.out)
    run = RunFolder(out / "finetune-run").create()
    model = default_model_path()
    template = load_templates().default_template
    recipe = recipe_for(model, template, args.steps, len(validation))
    write_run_data(run, chosen, validation)
    started = time.perf_counter()
    try:  # the same pairs and recipe as last time: the trained adapter is reused
        summary = train(recipe, run)
    except TrainingError:  # other pairs or settings: train afresh
        summary = train(recipe, run, force=True)
    if summary.get("skipped"):
        print("training: reused the run's adapter (same pairs and recipe)")
    seconds = time.perf_counter() - started
    stage = summary["stages"][-1]
    samples_seen = stage["steps"] * recipe.train.effective_batch_size
    tokens = samples_seen * tokens_per_sample(recipe, run)
    curve = [r for r in loss_curve(run) if r["loss"] != ""]  # training losses only
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    adapter = Path(export_adapter(recipe, run, outfile=out / "radval-finetune-lora.gguf")
                   ["adapter_gguf"])
    print(f"\ntraining: {stage['steps']} steps of {recipe.train.effective_batch_size} "
          f"({len(used)} pairs), {seconds:.0f} s with loading ({stage['seconds']:.0f} s in the "
          f"Trainer), {tokens / max(stage['seconds'], 1e-9):.0f} tokens/s, peak RSS "
          f"{peak_gib:.1f} GiB; eval loss {summary['eval_loss_before']} -> "
          f"{summary['eval_loss_after']}; loss {curve[0]['loss'] if curve else '?'} -> "
          f"{curve[-1]['loss'] if curve else '?'} (curve: {run.train / 'loss_curve.csv'}); "
          f"adapter {adapter} ({adapter.stat().st_size} bytes)")

    results: dict[str, Any] = {"training": {"seconds": seconds, "tokens": tokens,
                                            "steps": stage["steps"], "peak_rss_gib": peak_gib,
                                            "pairs": {k: len(v) for k, v in chosen.items()}}}
    if args.no_eval:
        (out / "finetune_training.json").write_text(json.dumps(results, indent=1),
                                                    encoding="utf-8")
        return 0
    # Every draft beside its reference, to be read (git-ignored, as everything in bench/out).
    drafts_file = (out / "finetune_drafts.jsonl").open("w", encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp, drafts_file:
        folder = Path(tmp)
        for s in splits:
            corpus = build_corpus(s.corpus, folder / f"{s.name}-corpus.db", s.name)
            lines = [f"\n### {s.name} ({len(s.test)} test pairs; seed {SEED})\n",
                     "| drafts | R-1 | R-2 | R-L | dangerous | restated / called_normal / "
                     "called_abnormal / wrong_side / negation_flipped (%) | not usable | "
                     "s median / p90 | abnormal drafted normal |",
                     "| --- |" + " --- |" * 8]
            # "base, zero-shot": no examples at all, as issue 16's probe prompted the base
            # (R-L 0.063, restating); "base" has our starter examples, as the app drafts.
            for label, with_adapter, k in (("base, zero-shot", False, -1), ("base", False, 0),
                                           (f"base, k={K}", False, K),
                                           ("base + adapter", True, 0),
                                           (f"base + adapter, k={K}", True, K)):
                drafted = draft(model, adapter if with_adapter else None, s.test, folder,
                                f"{s.name}-{label}", s.name, corpus if k > 0 else None,
                                template, zero_shot=k < 0)
                called, abnormal = abnormal_called_normal(drafted)
                for d in drafted:
                    drafts_file.write(json.dumps({
                        "file": s.name, "drafts": label, "id": d.pair.id, "ok": d.ok,
                        "reference_normal": reads_normal(d.pair.impression, d.pair.language),
                        "draft_normal": d.ok and reads_normal(d.text, d.pair.language),
                        "draft": d.text, "reference": d.pair.impression},
                        ensure_ascii=False) + "\n")
                share = f"{100 * called / abnormal:.0f}% ({called}/{abnormal})" if abnormal \
                    else "—"
                lines.append(row(label, drafted, timed=True) + f" {share} |")
                results.setdefault(s.name, {})[label] = {"abnormal_called_normal": [called,
                                                                                    abnormal]}
            corpus.db.close()
            print("\n".join(lines), flush=True)
    (out / "finetune_results.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
