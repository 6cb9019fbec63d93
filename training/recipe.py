"""The training recipe: typed settings of every step, read from TOML over the bundled defaults."""

from __future__ import annotations

import dataclasses
import logging
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from radval_desktop import paths
from training.errors import RecipeError

log = logging.getLogger(__name__)


def _help(text: str) -> Any:
    return field(metadata={"help": text})


@dataclass(frozen=True)
class ModelConfig:
    base: str = _help("local Hugging Face model directory, or a GGUF file, to fine-tune")
    quantization: str = _help("auto, nf4 or none: how the base is loaded for training")
    compute_dtype: str = _help("auto, bfloat16, float16 or float32")
    gradient_checkpointing: str = _help("auto, true or false")
    trust_remote_code: bool = _help("let transformers run the model folder's own code")


@dataclass(frozen=True)
class DataConfig:
    institutions: str = _help("institution mapping TOML for `prepare`")
    terms_file: str = _help("non-essential terms corpus; empty = the bundled one")
    seed: int = _help("seed of the split, the validation slice and stage one's sample")
    train_fraction: float = _help("share of institution 1 used for training")
    validation_fraction: float = _help("share of the training part held out for evaluation")


@dataclass(frozen=True)
class PromptConfig:
    template: str = _help("auto = select-prompt's choice, or a template id")
    candidates: list[str] = _help("templates select-prompt compares; empty = all")
    select_epochs: float = _help("epochs of each candidate's short run")
    select_max_samples: int = _help("training samples per candidate run")
    rouge_samples: int = _help("validation cases generated for ROUGE-L")
    rouge_max_new_tokens: int = _help("tokens generated per case for ROUGE-L")


@dataclass(frozen=True)
class TrainConfig:
    lora_r: int = _help("LoRA rank")
    lora_alpha: int = _help("LoRA alpha (scale = alpha / r)")
    lora_dropout: float = _help("dropout on the LoRA input")
    target_modules: list[str] = _help("linear layers that get LoRA in stage two")
    embedding_modules: list[str] = _help("embedding layers that get LoRA in stage one")
    stage_one_fraction: float = _help("share of training samples for stage one; 0 skips it")
    learning_rate: float = _help("peak learning rate")
    lr_scheduler: str = _help("transformers scheduler name (linear, cosine, ...)")
    warmup_steps: float = _help("warm-up steps (a value below 1 is a share of the steps)")
    weight_decay: float = _help("AdamW weight decay")
    max_grad_norm: float = _help("gradient clipping norm")
    optimizer: str = _help("auto or a transformers optimizer name")
    per_device_batch_size: int = _help("samples per device per forward pass")
    effective_batch_size: int = _help("samples per optimizer step over all devices")
    max_source_length: int = _help("most prompt tokens; longer samples are dropped")
    max_target_length: int = _help("most impression tokens; longer samples are dropped")
    epochs: float = _help("epochs of each stage")
    max_steps: int = _help("> 0: stop each stage after this many steps")
    save_steps: int = _help("checkpoint interval in steps")
    keep_checkpoints: int = _help("committed checkpoints kept per stage")
    eval_steps: int = _help("eval-loss interval in steps")
    logging_steps: int = _help("training-loss logging interval in steps")
    seed: int = _help("seed of LoRA initialisation and data order")


@dataclass(frozen=True)
class MergeConfig:
    dtype: str = _help("precision the base is reloaded at for the merge")
    save_dtype: str = _help("dtype of the merged weights on disk; auto = the base's")


@dataclass(frozen=True)
class ExportConfig:
    name: str = _help("file stem of the GGUF files")
    outtype: str = _help("converter output type: auto, f16, bf16, f32")
    quantization: str = _help("llama.cpp quantization type, or none")
    keep_unquantized: bool = _help("keep the converter's GGUF")
    threads: int = _help("quantizer threads; 0 = all cores")


@dataclass(frozen=True)
class Recipe:
    model: ModelConfig
    data: DataConfig
    prompt: PromptConfig
    train: TrainConfig
    merge: MergeConfig
    export: ExportConfig

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {f.name: dataclasses.asdict(getattr(self, f.name)) for f in dataclasses.fields(self)}


