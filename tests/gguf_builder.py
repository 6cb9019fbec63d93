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


# --- raw headers, for hostile files the writer above would never make ---------------------

KIND = {"u8": 0, "i8": 1, "u16": 2, "i16": 3, "u32": 4, "i32": 5, "f32": 6, "bool": 7,
        "string": 8, "array": 9, "u64": 10, "i64": 11, "f64": 12}
_FORMATS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
            10: "<Q", 11: "<q", 12: "<d"}


def raw_value(kind: str, value: object) -> bytes:
    """The bytes of one metadata value (its type id not included)."""
    code = KIND[kind]
    if code == 8:
        return _string(str(value))
    if code == 9:
        item_kind, items = value  # type: ignore[misc]
        body = b"".join(raw_value(item_kind, item) for item in items)
        return struct.pack("<IQ", KIND[item_kind], len(items)) + body
    return struct.pack(_FORMATS[code], value)


def raw_kv(key: str, kind: str, value: object) -> bytes:
    return _string(key) + struct.pack("<I", KIND[kind]) + raw_value(kind, value)


def raw_tensor(name: str, dims: list[int], ggml_type: int = 0, offset: int = 0) -> bytes:
    return (_string(name) + struct.pack("<I", len(dims))
            + b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", ggml_type, offset))


def raw_gguf(path: Path, kvs: list[bytes], tensors: list[bytes] = (),  # type: ignore[assignment]
             kv_count: int | None = None, tensor_count: int | None = None,
             tail: bytes = b"") -> Path:
    """A GGUF v3 header from raw entries, counts as given (or true), padded to 32 bytes, then
    ``tail`` (tensor data)."""
    out = bytearray(b"GGUF" + struct.pack("<I", 3))
    out += struct.pack("<QQ", len(tensors) if tensor_count is None else tensor_count,
                       len(kvs) if kv_count is None else kv_count)
    out += b"".join(kvs) + b"".join(tensors)
    out += bytes(-len(out) % 32) + tail
    path.write_bytes(bytes(out))
    return path
