"""Property test: a GGUF header mutated in any way is refused with a sentence or read whole,
quickly; never another exception (issue 17, item 9).

The seed is a header as converters write it (strings, numbers, a vocabulary-sized string
array, short arrays, tensors of four types, their data); mutations flip bytes, plant extreme
counts and lengths, cut, insert and delete, as a damaged copy or a crafted file would.
"""

from __future__ import annotations

import itertools
import struct
import time
from pathlib import Path

import pytest
from gguf_builder import KIND, raw_gguf, raw_kv, raw_tensor, raw_value
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from radval_desktop.engine.catalog import SOURCE_FOLDER, CatalogSettings, describe_file
from radval_desktop.engine.gguf_file import GGUFInfo, read_gguf
from radval_desktop.engine.memory import Memory
from radval_desktop.errors import ModelFileError

# A generous budget for one small file: read, described as the Models view does. Before the
# parser was made linear one crafted header took 15 s; these take milliseconds.
BUDGET_S = 2.0
EXAMPLES = 400
_numbers = itertools.count()


def _seed(folder: Path) -> bytes:
    kvs = [raw_kv("general.architecture", "string", "llama"),
           raw_kv("general.name", "string", "seed 模型"),
           raw_kv("general.file_type", "u32", 15),
           raw_kv("general.alignment", "u32", 32),
           raw_kv("llama.context_length", "u32", 4096),
           raw_kv("llama.block_count", "u32", 2),
           raw_kv("llama.embedding_length", "u64", 64),
           raw_kv("llama.attention.head_count", "array", ("i32", [4, 4])),
           raw_kv("llama.rope.freq_base", "f32", 10000.0),
           raw_kv("tokenizer.ggml.tokens", "array", ("string", [f"t{i}" for i in range(70)])),
           raw_kv("tokenizer.ggml.scores", "array", ("f32", [0.5] * 70)),
           raw_kv("tokenizer.chat_template", "string", "{{ messages }}"),
           raw_kv("general.type", "string", "model")]
    tensors = [raw_tensor("a", [4, 2]), raw_tensor("b", [32], ggml_type=8, offset=32),
               raw_tensor("c", [256], ggml_type=12, offset=96),
               raw_tensor("d", [2, 2, 2, 2], ggml_type=1, offset=256)]
    return raw_gguf(folder / "seed.gguf", kvs, tensors, tail=bytes(320)).read_bytes()


def _fields(data: bytes) -> tuple[list[tuple[int, str]], int]:
    """Where the seed's numeric fields are (offset, struct format): counts, lengths, value
    and tensor types, n_dims, dims, offsets. Mutating a field, not a random byte, is what a
    crafted file does, and what reaches the parser's deeper paths. Also where the metadata
    ends: a grafted key goes there."""
    fields: list[tuple[int, str]] = [(4, "<I"), (8, "<Q"), (16, "<Q")]
    pos = 24
    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}

    def field(fmt: str) -> int:
        nonlocal pos
        fields.append((pos, fmt))
        value: int = struct.unpack_from(fmt, data, pos)[0]
        pos += struct.calcsize(fmt)
        return value

    def string() -> None:
        nonlocal pos
        length = field("<Q")
        pos += length

    def value(kind: int) -> None:
        nonlocal pos
        if kind == 8:
            string()
        elif kind == 9:
            item, count = field("<I"), field("<Q")
            for _ in range(count):
                value(item)
        else:
            fields.append((pos, {1: "<B", 2: "<H", 4: "<I", 8: "<Q"}[sizes[kind]]))
            pos += sizes[kind]

    tensors, kvs = struct.unpack_from("<QQ", data, 8)
    for _ in range(kvs):
        string()
        value(field("<I"))
    kv_end = pos
    for _ in range(tensors):
        string()
        for _ in range(field("<I")):
            field("<Q")
        field("<I")
        field("<Q")
    return fields, kv_end


# Values a forged field holds: type ids (9 = array, unknown ones), small and huge counts.
FIELD_VALUES = st.one_of(st.integers(0, 16), st.sampled_from(
    (63, 64, 65, 2**31, 2**32 - 1, 2**62, 2**63 - 1, 2**63, 2**64 - 1)), st.integers(0, 2**64 - 1))
# A key grafted onto the metadata: one RadVal reads (often a second copy of it, with another
# type) or a stranger, holding any scalar, text, a short array, or arrays nested up to
# 3,000 deep (the old parser recursed into them).
GRAFT_KEY = st.sampled_from(("general.file_type", "general.alignment", "general.name",
                             "general.architecture", "general.type", "llama.context_length",
                             "llama.block_count", "llama.embedding_length",
                             "llama.attention.head_count", "llama.attention.head_count_kv",
                             "tokenizer.chat_template", "tokenizer.ggml.tokens", "x.y"))
