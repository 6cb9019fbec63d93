"""The `train` step: stage one (the embeddings, transformer frozen), stage two (LoRA, the
embeddings still training), from select-prompt's winning LoRA where there is one."""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from pathlib import Path
from typing import Any

from radval_desktop.prompts import TemplateSet, default_templates_file, load_templates
from training.errors import TrainingError
from training.evaluation import generate_rouge
from training.gguf_base import MARKER, TIED_ADAPTER, is_gguf_base, is_tied, with_hf_base
from training.modeling import (
    add_lora,
    embeddings_mode,
    load_adapter,
    load_base_for_training,
    load_tokenizer,
)
from training.precision import choose_precision, detect
from training.preflight import preflight
from training.recipe import Recipe
from training.records import read_reports
from training.run_folder import (
    RunFolder,
    is_main_process,
    read_json,
    sha256_files,
    write_atomic,
    write_json,
)
from training.samples import Sample, build_samples
from training.stages import (
    StageResult,
    accumulation_steps,
    barrier,
    event_logger,
    init_distributed,
    run_stage,
    save_adapter,
    tensorboard_dir,
    world_size,
)

TEMPLATES_COPY = "prompt_templates.toml"


def data_files(run: RunFolder) -> tuple[Path, Path]:
    train, validation = run.data / "train.jsonl", run.data / "validation.jsonl"
    if not train.is_file():
        raise TrainingError(f"{train} does not exist: run `python -m training prepare` first.")
    return train, validation


def chosen_template(recipe: Recipe, run: RunFolder, templates: TemplateSet) -> str:
    """recipe prompt.template, or for "auto" the choice select-prompt recorded."""
    if recipe.prompt.template != "auto":
        return templates.template(recipe.prompt.template).id
    choice = run.select_prompt / "choice.json"
    if not choice.is_file():
        raise TrainingError(
            "No prompt template chosen yet: run `python -m training select-prompt` first, or "
            f"set prompt.template to one of {', '.join(templates.templates)}.")
    return str(read_json(choice)["template_id"])


def t_embeddings(recipe: Recipe) -> bool:
    """Whether stage one (the embeddings, transformer frozen) runs with this recipe."""
    return recipe.train.stage_one_fraction > 0 and bool(recipe.train.embedding_modules)


def winner_adapter(recipe: Recipe, run: RunFolder) -> Path | None:
    """select-prompt's winning candidate's LoRA, which the full run continues from (§3.3.1:
    "inherit the model and parameters pair (f_idx, θ_idx)"), or None."""
    if recipe.prompt.template != "auto":
        return None
    choice = run.select_prompt / "choice.json"
    kept = read_json(choice).get("adapter") if choice.is_file() else None
    if not kept or not (Path(kept) / "adapter_model.safetensors").is_file():
        return None
    return Path(kept)


def inherit_lora(model: Any, adapter: Path) -> int:
    """Copy the winner's LoRA values into ``model``'s own (same names and shapes); returns
    how many tensors were taken. Embeddings are not in it: selection trains LoRA only."""
    import torch
    from peft.utils import load_peft_weights

    weights = load_peft_weights(str(adapter), device="cpu")
    # Saved names lack the adapter's name: ...q_proj.lora_A.weight is ...lora_A.default.weight.
    params = dict(model.named_parameters())
    missing = []
    with torch.no_grad():
        for key, value in weights.items():
            stem, _, last = key.rpartition(".")
            param = params.get(f"{stem}.default.{last}")
            if param is None or param.shape != value.shape:
                missing.append(key)
                continue
            param.copy_(value.to(param.dtype))
    if missing:
        raise TrainingError(f"The prompt-selection adapter {adapter} does not fit this run's "
                            f"LoRA ({len(missing)} tensors, e.g. {missing[0]}): run "
                            "select-prompt again with this recipe (--force).")
    return len(weights)


def split_stages(samples: list[Sample], fraction: float, seed: int
                 ) -> tuple[list[Sample], list[Sample]]:
    """Algorithm 2: a small seeded sample for stage one, "the remaining majority" for two."""
    order = list(range(len(samples)))
    random.Random(seed).shuffle(order)
    n_one = math.floor(len(samples) * fraction + 0.5) if fraction > 0 else 0
    n_one = min(n_one, len(samples) - 1)
    first = sorted(order[:n_one])
    rest = sorted(order[n_one:])
    return [samples[i] for i in first], [samples[i] for i in rest]


# How often to save, evaluate and log changes no weight: resuming with new values is fine.
_OPERATIONAL = ("save_steps", "keep_checkpoints", "eval_steps", "logging_steps")


