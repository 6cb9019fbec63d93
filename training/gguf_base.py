"""A GGUF file as `model.base`: dequantized once into the run folder as a Hugging Face model.

The app ships its default model only as a quantized GGUF, and no Hugging Face copy can be
fetched on the machines it runs on (issue 16). transformers reads a GGUF (with the `gguf`
package) and dequantizes it to float32; training, merging and `export-adapter` then use that
folder, while the adapter is applied in the app on top of the original quantized file.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path
from typing import Any

from radval_desktop.engine.checksums import sha256_file
from radval_desktop.engine.gguf_file import read_gguf
from radval_desktop.errors import RadvalError
from training.errors import TrainingError
from training.modeling import go_offline
from training.recipe import ModelConfig, Recipe
from training.run_folder import RunFolder, read_json, write_json

MARKER = "gguf_base.json"


def is_gguf_base(model: ModelConfig) -> bool:
    return model.base.lower().endswith(".gguf")


def gguf_file(model: ModelConfig) -> Path:
    path = Path(model.base).expanduser()
    if not path.is_file():
        raise TrainingError(f"model.base {path} does not exist: give a local GGUF file or a "
                            "Hugging Face model directory; nothing is downloaded.")
    return path


def dequantized_dir(run: RunFolder) -> Path:
    return run.root / "base"


def _dequantize(source: Path, target: Path) -> float:
    """transformers' GGUF loader: the tensors dequantized to float32, saved as safetensors."""
    go_offline()
    try:
        import gguf  # noqa: F401  (transformers needs it to read the file)
    except ImportError as err:
        raise TrainingError("Reading a GGUF base needs the `gguf` package: install the training "
                            'extra (pip install -e ".[training]").') from err
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    try:
        model = AutoModelForCausalLM.from_pretrained(str(source.parent), gguf_file=source.name,
                                                     local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name,
                                                  local_files_only=True)
    except (ValueError, KeyError, RuntimeError) as err:
        raise TrainingError(f"transformers cannot read {source.name} as a base model ({err}); "
                            "use a Hugging Face model directory instead.") from err
    # The weights are plain float32 now; transformers refuses to save a model that still
    # says it is GGUF-quantized (ENVIRONMENT.md).
    setattr(model, "hf_quantizer", None)  # noqa: B010  (typed as a module attribute)
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(str(target))
    tokenizer.save_pretrained(str(target))
    return time.perf_counter() - started


def ensure_dequantized(model: ModelConfig, run: RunFolder) -> Path:
    """The run's Hugging Face copy of the GGUF base, made once (again if the file changed)."""
    source = gguf_file(model)
    target = dequantized_dir(run)
    marker = target / MARKER
    digest = sha256_file(source)
    if marker.is_file() and read_json(marker).get("sha256") == digest \
            and (target / "config.json").is_file():
        return target
    try:
        info = read_gguf(source)
    except RadvalError as err:
        raise TrainingError(f"model.base {source} is not a usable GGUF file: {err}") from err
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    seconds = _dequantize(source, tmp)
    write_json(tmp / MARKER, {"gguf": str(source), "sha256": digest,
                              "size": source.stat().st_size,
                              "architecture": info.architecture,
                              "quantization": info.quantization,
                              "seconds": round(seconds, 2)})
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def with_hf_base(recipe: Recipe, run: RunFolder) -> Recipe:
    """``recipe`` with model.base pointing at a Hugging Face folder (the run's dequantized
    copy when the base is a GGUF file); unchanged otherwise."""
    if not is_gguf_base(recipe.model):
        return recipe
    folder = ensure_dequantized(recipe.model, run)
    return dataclasses.replace(recipe, model=dataclasses.replace(recipe.model, base=str(folder)))


def is_tied(hf_base: Path) -> bool:
    """Whether the model's output layer shares the embeddings' tensor (config.json)."""
    config = read_json(hf_base / "config.json")
    text = config.get("text_config") or {}
    return bool(config.get("tie_word_embeddings", text.get("tie_word_embeddings", True)))


TIED_ADAPTER = ("{name}'s output layer shares the embeddings' tensor, and llama.cpp applies a "
                "LoRA on the embeddings to that output layer too (or stops the app), so an "
                "adapter with one would not be the model trained. {fix}")


def base_record(model: ModelConfig, run: RunFolder) -> dict[str, Any]:
    """What a model card says of a GGUF base: the file the adapter applies to, by sha256."""
    marker = read_json(dequantized_dir(run) / MARKER)
    source = Path(marker["gguf"])
    return {"name": source.stem, "path": str(source), "format": "gguf",
            "sha256": marker["sha256"], "size": marker["size"],
            "architecture": marker["architecture"], "quantization": marker["quantization"],
            "dequantized_to": str(dequantized_dir(run))}
