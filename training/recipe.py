"""The training recipe: typed settings of every step, read from TOML over the bundled defaults."""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from radval_desktop import paths
from training.errors import RecipeError


def _help(text: str) -> Any:
    return field(metadata={"help": text})


@dataclass(frozen=True)
class ModelConfig:
    base: str = _help("local Hugging Face model directory, or a GGUF file, to fine-tune")
    device: str = _help("auto, cuda or cpu: where training runs")
    quantization: str = _help("auto, nf4 or none: how the base is loaded for training")
    compute_dtype: str = _help("auto, bfloat16, float16 or float32")
    gradient_checkpointing: str = _help("auto, true or false")
    trust_remote_code: bool = _help("let transformers run the model folder's own code")


@dataclass(frozen=True)
class DataConfig:
    institutions: str = _help("institution mapping TOML for `prepare`")
    terms_file: str = _help("non-essential terms corpus; empty = the bundled one")
    aliases_file: str = _help("body-system and modality alias list; empty = the bundled "
                              "resources/aliases.toml (the app's)")
    seed: int = _help("seed of the split, the validation slice and stage one's sample")
    train_fraction: float = _help("share of institution 1 used for training")
    validation_fraction: float = _help("share of the training part held out for evaluation")


@dataclass(frozen=True)
class PromptConfig:
    template: str = _help("auto = select-prompt's choice, or a template id")
    candidates: list[str] = _help("templates select-prompt compares; empty = all")
    select_epochs: float = _help("epochs of each candidate's short run when select_steps is 0")
    select_steps: int = _help("optimizer steps each candidate trains before it is ranked")
    select_max_samples: int = _help("training samples per candidate run")
    rouge_samples: int = _help("validation cases generated for ROUGE-L")
    rouge_max_new_tokens: int = _help("tokens generated per case for ROUGE-L")


@dataclass(frozen=True)
class TrainConfig:
    lora_r: int = _help("LoRA rank")
    lora_alpha: int = _help("LoRA alpha (scale = alpha / r)")
    lora_dropout: float = _help("dropout on the LoRA input")
    target_modules: list[str] = _help("linear layers that get LoRA in stage two")
    embedding_modules: list[str] = _help("embedding layers stage one trains")
    embeddings: str = _help("full (the embedding matrix, merged export), lora (an adapter "
                            "can carry it) or auto (full for a model folder, lora for a GGUF)")
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


def _nearest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def merge_layers(*layers: dict[str, Any], problems: list[str] | None = None
                 ) -> dict[str, dict[str, Any]]:
    """Later layers win, key by key. Unknown sections and keys, and values of the wrong type,
    are added to ``problems`` (one sentence each) and dropped; without a list they raise.

    A training recipe refuses what it does not know, unlike the app's settings: a misspelt
    key would otherwise train for hours with the default (issue 16)."""
    found: list[str] = [] if problems is None else problems
    merged: dict[str, dict[str, Any]] = {}
    for layer in layers:
        for section, table in layer.items():
            if section not in SECTIONS:
                near = _nearest(section, list(SECTIONS))
                found.append(f"[{section}] is not a recipe section{near}; the sections are "
                             f"{', '.join(SECTIONS)}.")
                continue
            if not isinstance(table, dict):
                found.append(f"Recipe '{section}' should be a [section] table, not {table!r}.")
                continue
            hints = typing.get_type_hints(SECTIONS[section])
            for key, value in table.items():
                if key not in hints:
                    near = _nearest(f"{section}.{key}", [f"{section}.{k}" for k in hints])
                    found.append(f"{section}.{key} is not a recipe key{near}; "
                                 "`python -m training recipe` lists them.")
                    continue
                try:
                    merged.setdefault(section, {})[key] = _coerce(f"{section}.{key}", value,
                                                                  hints[key])
                except RecipeError as err:
                    found.append(str(err))
    if problems is None and found:
        raise RecipeError(_problems_sentence(found))
    return merged