def _fingerprint(recipe: Recipe, data_sha: str, template_id: str, version: str) -> str:
    train = {k: v for k, v in recipe.as_dict()["train"].items() if k not in _OPERATIONAL}
    parts = {"data": data_sha, "template": template_id, "version": version,
             "model": recipe.as_dict()["model"], "train": train}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def train(recipe: Recipe, run: RunFolder, force: bool = False) -> dict[str, Any]:
    started = time.time()
    preflight(recipe)  # before the base is dequantized or loaded
    init_distributed()
    train_file, valid_file = data_files(run)
    templates = load_templates()
    template_id = chosen_template(recipe, run, templates)
    data_sha = sha256_files([f for f in (train_file, valid_file) if f.is_file()])
    mode = embeddings_mode(recipe)
    if is_gguf_base(recipe.model) and t_embeddings(recipe) and mode == "full":
        # Refused before the base is dequantized: a GGUF base yields an adapter only.
        raise TrainingError(
            f"{Path(recipe.model.base).name} is a GGUF base, which yields a LoRA adapter only, "
            "and an adapter applied on the quantized base cannot carry a retrained embedding "
            "matrix: set train.embeddings=lora (or auto), or train.stage_one_fraction=0.")
    hf = with_hf_base(recipe, run)
    if is_gguf_base(recipe.model) and t_embeddings(recipe) and is_tied(Path(hf.model.base)):
        # A GGUF base only ever yields an adapter: refuse now rather than after training.
        raise TrainingError(TIED_ADAPTER.format(
            name=Path(recipe.model.base).name,
            fix="Train it with --set train.stage_one_fraction=0 (LoRA on the linear layers "
                "only)."))
    # A GGUF base is named by its path in the recipe: its bytes go into the fingerprint.
    base_sha = (read_json(Path(hf.model.base) / MARKER)["sha256"]
                if is_gguf_base(recipe.model) else "")
    winner = winner_adapter(recipe, run)
    winner_sha = sha256_files(sorted(winner.iterdir())) if winner else ""
    inputs = _fingerprint(recipe, data_sha + base_sha + winner_sha + mode, template_id,
                          templates.version)
    previous = run.step_record("train")
    if (not force and previous and run.is_done("train", inputs)
            and (run.adapter / "adapter_config.json").is_file()):
        return dict(previous["summary"], skipped=True)
    inputs_file = run.train / "inputs.json"
    if force:
        run.clear(run.train)
        run.forget("train")
    elif inputs_file.is_file() and read_json(inputs_file)["inputs"] != inputs:
        raise TrainingError(
            f"The data, template or recipe changed since the checkpoints in {run.train} were "
            "written; resuming would mix two trainings. Use --force to start over.")
    barrier()
    copy = run.train / TEMPLATES_COPY
    if is_main_process():
        write_json(inputs_file, {"inputs": inputs})
        # The template file as this training uses it, kept in the run (and embedded in the
        # model card): a later edit of the app's file must not change this model's prompt.
        if not copy.is_file():
            write_atomic(copy, default_templates_file().read_text(encoding="utf-8"))
    barrier()
    templates = load_templates(copy)
    events = event_logger(run.train / "events.jsonl")

    tokenizer = load_tokenizer(hf.model)
    t = recipe.train
    train_set = build_samples(read_reports(train_file), tokenizer, template_id, templates,
                              t.max_source_length, t.max_target_length)
    validation = read_reports(valid_file) if valid_file.is_file() else []
    eval_set = build_samples(validation, tokenizer, template_id, templates,
                             t.max_source_length, t.max_target_length)
    if not train_set.samples:
        raise TrainingError(f"No training sample fits: {train_set.dropped}.")
    cuda, bf16 = detect()
    precision = choose_precision(recipe.model, t, cuda, bf16)
    stage_one, stage_two = split_stages(train_set.samples, t.stage_one_fraction, recipe.data.seed)

    stage1_dir, stage2_dir = run.train / "stage1", run.train / "stage2"
    base = load_base_for_training(hf.model, precision)
    # Pick up where an earlier process stopped: after stage two (only the ROUGE figures
    # were missing), after stage one, or from the start.
    if (stage2_dir / "stage.json").is_file():
        model = load_adapter(base, stage2_dir / "adapter", trainable=False)
    elif stage_one and (stage1_dir / "stage.json").is_file():
        model = load_adapter(base, stage1_dir / "adapter", trainable=True)
    else:
        model = add_lora(base, t, with_embeddings=bool(stage_one),
                         full_embeddings=mode == "full")
        if winner is not None:
            taken = inherit_lora(model, winner)
            events("inherit", adapter=str(winner), tensors=taken)
    board = tensorboard_dir(run.train, events)
    results: list[dict[str, Any]] = []
    stages = ((1, "stage1", stage1_dir, stage_one), (2, "stage2", stage2_dir, stage_two))
    for number, name, folder, samples in stages:
        if not samples:
            continue
        done = folder / "stage.json"
        if done.is_file():
            results.append(read_json(done))
            continue
        result: StageResult = run_stage(name, number, model, tokenizer, samples,
                                        eval_set.samples, t, precision, folder, t.epochs, events,
                                        tensorboard=board)
        save_adapter(model, folder / "adapter")
        if is_main_process():
            write_json(done, result.as_dict())
        results.append(result.as_dict())
    barrier()
    rouge = None
    if is_main_process() and recipe.prompt.rouge_samples > 0 and validation:
        rouge = generate_rouge(model, tokenizer, validation, template_id, templates,
                               recipe.prompt.rouge_samples,
                               recipe.prompt.rouge_max_new_tokens).__dict__
    summary = {
        "template_id": template_id,
        "template_version": templates.version,
        "prompt_layout": "chat template" if train_set.used_chat_template else "plain",
        "embeddings": mode if stage_one else "none",
        "started_from": str(winner) if winner else None,
        "precision": precision.__dict__,
        "processes": world_size(),
        "gradient_accumulation": accumulation_steps(t, world_size()),
        "effective_batch_size": t.effective_batch_size,
        "samples": {"stage1": len(stage_one), "stage2": len(stage_two),
                    "validation": len(eval_set.samples), "dropped": train_set.dropped,
                    "findings_cut": train_set.truncated},
        "stages": results,
        "eval_loss_before": results[0]["eval_loss_before"] if results else None,
        "eval_loss_after": results[-1]["eval_loss_after"] if results else None,
        "rouge_l_validation": rouge,
        "data_sha256": data_sha,
        "adapter": str(run.adapter),
    }
    if is_main_process():
        write_json(run.train / "summary.json", summary)
    run.record("train", recipe, inputs, started, summary)
    return summary
