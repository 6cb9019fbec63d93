"""`python -m training <step>`: argument parsing only; each step is a function of its module."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from radval_desktop.errors import RadvalError
from training.errors import TrainingError
from training.recipe import Recipe, build_recipe, describe, parse_sets, read_toml
from training.run_folder import (
    STEPS,
    RunFolder,
    is_main_process,
    owner_only,
    read_json,
    write_json,
)

EXIT_ERROR = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m training",
        description="Fine-tune an impression model from institution exports (SPEC §4): "
                    "prepare -> select-prompt -> train -> merge -> export. Each step is "
                    "resumable and records what it did in the run folder's run.json.")
    sub = parser.add_subparsers(dest="step", required=True)
    helps = {
        "prepare": "clean and split the institutions' exports; write the data card",
        "select-prompt": "a short run per prompt template; record the best",
        "train": "stage one (embeddings) and stage two (LoRA), resumable",
        "merge": "merge the adapter into the full-precision base",
        "export": "convert to GGUF, quantize, write the model card",
        "all": "every step above in order (skips what is done)",
        "export-adapter": "the trained adapter as a GGUF LoRA for llama.cpp",
    }
    for step, text in helps.items():
        p = sub.add_parser(step, help=text)
        p.add_argument("--run-dir", required=True, type=Path, help="the run folder")
        p.add_argument("--recipe", type=Path, help="recipe TOML over the bundled defaults "
                       "(resources/training/qlora.toml); default: the run's last recipe")
        p.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                       help="override one recipe value, e.g. --set model.base=/models/llama2")
        p.add_argument("--force", action="store_true", help="redo the step even if done")
    p_fetch = sub.add_parser("fetch-converter",
                             help="unpack llama.cpp's converter for the installed "
                                  "llama-cpp-python (needs the package index once)")
    p_fetch.add_argument("--force", action="store_true", help="fetch again")
    sub.add_parser("recipe", help="print every recipe key with its default and meaning")
    p_status = sub.add_parser("status", help="steps done, training progress, the plan and the "
                                             "device of a run (loads no model)")
    p_status.add_argument("run_dir", type=Path, metavar="RUN", help="the run folder")
    return parser


def resolve_recipe(run: RunFolder, recipe_file: Path | None, sets: list[str]) -> Recipe:
    """Defaults, then the run's stored recipe, then --recipe, then --set; stored back."""
    layers: list[dict[str, Any]] = []
    if run.recipe_file.is_file():
        layers.append(read_json(run.recipe_file))
    if recipe_file is not None:
        layers.append(read_toml(recipe_file))
    layers.append(parse_sets(sets))
    recipe = build_recipe(*layers)
    if is_main_process():
        run.create()
        write_json(run.recipe_file, recipe.as_dict())
    return recipe


def _steps() -> dict[str, Callable[[Recipe, RunFolder, bool], dict[str, Any]]]:
    # Imported on use: `prepare` must not pay for (or need) torch.
    def prepare(recipe: Recipe, run: RunFolder, force: bool) -> dict[str, Any]:
        from training.prepare import prepare as step

        result = step(recipe, run, force)
        return {"counts": result.counts, "skipped": result.skipped,
                "data_card": str(run.data / "data_card.md"),
                "lengths": _lengths_total(result.lengths)}

    def select(recipe: Recipe, run: RunFolder, force: bool) -> dict[str, Any]:
        from training.select_prompt import select_prompt

        return select_prompt(recipe, run, force)

    def train(recipe: Recipe, run: RunFolder, force: bool) -> dict[str, Any]:
        from training.train import train as step

        return step(recipe, run, force)

    def merge(recipe: Recipe, run: RunFolder, force: bool) -> dict[str, Any]:
        from training.merge import merge as step

        return step(recipe, run, force)

    def export(recipe: Recipe, run: RunFolder, force: bool) -> dict[str, Any]:
        from training.export import export as step

        return step(recipe, run, force)

    def export_adapter(recipe: Recipe, run: RunFolder, force: bool) -> dict[str, Any]:
        from training.adapter_export import export_adapter as step

        return step(recipe, run)

    return {"prepare": prepare, "select-prompt": select, "train": train, "merge": merge,
            "export": export, "export-adapter": export_adapter}


def _lengths_total(lengths: dict[str, Any]) -> dict[str, int] | str:
    """The whole of prepare's length counts (each institution and body system in the card)."""
    if "per_institution" not in lengths:
        return str(lengths.get("skipped", "not counted"))
    rows = [r for systems in lengths["per_institution"].values() for r in systems.values()]
    return {"reports": sum(r["reports"] for r in rows),
            "findings_cut": sum(r["truncated"] for r in rows),
            "dropped": sum(sum(r["dropped"].values()) for r in rows)}


def _print(step: str, summary: dict[str, Any]) -> None:
    if is_main_process():
        short = {k: v for k, v in summary.items() if k not in ("stages", "cleaning", "ranking",
                                                               "precision")}
        print(f"{step}: " + json.dumps(short, ensure_ascii=False, default=str))


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="training: %(message)s")
    try:
        if args.step == "recipe":
            print(describe())
            return 0
        if args.step == "status":
            from training.status import status

            print(status(RunFolder(args.run_dir)))
            return 0
        if args.step == "fetch-converter":
            from training.converter import fetch_converter

            converter, fetched = fetch_converter(args.force)
            print(f"llama.cpp converter for llama-cpp-python {converter.version} "
                  f"{'unpacked into' if fetched else 'already in'} {converter.root}")
            return 0
        if int(os.environ.get("WORLD_SIZE", "1")) > 1 and args.step not in ("train",
                                                                              "select-prompt"):
            raise TrainingError(f"`{args.step}` runs in one process; launch only `train` (and "
                                "`select-prompt`) with torchrun or accelerate.")
        with owner_only():  # splits, problems.jsonl, checkpoints: patients' reports
            run = RunFolder(args.run_dir)
            recipe = resolve_recipe(run, args.recipe, args.set)
            steps = _steps()
            if args.step == "all":
                for step in STEPS:
                    if step == "select-prompt" and recipe.prompt.template != "auto":
                        continue
                    _print(step, steps[step](recipe, run, args.force))
                return 0
            _print(args.step, steps[args.step](recipe, run, args.force))
            return 0
    except RadvalError as err:
        print(f"training: {err}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