# section name -> its dataclass
SECTIONS: dict[str, type] = typing.get_type_hints(Recipe)


def defaults_file() -> Path:
    return paths.resources_dir() / "training" / "qlora.toml"


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise RecipeError(f"The recipe file {path} cannot be read: {err}.") from err


def _coerce(key: str, value: Any, wanted: Any) -> Any:
    origin = typing.get_origin(wanted)
    if origin is list:
        if isinstance(value, str):  # --set train.target_modules=q_proj,v_proj
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            raise RecipeError(f"'{key}' should be a list, not {value!r}.")
        return [str(v) for v in value]
    if wanted is bool:
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        if isinstance(value, bool):
            return value
    elif wanted is int:
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
        elif isinstance(value, int) and not isinstance(value, bool):
            return value
    elif wanted is float:
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        elif isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif wanted is str:
        return str(value)
    raise RecipeError(f"'{key}' should be {getattr(wanted, '__name__', wanted)}, not {value!r}.")


def merge_layers(*layers: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Later layers win, key by key; unknown sections and keys warn and are dropped."""
    merged: dict[str, dict[str, Any]] = {}
    for layer in layers:
        for section, table in layer.items():
            if section not in SECTIONS:
                log.warning("unknown recipe section [%s] ignored", section)
                continue
            if not isinstance(table, dict):
                log.warning("recipe '%s' is not a [section]; ignored", section)
                continue
            hints = typing.get_type_hints(SECTIONS[section])
            for key, value in table.items():
                if key not in hints:
                    log.warning("unknown recipe key %s.%s ignored", section, key)
                    continue
                merged.setdefault(section, {})[key] = _coerce(f"{section}.{key}", value,
                                                              hints[key])
    return merged


def parse_sets(pairs: list[str]) -> dict[str, dict[str, Any]]:
    """`section.key=value` pairs from the command line, as a recipe layer (values as text)."""
    layer: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        section, dot, key = name.strip().partition(".")
        if not sep or not dot or not key:
            raise RecipeError(f"--set takes section.key=value, not '{pair}'.")
        layer.setdefault(section, {})[key] = value.strip()
    return layer


def build_recipe(*layers: dict[str, Any]) -> Recipe:
    """The bundled defaults overlaid with ``layers`` (dicts shaped like the TOML)."""
    merged = merge_layers(read_toml(defaults_file()), *layers)
    sections = {}
    for name, cls in SECTIONS.items():
        values = merged.get(name, {})
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in values]
        if missing:
            raise RecipeError(f"The recipe defaults lack {name}.{', '.join(missing)}.")
        sections[name] = cls(**values)
    recipe = Recipe(**sections)
    _validate(recipe)
    return recipe


def _validate(recipe: Recipe) -> None:
    t = recipe.train
    if t.effective_batch_size % t.per_device_batch_size:
        raise RecipeError(f"train.effective_batch_size {t.effective_batch_size} is not a multiple "
                          f"of train.per_device_batch_size {t.per_device_batch_size}.")
    if not 0 < recipe.data.train_fraction < 1:
        raise RecipeError("data.train_fraction must be between 0 and 1.")
    if not 0 <= t.stage_one_fraction < 1:
        raise RecipeError("train.stage_one_fraction must be at least 0 and below 1.")
    for key, value in (("model.quantization", recipe.model.quantization),):
        if value not in ("auto", "nf4", "none"):
            raise RecipeError(f"{key} must be auto, nf4 or none, not '{value}'.")


def describe() -> str:
    """Every recipe key with its default and help, for `python -m training recipe`."""
    defaults = read_toml(defaults_file())
    lines = []
    for name, cls in SECTIONS.items():
        lines.append(f"[{name}]")
        for f in dataclasses.fields(cls):
            value = defaults.get(name, {}).get(f.name)
            lines.append(f"  {f.name} = {value!r}  # {f.metadata['help']}")
    return "\n".join(lines)
