"""Write small GGUF files by hand for tests of the header reader (no model hub, no gguf-py)."""

from __future__ import annotations

import struct
from pathlib import Path


def _string(text: str) -> bytes:
    data = text.encode("utf-8")
    return struct.pack("<Q", len(data)) + data


def write_gguf(
    path: Path,
    metadata: dict[str, str | int],
    tensors: list[tuple[str, list[int]]],
    magic: bytes = b"GGUF",
    version: int = 3,
) -> Path:
    """F32 tensors of the given shapes, zeros, 32-byte aligned as llama.cpp writes them."""
    out = bytearray(magic + struct.pack("<I", version))
    out += struct.pack("<QQ", len(tensors), len(metadata))
    for key, value in metadata.items():
        out += _string(key)
        if isinstance(value, str):
            out += struct.pack("<I", 8) + _string(value)
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
        blob = bytes(4 * count)
        blobs.append(blob + bytes(-len(blob) % 32))
        offset += len(blobs[-1])
    out += bytes(-len(out) % 32)
    for blob in blobs:
        out += blob
    path.write_bytes(bytes(out))
    return path
