"""The `select-prompt` step: a short LoRA run per template, the best one chosen (§3.3.1 step 3)."""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
import random
import shutil
import time
from typing import Any

from radval_desktop.prompts import load_templates
from training.errors import TrainingError
from training.evaluation import generate_rouge
from training.gguf_base import with_hf_base
from training.modeling import add_lora, load_base_for_training, load_tokenizer
from training.precision import choose_precision, detect
from training.preflight import preflight
from training.recipe import Recipe
from training.records import read_reports
from training.run_folder import RunFolder, is_main_process, read_json, sha256_files, write_json
from training.samples import build_samples
from training.stages import event_logger, init_distributed, run_stage, save_adapter
from training.train import data_files


def _ranks(values: list[float], lower_is_better: bool) -> list[int]:
    """Competition ranks (1 = best; equal values share a rank)."""
    ordered = sorted(values, reverse=not lower_is_better)
    return [ordered.index(v) + 1 for v in values]


def choose(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Best by eval loss and ROUGE-L together: the lowest sum of the two ranks.

    Ties go to the lower eval loss, then to the earlier template. Both metrics count: loss
    alone prefers prompts that make the impression easy to predict token by token, ROUGE-L
    alone is noisy on a small slice (and 0 for every candidate early in training).
    """
    losses = [r["eval_loss"] for r in results]
    rouges = [r["rouge_l"] for r in results]
    loss_rank, rouge_rank = _ranks(losses, True), _ranks(rouges, False)
    order = sorted(range(len(results)),
                   key=lambda i: (loss_rank[i] + rouge_rank[i], losses[i], i))
    best = results[order[0]]
    return {"template_id": best["template_id"], "rule": "lowest eval-loss rank + ROUGE-L rank",
            "ranking": [{"template_id": results[i]["template_id"],
                         "eval_loss": losses[i], "rouge_l": rouges[i],
                         "rank_sum": loss_rank[i] + rouge_rank[i]} for i in order]}


def candidate_steps(recipe: Recipe) -> int:
    """Optimizer steps each candidate trains: prompt.select_steps (0: select_epochs instead),
    capped by train.max_steps when a smoke run sets it. Ranking after a few steps of
    learning, not at step 0, is the point: zero-shot loss says how well the base already
    reads a prompt, not how well it will learn from it."""
    steps, cap = recipe.prompt.select_steps, recipe.train.max_steps
    if cap > 0:
        return min(steps, cap) if steps > 0 else cap
    return steps


def select_prompt(recipe: Recipe, run: RunFolder, force: bool = False) -> dict[str, Any]:
    started = time.time()
    preflight(recipe)
    init_distributed()
    templates = load_templates()
    candidates = list(recipe.prompt.candidates) or list(templates.templates)
    for template_id in candidates:
        templates.template(template_id)  # an unknown id fails here with the known ones listed
    train_file, valid_file = data_files(run)
    validation = read_reports(valid_file) if valid_file.is_file() else []
    if not validation:
        raise TrainingError("select-prompt compares templates on the validation slice, which is "
                            "empty: raise data.validation_fraction and run prepare again.")
    reports = read_reports(train_file)
    if len(reports) > recipe.prompt.select_max_samples:
        reports = random.Random(recipe.data.seed).sample(reports, recipe.prompt.select_max_samples)
    parts = {"data": sha256_files([train_file, valid_file]), "version": templates.version,
             "prompt": recipe.as_dict()["prompt"], "model": recipe.as_dict()["model"],
             "train": recipe.as_dict()["train"]}
    inputs = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()
    previous = run.step_record("select-prompt")
    if not force and previous and run.is_done("select-prompt", inputs):
        return dict(previous["summary"], skipped=True)

    hf = with_hf_base(recipe, run)  # a GGUF base: its dequantized copy
    tokenizer = load_tokenizer(hf.model)
    cuda, bf16 = detect()
    precision = choose_precision(recipe.model, recipe.train, cuda, bf16)
    events = event_logger(run.select_prompt / "events.jsonl")
    # The Trainer reads max_steps from the train settings: the candidates' own count there.
    t = dataclasses.replace(recipe.train, max_steps=candidate_steps(recipe))
    results = []
    for template_id in candidates:
        out = run.select_prompt / template_id
        result_file = out / "result.json"
        if not force and result_file.is_file() and read_json(result_file)["inputs"] == inputs:
            results.append(read_json(result_file))  # resumed: this candidate ran already
            continue
        run.clear(out)
        train_set = build_samples(reports, tokenizer, template_id, templates,
                                  t.max_source_length, t.max_target_length)
        eval_set = build_samples(validation, tokenizer, template_id, templates,
                                 t.max_source_length, t.max_target_length)
        if not train_set.samples or not eval_set.samples:
            raise TrainingError(f"Template {template_id} leaves no sample that fits "
                                f"({train_set.dropped}, validation {eval_set.dropped}).")
        model = add_lora(load_base_for_training(hf.model, precision), t,
                         with_embeddings=False)
        stage = run_stage(f"select-{template_id}", 2, model, tokenizer, train_set.samples,
                          eval_set.samples, t, precision, out, recipe.prompt.select_epochs,
                          events, save_checkpoints=False)
        # Kept until the choice: the winner's LoRA is where `train` goes on from (§3.3.1).
        save_adapter(model, out / "adapter")
        rouge = generate_rouge(model, tokenizer, validation, template_id, templates,
                               recipe.prompt.rouge_samples, recipe.prompt.rouge_max_new_tokens)
        result = {"template_id": template_id, "inputs": inputs, "eval_loss": stage.eval_loss_after,
                  "eval_loss_before": stage.eval_loss_before, "rouge_l": rouge.rouge_l,
                  "rouge_cases": rouge.cases, "steps": stage.steps, "samples": stage.samples,
                  "examples": rouge.examples}
        if is_main_process():
            write_json(result_file, result)
        results.append(result)
        del model
        gc.collect()
        if precision.device == "cuda":
            import torch

            torch.cuda.empty_cache()  # the next candidate loads its own copy of the base
    choice = choose(results)
    choice["template_version"] = templates.version
    choice["steps_per_candidate"] = candidate_steps(recipe)
    winner = run.select_prompt / choice["template_id"] / "adapter"
    choice["adapter"] = str(winner) if winner.is_dir() else None
    if is_main_process():
        for result in results:  # the others' LoRA is not needed again
            if result["template_id"] != choice["template_id"]:
                shutil.rmtree(run.select_prompt / result["template_id"] / "adapter",
                              ignore_errors=True)
    if is_main_process():
        write_json(run.select_prompt / "choice.json", choice)
    run.record("select-prompt", recipe, inputs, started, choice)
    return choice
