"""The `export` step: merged model -> GGUF (llama.cpp's converter) -> quantized -> model card."""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from radval_desktop.engine.checksums import sha256_file
from radval_desktop.engine.gguf_file import read_gguf
from radval_desktop.engine.model_card import CARD_FORMAT, CARD_FORMAT_VERSION, card_path
from radval_desktop.errors import RadvalError
from radval_desktop.prompts import load_templates
from training.converter import Converter, require_converter
from training.errors import TrainingError
from training.gguf_base import base_record, is_gguf_base
from training.modeling import base_dir
from training.recipe import Recipe
from training.run_folder import RunFolder, read_json, sha256_files, write_json
from training.train import TEMPLATES_COPY

OUTTYPES = ("auto", "f32", "f16", "bf16", "q8_0")


def model_name(recipe: Recipe) -> str:
    if recipe.export.name:
        return recipe.export.name
    base = Path(recipe.model.base).expanduser()
    return f"radval-{base.stem if is_gguf_base(recipe.model) else base_dir(recipe.model).name}"


def convert(converter: Converter, model_dir: Path, out_dir: Path, name: str,
            outtype: str) -> Path:
    """The converter's GGUF, named after the type it holds (auto -> f16 or bf16)."""
    if outtype not in OUTTYPES:
        raise TrainingError(f"export.outtype must be one of {', '.join(OUTTYPES)}.")
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f".{name}.converting.gguf"
    tmp.unlink(missing_ok=True)
    converter.run(converter.hf_script, [str(model_dir), "--outfile", str(tmp),
                                        "--outtype", outtype])
    file_type = read_gguf(tmp).quantization.lower() or outtype
    final = out_dir / f"{name}-{file_type}.gguf"
    os.replace(tmp, final)
    return final


def quantize(source: Path, target: Path, kind: str, threads: int = 0) -> float:
    """llama.cpp's quantizer through llama-cpp-python's ctypes API; returns the seconds."""
    import llama_cpp

    ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{kind.upper()}", None)
    if ftype is None:
        known = sorted(n.removeprefix("LLAMA_FTYPE_MOSTLY_") for n in dir(llama_cpp)
                       if n.startswith("LLAMA_FTYPE_MOSTLY_"))
        raise TrainingError(f"Unknown quantization '{kind}'; llama.cpp knows {', '.join(known)}.")
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    params.nthread = threads or (os.cpu_count() or 1)
    tmp = target.with_name(f".{target.name}.quantizing")
    tmp.unlink(missing_ok=True)
    started = time.perf_counter()
    code = llama_cpp.llama_model_quantize(str(source).encode(), str(tmp).encode(),
                                          ctypes.byref(params))
    seconds = time.perf_counter() - started
    if code != 0:
        tmp.unlink(missing_ok=True)
        raise TrainingError(f"llama.cpp could not quantize {source.name} to {kind} "
                            f"(code {code}).")
    os.replace(tmp, target)
    return seconds


def check_loads(path: Path) -> dict[str, Any]:
    """The GGUF's header as the app reads it, and a load through llama.cpp with a tokenization."""
    from llama_cpp import Llama

    try:
        info = read_gguf(path)
    except RadvalError as err:
        raise TrainingError(f"The exported {path.name} is not a valid GGUF: {err}") from err
    llm = Llama(model_path=str(path), n_ctx=64, n_threads=1, verbose=False)
    try:
        tokens = llm.tokenize(b"Findings", add_bos=True)
        n_params = int(llm._model.n_params())
    finally:
        llm.close()
    if not tokens:
        raise TrainingError(f"{path.name} loads but tokenizes nothing.")
    return {"architecture": info.architecture, "quantization": info.quantization,
            "parameters": n_params, "tensors": info.tensor_count, "size": info.file_size,
            "chat_template": bool(info.chat_template)}


def _hyperparameters(recipe: Recipe, train_summary: dict[str, Any]) -> dict[str, Any]:
    t = recipe.train
    return {"method": "QLoRA" if train_summary.get("precision", {}).get("load_in_4bit")
            else "LoRA (full-precision base)",
            "lora_r": t.lora_r, "lora_alpha": t.lora_alpha, "lora_dropout": t.lora_dropout,
            "target_modules": t.target_modules, "embedding_modules": t.embedding_modules,
            "stage_one_fraction": t.stage_one_fraction, "learning_rate": t.learning_rate,
            "lr_scheduler": t.lr_scheduler, "epochs": t.epochs, "max_steps": t.max_steps,
            "per_device_batch_size": t.per_device_batch_size,
            "effective_batch_size": t.effective_batch_size,
            "gradient_accumulation": train_summary.get("gradient_accumulation"),
            "processes": train_summary.get("processes"),
            "max_source_length": t.max_source_length, "max_target_length": t.max_target_length,
            "precision": train_summary.get("precision", {}).get("reason"),
            "seed": t.seed}