_INTS = {"u8": (0, 2**8 - 1), "i8": (-(2**7), 2**7 - 1), "u16": (0, 2**16 - 1),
         "i16": (-(2**15), 2**15 - 1), "u32": (0, 2**32 - 1), "i32": (-(2**31), 2**31 - 1),
         "u64": (0, 2**64 - 1), "i64": (-(2**63), 2**63 - 1)}
SCALAR = st.one_of(
    *(st.tuples(st.just(kind), st.integers(lo, hi)) for kind, (lo, hi) in _INTS.items()),
    st.tuples(st.sampled_from(("f32", "f64")), st.floats(width=32)),
    st.tuples(st.just("bool"), st.booleans()),
    st.tuples(st.just("string"), st.text(max_size=20)))


def _array(item: tuple[str, object], count: int) -> tuple[str, tuple[str, list[object]]]:
    return "array", (item[0], [item[1]] * count)


def _nested(depth: int) -> bytes:
    return (struct.pack("<I", KIND["array"]) + struct.pack("<IQ", KIND["array"], 1) * depth
            + struct.pack("<IQ", KIND["u32"], 0))


GRAFT_VALUE = st.one_of(
    SCALAR.map(lambda kv: struct.pack("<I", KIND[kv[0]]) + raw_value(*kv)),
    st.builds(_array, SCALAR, st.integers(0, 70)).map(
        lambda kv: struct.pack("<I", KIND["array"]) + raw_value(*kv)),
    st.integers(1, 3000).map(_nested))
GRAFT = st.tuples(GRAFT_KEY, GRAFT_VALUE).map(lambda kv: raw_value("string", kv[0]) + kv[1])
MUTATION = st.one_of(
    st.tuples(st.just("graft"), st.just(0), GRAFT),
    st.tuples(st.just("field"), st.integers(0, 10**6), FIELD_VALUES),
    st.tuples(st.just("field"), st.integers(0, 10**6), FIELD_VALUES),
    st.tuples(st.just("flip"), st.integers(0, 10**6), st.integers(0, 255)),
    st.tuples(st.just("cut"), st.integers(0, 10**6), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.binary(min_size=1, max_size=24)),
    st.tuples(st.just("delete"), st.integers(0, 10**6), st.integers(1, 24)),
)
# Fields are set on the seed's offsets, then keys grafted, then bytes cut and spliced.
_ORDER = {"field": 0, "graft": 1}


def _mutate(data: bytes, mutations: list[tuple[str, int, object]]) -> bytes:
    fields, kv_end = _fields(data)
    out = bytearray(data)
    for op, where, arg in sorted(mutations, key=lambda m: _ORDER.get(m[0], 2)):
        if not out:
            break
        at = where % len(out)
        if op == "field":
            offset, fmt = fields[where % len(fields)]
            size = struct.calcsize(fmt)
            out[offset : offset + size] = struct.pack(fmt, arg % 2 ** (8 * size))  # type: ignore[operator]
        elif op == "graft":
            out[kv_end:kv_end] = arg  # type: ignore[index]
            kv_end += len(arg)  # type: ignore[arg-type]
            count = struct.unpack_from("<Q", out, 16)[0]
            struct.pack_into("<Q", out, 16, (count + 1) % 2**64)
        elif op == "flip":
            out[at] = arg  # type: ignore[call-overload]
        elif op == "cut":
            del out[at:]
        elif op == "insert":
            out[at:at] = arg  # type: ignore[index]
        else:
            del out[at : at + arg]  # type: ignore[operator]
    return bytes(out)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One folder for the module, a new file per example (see test_importers.py).
    return tmp_path_factory.mktemp("gguf-headers")


@pytest.fixture(scope="module")
def seed(folder: Path) -> bytes:
    data = _seed(folder)
    assert isinstance(read_gguf(folder / "seed.gguf"), GGUFInfo)  # the seed itself is valid
    return data


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(MUTATION, min_size=1, max_size=4))
def test_mutated_header_is_refused_with_a_sentence_or_read_whole(
        folder: Path, seed: bytes, mutations: list[tuple[str, int, object]]) -> None:
    path = folder / f"m{next(_numbers)}.gguf"
    path.write_bytes(_mutate(seed, mutations))
    start = time.perf_counter()
    try:
        info = read_gguf(path)
    except ModelFileError as err:
        event("refused")
        sentence = str(err)
        assert path.name in sentence
        assert sentence.rstrip().endswith(".")
    else:
        event("read")
        # Whatever was read, every fact the Models view shows can be taken from it.
        entry = describe_file(path, SOURCE_FOLDER, CatalogSettings(folders=()),
                              Memory("RAM", 16 * 10**9))
        assert entry.parameters == info.parameter_count >= 0
        assert isinstance(entry.name, str)
        assert isinstance(entry.quantization, str)
        assert entry.context_length is None or entry.context_length >= 0
        assert entry.fit is None or entry.fit.needed >= info.file_size
        assert info.block_count is None or info.block_count >= 0
        assert info.chat_template is None or isinstance(info.chat_template, str)
    finally:
        path.unlink()
    assert time.perf_counter() - start < BUDGET_S
