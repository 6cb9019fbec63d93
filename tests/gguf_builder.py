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
                       seed: int = 11, extra: dict[str, tuple[list[int], list[int]]] | None = None
                       ) -> Path:
    """A LoRA adapter GGUF as llama.cpp's convert_lora_to_gguf.py lays it out: lora_a
    [n_embd, r] and lora_b [r, n_embd] (ggml order) for each blk.N.attn_q.weight, random
    values. The defaults fit the embedded default model (Qwen2.5-0.5B: 896 wide, 24 layers).
    ``extra``: more base tensor names -> (lora_a dims, lora_b dims), e.g. from
    ``token_embd_lora``.
    """
    import random

    rng = random.Random(seed)
    targets = {f"blk.{layer}.attn_q.weight": ([embd, rank], [rank, embd])
               for layer in range(layers)}
    targets.update(extra or {})
    tensors, data = [], {}
    for base_name, (a_dims, b_dims) in targets.items():
        for suffix, dims in (("lora_a", a_dims), ("lora_b", b_dims)):
            name = f"{base_name}.{suffix}"
            tensors.append((name, dims))
            count = 1
            for dim in dims:
                count *= dim
            data[name] = struct.pack(f"<{count}f", *(rng.gauss(0, scale) for _ in range(count)))
    metadata: dict[str, str | int | float] = {
        "general.architecture": architecture, "general.type": "adapter", "adapter.type": "lora",
        "adapter.lora.alpha": float(2 * rank), "general.name": f"{path.stem} (hand-made)"}
    return write_gguf(path, metadata, tensors, data=data)


def token_embd_lora(embd: int = 896, vocab: int = 151936, rank: int = 4
                    ) -> dict[str, tuple[list[int], list[int]]]:
    """An embedding LoRA as convert_lora_to_gguf.py writes PEFT's lora_embedding_A/B (and
    mergekit-extract-lora's): lora_a transposed to [r, n_vocab], lora_b [r, n_embd], the
    layout llama.cpp's llm_build_inp_embd reads."""
    return {"token_embd.weight": ([rank, vocab], [rank, embd])}


_SCALAR_SIZES = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


def _skip_value(buf: bytes, pos: int, kind: int) -> int:
    if kind in _SCALAR_SIZES:
        return pos + _SCALAR_SIZES[kind]
    if kind == 8:
        return pos + 8 + struct.unpack_from("<Q", buf, pos)[0]
    item_kind, count = struct.unpack_from("<IQ", buf, pos)
    pos += 12
    for _ in range(count):
        pos = _skip_value(buf, pos, item_kind)
    return pos


def write_tied_copy(source: Path, target: Path) -> Path:
    """``source`` without its output.weight, so that llama.cpp computes the output layer from
    token_embd.weight: the file a tied model (Qwen2.5 0.5B, Llama 3.2 1B) converts to.

    The header keeps its length (a padding key takes the dropped tensor entry's bytes); the
    other tensors' data is copied unchanged, packed as gguf.cpp requires (each tensor where
    the one before ends, aligned). Read with a few lines here, not gguf-py: the engine's tests
    do not need the training extra.
    """
    from radval_desktop.engine.gguf_file import _QUANT_SIZES

    align = 32  # GGUF's default; the default model sets no general.alignment
    with source.open("rb") as handle:
        head = handle.read(64 << 20)  # the header (vocabulary included) is a few MB
    n_tensors, n_kv = struct.unpack_from("<QQ", head, 8)
    pos = 24
    for _ in range(n_kv):
        pos += 8 + struct.unpack_from("<Q", head, pos)[0]
        kind = struct.unpack_from("<I", head, pos)[0]
        pos = _skip_value(head, pos + 4, kind)
    kvs = head[24:pos]
    entries = []  # (name, entry bytes without the offset, old offset, data bytes)
    for _ in range(n_tensors):
        start = pos
        length = struct.unpack_from("<Q", head, pos)[0]
        name = head[pos + 8: pos + 8 + length].decode()
        pos += 8 + length
        n_dims = struct.unpack_from("<I", head, pos)[0]
        dims = struct.unpack_from(f"<{n_dims}Q", head, pos + 4)
        pos += 4 + 8 * n_dims
        ggml_type, offset = struct.unpack_from("<IQ", head, pos)
        pos += 12
        elements = 1
        for dim in dims:
            elements *= dim
        block, block_bytes = _QUANT_SIZES[ggml_type]
        entries.append((name, head[start: pos - 8], offset, elements // block * block_bytes))
    data_start = pos + (-pos % align)
    kept = [e for e in entries if e[0] != "output.weight"]
    dropped = next(e for e in entries if e[0] == "output.weight")
    infos, offset = bytearray(), 0
    for _, entry, _, size in kept:
        infos += entry + struct.pack("<Q", offset)
        offset += size + (-size % align)
    gap = len(dropped[1]) + 8
    key = "radval.test.padding"
    padding = raw_kv(key, "string", "x" * (gap - (8 + len(key) + 4 + 8)))
    assert len(padding) == gap, "the dropped tensor entry is too short to hold a padding key"
    header = b"GGUF" + struct.pack("<IQQ", 3, len(kept), n_kv + 1) + kvs + padding + infos
    header += bytes(-len(header) % align)
    with source.open("rb") as src, target.open("wb") as out:
        out.write(header)
        for _, _, old, size in kept:
            src.seek(data_start + old)
            out.write(src.read(size))
            out.write(bytes(-size % align))
    return target


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