def write_card(recipe: Recipe, run: RunFolder, model: Path, checked: dict[str, Any],
               extra: dict[str, Any]) -> Path:
    train_summary = read_json(run.train / "summary.json")
    data_card = read_json(run.data / "data_card.json")
    templates_file = run.train / TEMPLATES_COPY
    templates = load_templates(templates_file)
    if templates.version != train_summary["template_version"]:
        raise TrainingError(f"{templates_file} is not the template file training used "
                            f"(version {templates.version}, not "
                            f"{train_summary['template_version']}); train again.")
    rouge = train_summary["rouge_l_validation"]
    card = {
        "format": CARD_FORMAT,
        "format_version": CARD_FORMAT_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "model": {"file": model.name, "sha256": sha256_file(model), **checked},
        "base": _base(recipe, run),
        "prompt": {"template_id": train_summary["template_id"],
                   "template_version": train_summary["template_version"],
                   "layout": train_summary["prompt_layout"],
                   "templates_toml": templates_file.read_text(encoding="utf-8")},
        "data": {"columns": data_card["columns"], "cleaning": data_card["cleaning"],
                 "settings": data_card["settings"], "sha256": train_summary["data_sha256"]},
        "training": {"hyperparameters": _hyperparameters(recipe, train_summary),
                     "samples": train_summary["samples"],
                     "stages": [{k: s.get(k) for k in ("name", "steps", "samples", "seconds")}
                                for s in train_summary["stages"]]},
        "evaluation": {"eval_loss_before": train_summary["eval_loss_before"],
                       "eval_loss_after": train_summary["eval_loss_after"],
                       # Figures only: the drafts and references stay on the training
                       # server (they are patients' reports), not in a card that ships.
                       "rouge_l_validation": ({"cases": rouge["cases"],
                                               "rouge_l": rouge["rouge_l"]} if rouge else None),
                       "prompt_selection": _selection(run)},
        "export": extra,
    }
    path = card_path(model)
    write_json(path, card)
    return path


def _base(recipe: Recipe, run: RunFolder) -> dict[str, Any]:
    if is_gguf_base(recipe.model):
        return base_record(recipe.model, run)
    base = base_dir(recipe.model)
    return {"name": base.name, "path": str(base),
            "config_sha256": sha256_files([base / "config.json"])}


def _selection(run: RunFolder) -> dict[str, Any] | None:
    choice = run.select_prompt / "choice.json"
    return read_json(choice) if choice.is_file() else None


def export(recipe: Recipe, run: RunFolder, force: bool = False) -> dict[str, Any]:
    started = time.time()
    merged = run.merged
    if not (merged / "config.json").is_file():
        raise TrainingError(f"No merged model in {merged}: run `python -m training merge`.")
    converter = require_converter()
    weights = sorted(p for p in merged.iterdir() if p.is_file())
    inputs = hashlib.sha256((sha256_files(weights) + converter.version
                             + json.dumps(recipe.as_dict()["export"])).encode()).hexdigest()
    previous = run.step_record("export")
    if not force and previous and run.is_done("export", inputs) \
            and Path(previous["summary"]["model"]).is_file():
        return dict(previous["summary"], skipped=True)
    name = model_name(recipe)
    e = recipe.export
    t0 = time.perf_counter()
    unquantized = convert(converter, merged, run.export, name, e.outtype)
    convert_seconds = time.perf_counter() - t0
    final, quantize_seconds = unquantized, 0.0
    if e.quantization.lower() != "none":
        final = run.export / f"{name}-{e.quantization.upper()}.gguf"
        quantize_seconds = quantize(unquantized, final, e.quantization, e.threads)
    checked = check_loads(final)
    extra = {"converter": f"llama.cpp from llama-cpp-python {converter.version}",
             "outtype": e.outtype, "unquantized": unquantized.name,
             "unquantized_sha256": sha256_file(unquantized),
             "unquantized_size": unquantized.stat().st_size,
             "convert_seconds": round(convert_seconds, 2),
             "quantize_seconds": round(quantize_seconds, 3)}
    card = write_card(recipe, run, final, checked, extra)
    if final != unquantized and not e.keep_unquantized:
        unquantized.unlink()
    summary = {"model": str(final), "card": str(card), "size": final.stat().st_size,
               "sha256": sha256_file(final), **extra}
    run.record("export", recipe, inputs, started, summary)
    return summary
