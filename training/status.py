"""`python -m training status RUN`: what a run has done, what it plans and where it trains,
read from its records without loading a model."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from training.errors import RecipeError, TrainingError
from training.recipe import Recipe, build_recipe
from training.run_folder import STEPS, RunFolder, read_json
from training.stages import accumulation_steps, world_size


def _events(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:  # a line cut by a kill
            continue
    return events


def _figure(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, int | float) else "-"


def _planned_steps(recipe: Recipe, samples: int) -> int:
    t = recipe.train
    if t.max_steps > 0:
        return t.max_steps
    per_step = t.per_device_batch_size * world_size() * accumulation_steps(t, world_size())
    return math.ceil(math.ceil(samples / per_step) * t.epochs)


def _stage_lines(recipe: Recipe, run: RunFolder) -> list[str]:
    events = _events(run.train / "events.jsonl")
    lines = []
    for name in ("stage1", "stage2"):
        done = run.train / name / "stage.json"
        if done.is_file():
            result = read_json(done)
            lines.append(f"  {name}: {result['steps']} of {result['steps']} steps, done "
                         f"(eval loss {_figure(result.get('eval_loss_before'))} -> "
                         f"{_figure(result.get('eval_loss_after'))}, {result.get('seconds')} s)")
            continue
        mine = [e for e in events if e.get("stage") == name]
        starts = [e for e in mine if e["event"] == "start"]
        if not mine:
            continue
        logged = [e for e in mine if e["event"] == "log" and "loss" in e]
        step = max((int(e.get("step", 0)) for e in mine if "step" in e), default=0)
        total = _planned_steps(recipe, int(starts[-1]["samples"])) if starts else None
        loss = f", last loss {logged[-1]['loss']:.4g}" if logged else ""
        lines.append(f"  {name}: {step} of {total if total else '?'} steps{loss} (not finished)")
    return lines


def _plan(recipe: Recipe) -> str:
    t, m = recipe.train, recipe.model
    return (f"plan: base {m.base or '(model.base not set)'}; template {recipe.prompt.template}; "
            f"LoRA r={t.lora_r} alpha={t.lora_alpha} lr {t.learning_rate} ({t.lr_scheduler}); "
            f"effective batch {t.effective_batch_size} ({t.per_device_batch_size} per device x "
            f"{accumulation_steps(t, world_size())} accumulation x {world_size()} process(es)); "
            f"{t.epochs} epoch(s) per stage" + (f", at most {t.max_steps} steps"
                                                 if t.max_steps > 0 else "")
            + f"; stage one {t.stage_one_fraction:.0%} of the samples"
            + f"; export {recipe.export.quantization}")


def _device(recipe: Recipe) -> str:
    from training.precision import choose_precision, detect
    from training.preflight import preflight

    try:
        preflight(recipe)
    except RecipeError as err:
        return f"device: refused: {err}"
    cuda, bf16 = detect()
    plan = choose_precision(recipe.model, recipe.train, cuda, bf16)
    return f"device: {plan.device} ({plan.reason})"


def status(run: RunFolder) -> str:
    if not run.recipe_file.is_file() and not run.record_file.is_file():
        raise TrainingError(f"{run.root} is not a training run folder (no recipe.json or "
                            "run.json): give the --run-dir a step was run with.")
    recipe = build_recipe(read_json(run.recipe_file)) if run.recipe_file.is_file() \
        else build_recipe()
    steps = run.records()["steps"]
    lines = [f"run: {run.root}", "steps:"]
    for step in (*STEPS, "export-adapter"):
        record = steps.get(step)
        if record and record.get("finished"):
            lines.append(f"  {step}: done {record['finished']} ({record['seconds']} s)")
        elif step == "select-prompt" and recipe.prompt.template != "auto":
            lines.append(f"  {step}: not needed (prompt.template = {recipe.prompt.template})")
        elif step != "export-adapter":
            lines.append(f"  {step}: not run")
    stages = _stage_lines(recipe, run)
    if stages:
        lines += ["training:", *stages]
    lines += [_plan(recipe), _device(recipe)]
    board = run.train / "tensorboard"
    lines.append(f"curves: tensorboard --logdir {board}" if board.is_dir()
                 else f"curves: {run.train / 'events.jsonl'} (no TensorBoard logs)")
    return "\n".join(lines)
