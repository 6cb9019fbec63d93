"""Loading the base model offline, adding LoRA, and choosing what each stage trains."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from training.errors import TrainingError
from training.precision import Precision
from training.recipe import ModelConfig, Recipe, TrainConfig

log = logging.getLogger(__name__)


def go_offline() -> None:
    """Training makes no network call: the base and its tokenizer are local files (SPEC §4)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def base_dir(model: ModelConfig) -> Path:
    if not model.base:
        raise TrainingError("Set model.base to a local Hugging Face model directory or GGUF "
                            "file (--set model.base=/models/llama-2-7b-hf); nothing is "
                            "downloaded.")
    path = Path(model.base).expanduser()
    if not (path / "config.json").is_file():
        raise TrainingError(f"model.base {path} is not a Hugging Face model directory "
                            "(no config.json); nothing is downloaded, so it must be local.")
    return path


def load_tokenizer(model: ModelConfig) -> Any:
    go_offline()
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_dir(model), local_files_only=True,
                                              trust_remote_code=model.trust_remote_code)
    if tokenizer.eos_token_id is None:
        raise TrainingError(f"The tokenizer of {model.base} has no EOS token: the model could "
                            "not learn where an impression ends.")
    if tokenizer.pad_token_id is None:
        # Padding positions are masked out of attention and loss, so any id will do; EOS is
        # the usual choice for Llama, which has no pad token. In memory only: the merged
        # model's tokenizer files are copied from the base untouched.
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def torch_dtype(name: str) -> Any:
    import torch

    return {"bfloat16": torch.bfloat16, "float16": torch.float16,
            "float32": torch.float32}[name]


def load_base_for_training(model: ModelConfig, precision: Precision) -> Any:
    """The base as QLoRA trains it: 4-bit NF4 on CUDA, full precision on CPU."""
    go_offline()
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"dtype": torch_dtype(precision.compute_dtype),
                              "local_files_only": True,
                              "trust_remote_code": model.trust_remote_code}
    if precision.load_in_4bit:
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",  # QLoRA's 4-bit NormalFloat
            bnb_4bit_use_double_quant=True,  # QLoRA: quantized quantization constants
            bnb_4bit_compute_dtype=torch_dtype(precision.compute_dtype),
        )
        kwargs["device_map"] = precision.device_map() or "cpu"
    base = AutoModelForCausalLM.from_pretrained(base_dir(model), **kwargs)
    base.config.use_cache = False  # the KV cache is useless in training and costs memory
    if precision.load_in_4bit:
        from peft import prepare_model_for_kbit_training

        base = prepare_model_for_kbit_training(
            base, use_gradient_checkpointing=precision.gradient_checkpointing,
            gradient_checkpointing_kwargs={"use_reentrant": False})
    elif precision.gradient_checkpointing:
        base.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        base.enable_input_require_grads()  # checkpointed blocks need a grad-carrying input
    return base


def embeddings_mode(recipe: Recipe) -> str:
    """How stage one trains the embeddings: "full" (the paper: the matrix itself) or "lora".

    auto: full for a model folder, whose run ends in `merge`/`export`; lora for a GGUF base,
    which only ever yields an adapter, and an adapter applied by llama.cpp on the quantized
    base carries a LoRA on token_embd but not a new embedding matrix.
    """
    if recipe.train.embeddings != "auto":
        return recipe.train.embeddings
    return "lora" if recipe.model.base.lower().endswith(".gguf") else "full"


def add_lora(base: Any, train: TrainConfig, with_embeddings: bool,
             full_embeddings: bool = False) -> Any:
    """One adapter for both stages: the embeddings (stage one; the whole matrix as a trained
    copy when ``full_embeddings``, else their LoRA) and LoRA on the linear layers."""
    from peft import LoraConfig, get_peft_model

    targets = list(train.target_modules)
    to_save = None
    if with_embeddings and full_embeddings:
        to_save = list(train.embedding_modules)  # PEFT keeps a trainable copy of each
    elif with_embeddings:
        targets += list(train.embedding_modules)
    config = LoraConfig(r=train.lora_r, lora_alpha=train.lora_alpha,
                        lora_dropout=train.lora_dropout, target_modules=targets, bias="none",
                        task_type="CAUSAL_LM", modules_to_save=to_save)
    try:
        return get_peft_model(base, config)
    except ValueError as err:
        linear = sorted({name.rsplit(".", 1)[-1] for name, module in base.named_modules()
                         if type(module).__name__.startswith("Linear")})
        raise TrainingError(f"LoRA cannot be attached ({err}). Set train.target_modules to this "
                            f"model's linear layers: {', '.join(linear[:20])}.") from err


def load_adapter(base: Any, adapter: Path, trainable: bool) -> Any:
    from peft import PeftModel

    return PeftModel.from_pretrained(base, str(adapter), is_trainable=trainable)


def _adapter_config(adapter: Path) -> dict[str, Any]:
    import json

    config: dict[str, Any] = json.loads((adapter / "adapter_config.json").read_text(
        encoding="utf-8"))
    return config


def adapter_trains_embeddings(adapter: Path, train: TrainConfig) -> bool:
    """Whether a saved PEFT adapter changes an embedding module (its LoRA or the matrix)."""
    targets = _adapter_config(adapter).get("target_modules") or []
    # PEFT stores a list of names, or one regular expression as text.
    return adapter_has_full_embeddings(adapter, train) or any(
        m in targets if isinstance(targets, list) else m in str(targets)
        for m in train.embedding_modules)


def adapter_has_full_embeddings(adapter: Path, train: TrainConfig) -> bool:
    """Whether a saved PEFT adapter holds a whole trained embedding matrix (modules_to_save)."""
    saved = _adapter_config(adapter).get("modules_to_save") or []
    return any(m in saved for m in train.embedding_modules)


def is_embedding_lora(name: str, train: TrainConfig) -> bool:
    return "lora_embedding" in name and any(f".{m}." in name for m in train.embedding_modules)


def is_embedding_copy(name: str, train: TrainConfig) -> bool:
    """The trained copy of a whole embedding matrix (PEFT's modules_to_save)."""
    return ".modules_to_save." in name and any(f".{m}." in name or name.startswith(f"{m}.")
                                                for m in train.embedding_modules)


def set_stage(model: Any, stage: int, train: TrainConfig) -> int:
    """Algorithm 2 step 3. Stage 1: only the embeddings learn (their matrix or their LoRA),
    the transformer and its LoRA frozen. Stage 2: the LoRA learns and the embeddings keep
    training ("training continues ... while simultaneously updating LoRA parameters").
    Returns the number of trainable values."""
    count = 0
    for name, param in model.named_parameters():
        embedding = is_embedding_lora(name, train) or is_embedding_copy(name, train)
        trainable = embedding or ("lora_" in name and stage == 2)
        param.requires_grad_(trainable)
        count += param.numel() if trainable else 0
    if count == 0:
        raise TrainingError(f"Stage {stage} has nothing to train: check train.target_modules "
                            "and train.embedding_modules.")
    return count
