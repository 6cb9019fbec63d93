"""How much memory a GGUF model needs at a context size, and whether this machine has it."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

from radval_desktop.engine.gguf_file import GGUFInfo

# llama.cpp's default micro-batch: its logits (n_vocab x 512 floats) are most of the compute
# buffer of a small model (Qwen2.5-0.5B at 4,096: 297 of the 302 MiB llama.cpp reports).
_UBATCH = 512
_KV_BYTES = 2  # f16 K and V cache, llama.cpp's default
# The OS, the PACS viewer and RadVal itself need the rest: a model "fits" in 80% of the RAM
# (or of the GPU's memory, where the desktop and other programs take some too).
USABLE_FRACTION = 0.8


@dataclass(frozen=True)
class Memory:
    """The memory the model would run in: the GPU's when llama.cpp offloads, else RAM."""

    device: str  # "GPU" or "RAM"
    total: int | None  # bytes; None when it cannot be told

    @property
    def usable(self) -> int | None:
        return int(self.total * USABLE_FRACTION) if self.total else None


@dataclass(frozen=True)
class Fit:
    needed: int  # bytes: weights + KV cache for n_ctx + compute buffer
    memory: Memory
    fits: bool | None  # None when the memory size is unknown

    def describe(self) -> str:
        need = f"{human_bytes(self.needed)} needed"
        if self.memory.total is None:
            return f"{need}; {self.memory.device} size unknown"
        verdict = "fits" if self.fits else "does not fit"
        return f"{verdict}: {need} of {human_bytes(self.memory.total)} {self.memory.device}"


def human_bytes(size: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:,.1f} {unit}"
    return f"{size} B"


# --- memory ---------------------------------------------------------------------------------


def total_ram() -> int | None:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        pass
    if sys.platform == "win32":  # no sysconf on Windows
        import ctypes

        class _Status(ctypes.Structure):
            _fields_ = [("length", ctypes.c_ulong), ("load", ctypes.c_ulong),
                        ("total_phys", ctypes.c_ulonglong), ("avail_phys", ctypes.c_ulonglong),
                        ("total_page", ctypes.c_ulonglong), ("avail_page", ctypes.c_ulonglong),
                        ("total_virtual", ctypes.c_ulonglong),
                        ("avail_virtual", ctypes.c_ulonglong), ("extended", ctypes.c_ulonglong)]

        status = _Status()
        status.length = ctypes.sizeof(_Status)
        if ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):  # type: ignore[attr-defined]
            return int(status.total_phys)
    return None


def gpu_memory() -> int | None:
    """The first NVIDIA GPU's memory, from nvidia-smi (the driver's tool); None without it."""
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=5, check=True).stdout
        return int(out.split()[0]) * 1024 * 1024
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def detect_memory(n_gpu_layers: int,
                  supports_gpu: Callable[[], bool] | None = None) -> Memory:
    """Where the model would live: the GPU when this llama.cpp build offloads, else RAM."""
    from radval_desktop.engine.device import choose_device

    kwargs = {"supports_gpu": supports_gpu} if supports_gpu else {}
    if choose_device(n_gpu_layers, None, **kwargs).kind == "GPU":
        return Memory("GPU", gpu_memory())
    return Memory("RAM", total_ram())


def _meta_int(info: GGUFInfo, key: str, default: int = 0) -> int:
    """A size from the header, or ``default`` when it holds no usable size: a file may put
    anything here (text, infinity, a negative number), and an estimate must not crash."""
    value = info.get(f"{info.architecture}.{key}")
    values = value if isinstance(value, list) else [value]
    # Per-layer values (OpenELM): the largest bounds the cache.
    sizes = [int(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)
             and math.isfinite(v) and v >= 0]
    return max(sizes, default=default)


def estimate_memory(info: GGUFInfo, n_ctx: int) -> int:
    """Bytes the model needs at ``n_ctx``: its file (weights, memory-mapped), the f16 KV cache
    and the compute buffer. llama.cpp reported 841 MiB for the default model at 4,096 tokens;
    this gives 813 MiB (the rest is its CPU repacking of some weights)."""
    if info.context_length:
        n_ctx = min(n_ctx, info.context_length)  # as LlamaEngine.load caps it
    layers = info.block_count or 0
    embd = _meta_int(info, "embedding_length")
    heads = _meta_int(info, "attention.head_count", 1) or 1
    heads_kv = _meta_int(info, "attention.head_count_kv", heads) or heads
    key_len = _meta_int(info, "attention.key_length", embd // heads)
    value_len = _meta_int(info, "attention.value_length", embd // heads)
    kv_cache = n_ctx * layers * heads_kv * (key_len + value_len) * _KV_BYTES
    tokens = info.get("tokenizer.ggml.tokens")
    vocab = getattr(tokens, "length", None) or (len(tokens) if isinstance(tokens, list) else 0)
    compute = vocab * _UBATCH * 4
    return info.file_size + kv_cache + compute
