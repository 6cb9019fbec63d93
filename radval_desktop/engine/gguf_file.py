"""Read a GGUF file's header and metadata without llama.cpp, to refuse bad files clearly."""

from __future__ import annotations

import mmap
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from radval_desktop.errors import ModelFileError, sentence

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


def model_label(path: Path, quantization: str) -> str:
    """The file's name and its quantization, as tables, reports and the status bar name
    the model: "qwen2.5-coder-0.5b-instruct Q4_K_M".

    Not general.name: the default Q4_K_M file calls itself "...Instruct AWQ" (issue 19),
    so a lead quoting it would report the wrong quantization. A quantization the file
    name already ends with is not said twice.
    """
    stem = path.name[:-len(".gguf")] if path.name.casefold().endswith(".gguf") else path.name
    if quantization == "unknown":
        return stem
    for sep in ("-", ".", "_"):
        if stem.casefold().endswith((sep + quantization).casefold()):
            stem = stem[:-len(sep + quantization)]
            break
    return f"{stem} {quantization}"


@dataclass(frozen=True)
class GGUFInfo:
    path: Path
    version: int
    tensor_count: int
    file_size: int
    metadata: dict[str, Any] = field(repr=False)
    parameter_count: int
    # name -> dims in ggml order (ne[0] first): what an adapter's tensors are checked against
    tensors: dict[str, tuple[int, ...]] = field(default_factory=dict, repr=False)

    def get(self, key: str, default: Any = None) -> Any:
        return self.metadata.get(key, default)

    @property
    def architecture(self) -> str:
        return str(self.get("general.architecture", "unknown"))

    @property
    def name(self) -> str:
        return str(self.get("general.name") or self.path.stem)

    @property
    def label(self) -> str:
        return model_label(self.path, self.quantization)

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


class _Damaged(Exception):
    """A header llama.cpp would refuse (or crash on); the message completes "it is damaged: "."""


