"""Write small GGUF files by hand for tests of the header reader (no model hub, no gguf-py)."""

from __future__ import annotations

import struct
from pathlib import Path


def _string(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack("<Q", len(data)) + data


def write_gguf(
    path: Path,
    metadata: dict[str, str | int | float],
    tensors: list[tuple[str, list[int]]],
    magic: bytes = b"GGUF",
    version: int = 3,
    data: dict[str, bytes] | None = None,
) -> Path:
    """F32 tensors of the given shapes, 32-byte aligned as llama.cpp writes them: zeros, or
    the little-endian float32 bytes given in ``data`` (dims in ggml order, ne[0] first)."""
    out = bytearray(magic + struct.pack("<I", version))
    out += struct.pack("<QQ", len(tensors), len(metadata))
    for key, value in metadata.items():
        out += _string(key)
        if isinstance(value, str):
            out += struct.pack("<I", 8) + _string(value)
        elif isinstance(value, float):
            out += struct.pack("<I", 6) + struct.pack("<f", value)
        else:
            out += struct.pack("<I", 4) + struct.pack("<I", value)
    offset, blobs = 0, []
    for name, dims in tensors:
        count = 1
        for dim in dims:
            count *= dim
        out += _string(name) + struct.pack("<I", len(dims))
        out += b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", 0, offset)
        blob = (data or {}).get(name, bytes(4 * count))
        assert len(blob) == 4 * count, f"{name}: {len(blob)} bytes for {count} floats"
        blobs.append(blob + bytes(-len(blob) % 32))
        offset += len(blobs[-1])
    out += bytes(-len(out) % 32)
    for blob in blobs:
        out += blob
    path.write_bytes(bytes(out))
    return path


def write_lora_adapter(path: Path, architecture: str = "qwen2", embd: int = 896,
                       layers: int = 24, rank: int = 4, scale: float = 0.1,
                       seed: int = 11) -> Path:
    """A LoRA adapter GGUF as llama.cpp's convert_lora_to_gguf.py lays it out: lora_a
    [n_embd, r] and lora_b [r, n_embd] (ggml order) for each blk.N.attn_q.weight, random
    values. The defaults fit the embedded default model (Qwen2.5-0.5B: 896 wide, 24 layers).
    """
    import random

    rng = random.Random(seed)
    tensors, data = [], {}
    for layer in range(layers):
        for suffix, dims in (("lora_a", [embd, rank]), ("lora_b", [rank, embd])):
            name = f"blk.{layer}.attn_q.weight.{suffix}"
            tensors.append((name, dims))
            count = dims[0] * dims[1]
            data[name] = struct.pack(f"<{count}f", *(rng.gauss(0, scale) for _ in range(count)))
    metadata: dict[str, str | int | float] = {
        "general.architecture": architecture, "general.type": "adapter", "adapter.type": "lora",
        "adapter.lora.alpha": float(2 * rank), "general.name": f"{path.stem} (hand-made)"}
    return write_gguf(path, metadata, tensors, data=data)