def _problems_sentence(problems: list[str]) -> str:
    if len(problems) == 1:
        return problems[0]
    return (f"The recipe has {len(problems)} problems; nothing was loaded or trained:\n"
            + "\n".join(f"- {p}" for p in problems))


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
    """The bundled defaults overlaid with ``layers`` (dicts shaped like the TOML), checked:
    every problem is refused here, before any model loads, with one sentence each."""
    problems: list[str] = []
    merged = merge_layers(read_toml(defaults_file()), *layers, problems=problems)
    if problems:
        raise RecipeError(_problems_sentence(problems))
    sections = {}
    for name, cls in SECTIONS.items():
        values = merged.get(name, {})
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in values]
        if missing:
            raise RecipeError(f"The recipe defaults lack {name}.{', '.join(missing)}.")
        sections[name] = cls(**values)
    recipe = Recipe(**sections)
    problems = validate(recipe)
    if problems:
        raise RecipeError(_problems_sentence(problems))
    return recipe


# Values a key may take where its type alone does not say (export.outtype: export.OUTTYPES).
_CHOICES: dict[str, tuple[str, ...]] = {
    "model.quantization": ("auto", "nf4", "none"),
    "model.device": ("auto", "cuda", "cpu"),
    "model.compute_dtype": ("auto", "bfloat16", "float16", "float32"),
    "model.gradient_checkpointing": ("auto", "true", "false"),
    "train.embeddings": ("auto", "full", "lora"),
    "merge.dtype": ("bfloat16", "float16", "float32"),
    "merge.save_dtype": ("auto", "bfloat16", "float16", "float32"),
    "export.outtype": ("auto", "f32", "f16", "bf16", "q8_0"),
}
# Keys that count something: zero or less cannot train.
_AT_LEAST_ONE = ("train.lora_r", "train.lora_alpha", "train.per_device_batch_size",
                 "train.effective_batch_size", "train.max_source_length",
                 "train.max_target_length", "train.save_steps", "train.keep_checkpoints",
                 "train.eval_steps", "train.logging_steps", "prompt.select_max_samples",
                 "prompt.rouge_max_new_tokens")
_AT_LEAST_ZERO = ("train.max_steps", "train.warmup_steps", "train.weight_decay",
                  "prompt.rouge_samples", "export.threads", "prompt.select_steps")
_ABOVE_ZERO = ("train.learning_rate", "train.max_grad_norm", "prompt.select_epochs")


def validate(recipe: Recipe) -> list[str]:
    """Every value that cannot work, one sentence each (empty: the recipe can run)."""
    values = {f"{section}.{key}": value for section, table in recipe.as_dict().items()
              for key, value in table.items()}
    problems = []
    for key, choices in _CHOICES.items():
        if values[key] not in choices:
            problems.append(f"{key} must be {_or(choices)}, not '{values[key]}'.")
    problems += [f"{key} must be at least 1, not {values[key]}." for key in _AT_LEAST_ONE
                 if values[key] < 1]
    problems += [f"{key} must be at least 0, not {values[key]}." for key in _AT_LEAST_ZERO
                 if values[key] < 0]
    problems += [f"{key} must be above 0, not {values[key]}." for key in _ABOVE_ZERO
                 if not values[key] > 0]
    t = recipe.train
    if t.max_steps == 0 and not t.epochs > 0:
        problems.append(f"train.epochs must be above 0 (or train.max_steps set), not {t.epochs}.")
    if t.per_device_batch_size >= 1 and t.effective_batch_size % t.per_device_batch_size:
        problems.append(f"train.effective_batch_size {t.effective_batch_size} is not a multiple "
                        f"of train.per_device_batch_size {t.per_device_batch_size}.")
    for key in ("train.lora_dropout", "train.stage_one_fraction", "data.validation_fraction"):
        if not 0 <= values[key] < 1:
            problems.append(f"{key} must be at least 0 and below 1, not {values[key]}.")
    if not 0 < recipe.data.train_fraction < 1:
        problems.append("data.train_fraction must be between 0 and 1.")
    if not t.target_modules:
        problems.append("train.target_modules must name at least one layer (q_proj, v_proj...).")
    return problems


def _or(choices: tuple[str, ...]) -> str:
    return "one of " + ", ".join(choices) if len(choices) > 3 else \
        ", ".join(choices[:-1]) + " or " + choices[-1]


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
