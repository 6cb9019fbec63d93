"""Read a GGUF file's header and metadata without llama.cpp, to refuse bad files clearly."""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from radval_desktop.errors import ModelFileError

GGUF_MAGIC = b"GGUF"
_DEFAULT_ALIGNMENT = 32

# ggml tensor type -> (elements per block, bytes per block), from gguf-py's GGML_QUANT_SIZES.
_QUANT_SIZES: dict[int, tuple[int, int]] = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
    9: (32, 40), 10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210),
    15: (256, 292), 16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18),
    21: (256, 110), 22: (256, 82), 23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4),
    27: (1, 8), 28: (1, 8), 29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66),
    39: (32, 17),
}

# llama_ftype values (general.file_type) -> the names llama.cpp's quantizer uses.
FILE_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
    11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
    17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS",
    23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S",
    29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4",
}

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
            10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
# Arrays longer than this (token lists, merges) are counted, not kept: nobody reads them here.
_KEEP_ARRAY_MAX = 64


@dataclass(frozen=True)
class GGUFInfo:
    path: Path
    version: int
    tensor_count: int
    file_size: int
    metadata: dict[str, Any] = field(repr=False)
    parameter_count: int

    def get(self, key: str, default: Any = None) -> Any:
        return self.metadata.get(key, default)

    @property
    def architecture(self) -> str:
        return str(self.get("general.architecture", "unknown"))

    @property
    def name(self) -> str:
        return str(self.get("general.name") or self.path.stem)

    @property
    def quantization(self) -> str:
        file_type = self.get("general.file_type")
        if file_type is None:
            return "unknown"
        return FILE_TYPES.get(file_type, f"type {file_type}")

    @property
    def chat_template(self) -> str | None:
        value = self.get("tokenizer.chat_template")
        return value if isinstance(value, str) and value.strip() else None

    @property
    def context_length(self) -> int | None:
        value = self.get(f"{self.architecture}.context_length")
        return int(value) if value is not None else None

    @property
    def block_count(self) -> int | None:
        value = self.get(f"{self.architecture}.block_count")
        return int(value) if value is not None else None


class _Reader:
    def __init__(self, buf: mmap.mmap | bytes, size: int) -> None:
        self.buf, self.size, self.pos = buf, size, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > self.size:
            raise EOFError
        chunk = self.buf[self.pos : self.pos + n]
        self.pos += n
        return bytes(chunk)

    def unpack(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def skip_strings(self, count: int) -> None:
        pos, size, unpack_from = self.pos, self.size, struct.unpack_from
        for _ in range(count):
            if pos + 8 > size:
                raise EOFError
            pos += 8 + unpack_from("<Q", self.buf, pos)[0]
        if pos > size:
            raise EOFError
        self.pos = pos

    def string(self) -> str:
        return self.take(self.unpack("<Q")).decode("utf-8", errors="replace")

    def value(self, kind: int) -> Any:
        if kind in _SCALARS:
            return self.unpack(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            item_kind, count = self.unpack("<I"), self.unpack("<Q")
            if item_kind in _SCALARS and count > _KEEP_ARRAY_MAX:
                self.take(struct.calcsize(_SCALARS[item_kind]) * count)
                return _LongArray(count)
            if item_kind == _STRING and count > _KEEP_ARRAY_MAX:
                self.skip_strings(count)  # a vocabulary: decoding 150k tokens took 0.5 s
                return _LongArray(count)
            items = [self.value(item_kind) for _ in range(count)]
            return items if count <= _KEEP_ARRAY_MAX else _LongArray(count)
        raise ValueError(f"unknown metadata value type {kind}")


@dataclass(frozen=True)
class _LongArray:
    length: int


def read_gguf(path: Path | str) -> GGUFInfo:
    """Parse header, metadata and tensor table; refuse what llama.cpp would choke on."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"The model file {path} does not exist.")
    if not path.is_file():
        raise ModelFileError(f"The model path {path} is not a file.")
    size = path.stat().st_size
    if size < 24:
        raise ModelFileError(f"The model file {path} is empty or too small to be a GGUF model.")
    try:
        with (
            path.open("rb") as handle,
            mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view,
        ):
            return _parse(path, _Reader(view, size))
    except OSError as err:
        raise ModelFileError(f"The model file {path} cannot be read: {err.strerror}.") from err


def _parse(path: Path, r: _Reader) -> GGUFInfo:
    if r.take(4) != GGUF_MAGIC:
        raise ModelFileError(
            f"The file {path.name} is not a GGUF model (wrong magic bytes); RadVal needs a "
            "quantized .gguf file made for llama.cpp."
        )
    try:
        version = r.unpack("<I")
        if version not in (2, 3):
            raise ModelFileError(f"The GGUF file {path.name} has version {version}; 2 or 3 needed.")
        tensor_count, kv_count = r.unpack("<Q"), r.unpack("<Q")
        metadata: dict[str, Any] = {}
        for _ in range(kv_count):
            key = r.string()
            metadata[key] = r.value(r.unpack("<I"))
        alignment = int(metadata.get("general.alignment", _DEFAULT_ALIGNMENT)) or _DEFAULT_ALIGNMENT
        data_end, parameters = 0, 0
        for _ in range(tensor_count):
            r.string()
            dims = [r.unpack("<Q") for _ in range(r.unpack("<I"))]
            kind, offset = r.unpack("<I"), r.unpack("<Q")
            elements = 1
            for dim in dims:
                elements *= dim
            parameters += elements
            block, block_bytes = _QUANT_SIZES.get(kind, (1, 0))
            data_end = max(data_end, offset + elements // block * block_bytes)
    except (EOFError, ValueError, UnicodeDecodeError) as err:
        raise ModelFileError(
            f"The model file {path.name} is damaged or truncated (its header cannot be read)."
        ) from err
    data_start = -(-r.pos // alignment) * alignment
    if data_start + data_end > r.size:
        raise ModelFileError(
            f"The model file {path.name} is truncated: it has {r.size:,} bytes but its tensors "
            f"need {data_start + data_end:,}. Copy the file again."
        )
    return GGUFInfo(path, version, tensor_count, r.size, metadata, parameters)