# Each key takes at least 13 bytes (key length, type, a u8 value) and each tensor entry 24
# (name length, n_dims, type, offset): a count larger than the bytes left cannot be real,
# and is refused before a loop of 2**62 turns.
_MIN_KV_BYTES, _MIN_TENSOR_BYTES, _MIN_STRING_BYTES = 13, 24, 8
GGML_MAX_DIMS = 4  # ggml.h: llama.cpp refuses a tensor with more dimensions
_INT64_MAX = 2**63 - 1  # ggml counts elements in int64_t


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

    def count(self, min_bytes: int) -> int:
        """A u64 count of items that each take at least ``min_bytes``, checked against the
        bytes left (a truncated or forged count ends here, not after billions of turns)."""
        count: int = self.unpack("<Q")
        if count * min_bytes > self.size - self.pos:
            raise EOFError
        return count

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

    def value(self, kind: int, key: str) -> Any:
        if kind in _SCALARS:
            return self.unpack(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind != _ARRAY:
            raise _Damaged(f"its key {key} has the unknown value type {kind}")
        item_kind = self.unpack("<I")
        if item_kind == _ARRAY:  # gguf.cpp refuses nested arrays; following them recursed
            raise _Damaged(f"its key {key} holds an array of arrays, which llama.cpp refuses")
        if item_kind != _STRING and item_kind not in _SCALARS:
            raise _Damaged(f"its key {key} holds an array of the unknown value type {item_kind}")
        if item_kind == _STRING:
            count = self.count(_MIN_STRING_BYTES)
            if count > _KEEP_ARRAY_MAX:
                self.skip_strings(count)  # a vocabulary: decoding 150k tokens took 0.5 s
                return _LongArray(count)
            return [self.string() for _ in range(count)]
        item_format = _SCALARS[item_kind]
        count = self.count(struct.calcsize(item_format))
        if count > _KEEP_ARRAY_MAX:
            self.take(struct.calcsize(item_format) * count)
            return _LongArray(count)
        return [self.unpack(item_format) for _ in range(count)]


@dataclass(frozen=True)
class _LongArray:
    length: int


def read_gguf(path: Path | str) -> GGUFInfo:
    """Parse header, metadata and tensor table; refuse what llama.cpp would choke on."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(sentence("RadvalError",
                                      "The model file {path} does not exist."),
                             path=path)
    if not path.is_file():
        raise ModelFileError(sentence("RadvalError",
                                      "The model path {path} is not a file."),
                             path=path)
    size = path.stat().st_size
    if size < 24:
        raise ModelFileError(sentence("RadvalError",
                                      "The model file {path} is empty or too small to be a GGUF "
                                      "model."),
                             path=path)
    try:
        with (
            path.open("rb") as handle,
            mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view,
        ):
            # The mapping's length, not stat's: a file cut while being read must not be read
            # past its end (struct.error).
            return _parse(path, _Reader(view, len(view)))
    except OSError as err:
        raise ModelFileError(sentence("RadvalError",
                                      "The model file {path} cannot be read: {strerror}."),
                             path=path, strerror=err.strerror) from err


def _parse(path: Path, r: _Reader) -> GGUFInfo:
    if r.take(4) != GGUF_MAGIC:
        raise ModelFileError(
            sentence("RadvalError",
                     "The file {name} is not a GGUF model (wrong magic bytes); RadVal needs a "
                     "quantized .gguf file made for llama.cpp."),
            name=path.name
        )
    try:
        version = r.unpack("<I")
        if version not in (2, 3):
            raise ModelFileError(sentence("RadvalError",
                                          "The GGUF file {name} has version {version}; 2 or 3 "
                                          "needed."),
                                 name=path.name, version=version)
        tensor_count, kv_count = r.count(_MIN_TENSOR_BYTES), r.count(_MIN_KV_BYTES)
        metadata = _read_metadata(r, kv_count)
        alignment = metadata.get("general.alignment", _DEFAULT_ALIGNMENT)
        tensors: dict[str, tuple[int, ...]] = {}
        data_end, parameters = _read_tensors(r, tensor_count, alignment, tensors)
    except _Damaged as err:
        raise ModelFileError(
            sentence("RadvalError",
                     "The model file {name} is damaged: {err}. Copy the file again, or ask "
                     "whoever made it for a good copy."),
            name=path.name, err=err
        ) from None
    except (EOFError, UnicodeDecodeError) as err:
        raise ModelFileError(
            sentence("RadvalError",
                     "The model file {name} is damaged or truncated (its header cannot be read)."),
            name=path.name
        ) from err
    data_start = -(-r.pos // alignment) * alignment
    if data_start + data_end > r.size:
        raise ModelFileError(
            sentence("RadvalError",
                     "The model file {name} is truncated: it has {size:,} bytes but its tensors "
                     "need {needed:,}. Copy the file again."),
            name=path.name, size=r.size, needed=data_start + data_end
        )
    return GGUFInfo(path, version, tensor_count, r.size, metadata, parameters, tensors)


def _read_metadata(r: _Reader, kv_count: int) -> dict[str, Any]:
    metadata: dict[str, Any] = {}
    for _ in range(kv_count):
        key = r.string()
        if key in metadata:
            raise _Damaged(f"its key {key} is written twice")
        metadata[key] = r.value(r.unpack("<I"), key)
    _check_types(metadata)
    return metadata


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_types(metadata: dict[str, Any]) -> None:
    """The keys RadVal reads must hold what llama.cpp writes there: a forged type would
    otherwise surface later as a TypeError in the Models view or a wrong memory estimate."""
    arch = metadata.get("general.architecture", "unknown")
    expected: dict[str, tuple[str, Callable[[Any], bool]]] = {
        "general.architecture": ("text", lambda v: isinstance(v, str)),
        "general.name": ("text", lambda v: isinstance(v, str)),
        "general.type": ("text", lambda v: isinstance(v, str)),
        "tokenizer.chat_template": ("text", lambda v: isinstance(v, str)),
        "general.file_type": ("a whole number", _is_whole),
        # gguf.cpp asserts a u32 here (an abort, not an error) and refuses a non-power of two.
        "general.alignment": ("a power of two", lambda v: _is_whole(v) and v > 0
                              and v & (v - 1) == 0),
    }
    if isinstance(arch, str):
        for suffix in ("context_length", "block_count"):
            expected[f"{arch}.{suffix}"] = ("a whole number", lambda v: _is_whole(v) and v >= 0)
    for key, (wanted, fits) in expected.items():
        if key in metadata and not fits(metadata[key]):
            raise _Damaged(f"its key {key} holds {_describe(metadata[key])} where {wanted} "
                           "belongs")


def _describe(value: Any) -> str:
    if isinstance(value, list | _LongArray):
        return "a list"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return "a yes/no value"
    return f"the number {value}" if _is_whole(value) else f"the number {value!r}"


def _read_tensors(r: _Reader, tensor_count: int, alignment: int,
                  shapes: dict[str, tuple[int, ...]]) -> tuple[int, int]:
    """The end of the tensor data (relative to its start) and the number of parameters;
    each tensor's dims go into ``shapes``."""
    data_end, parameters = 0, 0
    for _ in range(tensor_count):
        name = r.string()
        if name in shapes:
            raise _Damaged(f"its tensor {name[:80]} is listed twice")
        n_dims = r.unpack("<I")
        if n_dims > GGML_MAX_DIMS:  # 80,000 dims of 2**64 took 15 s of big-integer products
            raise _Damaged(f"its tensor {name[:80]} has {n_dims:,} dimensions; llama.cpp "
                           f"allows at most {GGML_MAX_DIMS}")
        dims = tuple(r.unpack("<Q") for _ in range(n_dims))
        shapes[name] = dims
        elements = 1
        for dim in dims:
            elements *= dim
        if elements > _INT64_MAX:
            raise _Damaged(f"its tensor {name[:80]} has too many elements for llama.cpp")
        kind, offset = r.unpack("<I"), r.unpack("<Q")
        if offset % alignment:
            raise _Damaged(f"its tensor {name[:80]} starts at offset {offset:,}, which is not "
                           f"a multiple of the file's alignment ({alignment})")
        parameters += elements
        block, block_bytes = _QUANT_SIZES.get(kind, (1, 0))
        data_end = max(data_end, offset + elements // block * block_bytes)
    return data_end, parameters
