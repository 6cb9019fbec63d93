"""Checks before any model loads: the machine can run what the recipe asks (issue 16)."""

from __future__ import annotations

import shutil
from pathlib import Path

from training.errors import RecipeError
from training.recipe import Recipe

_CUDA_WHEELS = "pip install torch --index-url https://download.pytorch.org/whl/cu124"


def gpu_seen() -> bool:
    """An NVIDIA GPU on this machine, whatever torch thinks (the driver's own files)."""
    gpus = Path("/proc/driver/nvidia/gpus")
    return (gpus.is_dir() and any(gpus.iterdir())) or Path("/dev/nvidia0").exists() \
        or shutil.which("nvidia-smi") is not None


def check_device(recipe: Recipe, torch_cuda: bool, gpu_seen: bool, torch_version: str) -> str:
    """"cuda" or "cpu": where training will run; a RecipeError sentence when that is not what
    was asked for, or when a GPU sits idle because torch cannot use it."""
    asked = recipe.model.device
    if asked == "cpu":
        return "cpu"
    if torch_cuda:
        return "cuda"
    if asked == "cuda":
        raise RecipeError(f"model.device is cuda, but torch {torch_version} cannot use CUDA "
                          "here (a CPU-only build of torch, or no GPU it can see): install a "
                          f"CUDA build ({_CUDA_WHEELS}) or set model.device=cpu.")
    if gpu_seen:
        raise RecipeError(f"This machine has an NVIDIA GPU, but torch {torch_version} is a "
                          "CPU-only build of torch (or cannot reach the GPU), so training would "
                          f"run on the CPU for hours: install a CUDA build ({_CUDA_WHEELS}), or "
                          "set model.device=cpu to train on the CPU anyway.")
    return "cpu"


def preflight(recipe: Recipe) -> str:
    """The device training will use, checked against this machine; torch is imported, no
    model is loaded."""
    import torch

    return check_device(recipe, bool(torch.cuda.is_available()), gpu_seen(),
                        str(torch.__version__))
