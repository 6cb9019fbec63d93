"""How the base is loaded and trained here: 4-bit NF4 + bf16 on CUDA (QLoRA), fp32 on CPU."""

from __future__ import annotations

import os
from dataclasses import dataclass

from training.errors import RecipeError
from training.recipe import ModelConfig, TrainConfig

DTYPES = ("bfloat16", "float16", "float32")


@dataclass(frozen=True)
class Precision:
    device: str  # "cuda" or "cpu"
    load_in_4bit: bool
    compute_dtype: str  # one of DTYPES: the dtype of non-quantized weights and of compute
    bf16: bool  # Trainer's mixed-precision flags
    fp16: bool
    optimizer: str
    gradient_checkpointing: bool
    reason: str  # one sentence for the log and run.json

    def device_map(self) -> dict[str, int] | None:
        """bitsandbytes puts 4-bit weights on one device: under torchrun, this rank's GPU."""
        if self.device != "cuda":
            return None
        return {"": int(os.environ.get("LOCAL_RANK", "0"))}


def detect() -> tuple[bool, bool]:
    """(CUDA available, bf16 supported) as torch sees this machine."""
    import torch

    cuda = torch.cuda.is_available()
    return cuda, bool(cuda and torch.cuda.is_bf16_supported())


def choose_precision(model: ModelConfig, train: TrainConfig, cuda: bool,
                     bf16_supported: bool) -> Precision:
    """The plan for this machine; detection is passed in so tests can fake a GPU."""
    if model.device == "cpu":
        cuda = bf16_supported = False
    quant = model.quantization
    load_in_4bit = quant == "nf4" or (quant == "auto" and cuda)
    if model.compute_dtype == "auto":
        dtype = ("bfloat16" if bf16_supported else "float16") if cuda else "float32"
    elif model.compute_dtype in DTYPES:
        dtype = model.compute_dtype
    else:
        raise RecipeError(f"model.compute_dtype must be auto or one of {', '.join(DTYPES)}.")
    if not cuda and dtype == "float16":
        raise RecipeError("model.compute_dtype float16 needs a GPU; use float32 or bfloat16.")
    if train.optimizer == "auto":
        # QLoRA's paged optimizer absorbs memory spikes on the GPU; it needs CUDA.
        optimizer = "paged_adamw_32bit" if cuda and load_in_4bit else "adamw_torch"
    else:
        optimizer = train.optimizer
    checkpointing = model.gradient_checkpointing
    if checkpointing not in ("auto", "true", "false"):
        raise RecipeError("model.gradient_checkpointing must be auto, true or false.")
    gradient_checkpointing = cuda if checkpointing == "auto" else checkpointing == "true"
    where = "CUDA" if cuda else "CPU (no CUDA device)"
    weights = "4-bit NF4 (bitsandbytes)" if load_in_4bit else f"full precision ({dtype})"
    return Precision(
        device="cuda" if cuda else "cpu",
        load_in_4bit=load_in_4bit,
        compute_dtype=dtype,
        bf16=cuda and dtype == "bfloat16",
        fp16=cuda and dtype == "float16",
        optimizer=optimizer,
        gradient_checkpointing=gradient_checkpointing,
        reason=f"{where}: base weights {weights}, LoRA trained in {dtype}, {optimizer}",
    )
