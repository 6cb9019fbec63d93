from __future__ import annotations

import struct
import time
from pathlib import Path

import pytest
from gguf_builder import KIND, raw_gguf, raw_kv, raw_tensor, raw_value, write_gguf

from radval_desktop.engine.gguf_file import read_gguf
from radval_desktop.errors import ModelFileError

META = {"general.architecture": "llama", "general.name": "tiny", "general.file_type": 0,
        "llama.block_count": 2, "tokenizer.chat_template": "{{ messages }}"}


def test_reads_metadata_and_counts_parameters(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "ok.gguf", META, [("a", [4, 8]), ("b", [3])])
    info = read_gguf(path)
    assert info.name == "tiny"
    assert info.architecture == "llama"
    assert info.parameter_count == 35
    assert info.quantization == "F32"
    assert info.block_count == 2
    assert info.chat_template == "{{ messages }}"


def test_truncated_file_is_refused_with_sizes(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "cut.gguf", META, [("a", [64, 64])])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])
    with pytest.raises(ModelFileError, match="truncated"):
        read_gguf(path)


def test_truncated_inside_header_is_refused(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "cut.gguf", META, [("a", [4])])
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ModelFileError, match="damaged or truncated"):
        read_gguf(path)


def test_wrong_magic_says_not_gguf(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "x.gguf", META, [("a", [4])], magic=b"GGML")
    with pytest.raises(ModelFileError, match="not a GGUF model"):
        read_gguf(path)


def test_text_file_and_missing_file(tmp_path: Path) -> None:
    text = tmp_path / "notes.gguf"
    text.write_text("this is not a model but a text file with enough bytes")
    with pytest.raises(ModelFileError, match="not a GGUF"):
        read_gguf(text)
    with pytest.raises(ModelFileError, match="does not exist"):
        read_gguf(tmp_path / "absent.gguf")
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    with pytest.raises(ModelFileError, match="empty or too small"):
        read_gguf(empty)


def test_unsupported_version(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "v9.gguf", META, [("a", [4])], version=9)
    with pytest.raises(ModelFileError, match="version 9"):
        read_gguf(path)


@pytest.mark.slow
def test_real_default_model_parses(default_model_path: Path) -> None:
    info = read_gguf(default_model_path)
    assert info.architecture == "qwen2"
    assert info.quantization == "Q4_K_M"
    assert info.chat_template
    assert "<|im_start|>" in info.chat_template
    assert info.file_size == default_model_path.stat().st_size


@pytest.mark.slow
def test_real_model_cut_short_is_truncated(default_model_path: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.gguf"
    with default_model_path.open("rb") as src:
        cut.write_bytes(src.read(12_000_000))
    with pytest.raises(ModelFileError, match="truncated"):
        read_gguf(cut)


# --- hostile headers: each refused with a sentence, quickly (issue 17, item 9) -------------

GOOD_KVS = [raw_kv("general.architecture", "string", "llama"),
            raw_kv("general.name", "string", "crafted")]
# A generous budget for one header: the 80,000-dims file took 15 s before the parser was
# made linear; a refusal takes milliseconds.
HEADER_BUDGET_S = 1.0


def _refused(path: Path, match: str) -> str:
    start = time.perf_counter()
    with pytest.raises(ModelFileError, match=match) as caught:
        read_gguf(path)
    assert time.perf_counter() - start < HEADER_BUDGET_S
    sentence = str(caught.value)
    assert path.name in sentence
    assert sentence.rstrip().endswith(".")
    return sentence


def test_tensor_with_80000_dims_is_refused_at_once(tmp_path: Path) -> None:
    path = raw_gguf(tmp_path / "dims.gguf", GOOD_KVS, [raw_tensor("a", [2**64 - 1] * 80_000)])
    _refused(path, "80,000 dimensions")


def test_tensor_whose_element_count_overflows_is_refused(tmp_path: Path) -> None:
    path = raw_gguf(tmp_path / "huge.gguf", GOOD_KVS, [raw_tensor("a", [2**40, 2**40])])
    _refused(path, "too many elements")


def test_arrays_nested_5000_deep_are_refused_without_recursion(tmp_path: Path) -> None:
    nested = struct.pack("<IQ", KIND["array"], 1) * 5_000 + struct.pack("<IQ", KIND["u32"], 0)
    kv = raw_value("string", "deep") + struct.pack("<I", KIND["array"]) + nested
    path = raw_gguf(tmp_path / "nested.gguf", [*GOOD_KVS, kv])
    _refused(path, "array of arrays")


@pytest.mark.parametrize(("kind", "value"), [
    ("array", ("u32", [32])), ("f64", float("inf")), ("f32", float("nan")), ("string", "32"),
    ("u32", 3), ("i32", -32)])
def test_alignment_that_is_not_a_power_of_two_is_refused(
        tmp_path: Path, kind: str, value: object) -> None:
    kvs = [*GOOD_KVS, raw_kv("general.alignment", kind, value)]
    path = raw_gguf(tmp_path / "align.gguf", kvs, [raw_tensor("a", [8])], tail=bytes(32))
    _refused(path, "general.alignment")


@pytest.mark.parametrize(("key", "kind", "value"), [
    ("general.file_type", "array", ("u32", [15])), ("general.file_type", "string", "Q4_K_M"),
    ("general.name", "array", ("string", ["a", "b"])), ("general.architecture", "u32", 7),
    ("llama.context_length", "string", "4096"), ("llama.block_count", "f64", float("inf")),
    ("tokenizer.chat_template", "array", ("u8", [1, 2])), ("general.type", "bool", True)])
def test_a_key_radval_reads_with_the_wrong_type_is_refused(
        tmp_path: Path, key: str, kind: str, value: object) -> None:
    kvs = [raw_kv("general.architecture", "string", "llama"), raw_kv(key, kind, value)]
    if key == "general.architecture":
        kvs = kvs[1:]
    path = raw_gguf(tmp_path / "typed.gguf", kvs, [raw_tensor("a", [8])], tail=bytes(32))
    _refused(path, key.replace(".", r"\."))


def test_unknown_value_type_and_duplicate_key_are_refused(tmp_path: Path) -> None:
    bad_kind = raw_value("string", "x") + struct.pack("<I", 99) + bytes(8)
    _refused(raw_gguf(tmp_path / "kind.gguf", [*GOOD_KVS, bad_kind]), "value type 99")
    twice = [*GOOD_KVS, raw_kv("general.name", "string", "again")]
    _refused(raw_gguf(tmp_path / "twice.gguf", twice), "general.name.*twice")


def test_tensor_offset_off_the_alignment_is_refused(tmp_path: Path) -> None:
    path = raw_gguf(tmp_path / "offset.gguf", GOOD_KVS, [raw_tensor("a", [8], offset=4)],
                    tail=bytes(64))
    _refused(path, "offset")


def test_counts_larger_than_the_file_are_refused_without_reading_on(tmp_path: Path) -> None:
    # Each key or tensor takes at least a dozen bytes: 2**62 of them cannot be in a small file.
    _refused(raw_gguf(tmp_path / "kv.gguf", GOOD_KVS, kv_count=2**62), "damaged or truncated")
    _refused(raw_gguf(tmp_path / "t.gguf", GOOD_KVS, tensor_count=2**62), "damaged or truncated")
    strings = raw_value("string", "k") + struct.pack("<IIQ", KIND["array"], KIND["string"], 2**62)
    _refused(raw_gguf(tmp_path / "s.gguf", [*GOOD_KVS, strings]), "damaged or truncated")


def test_a_valid_raw_header_still_reads(tmp_path: Path) -> None:
    # The raw builder itself makes files the reader accepts: the refusals above are the bytes'.
    kvs = [*GOOD_KVS, raw_kv("general.alignment", "u32", 64),
           raw_kv("general.file_type", "u32", 15),
           raw_kv("llama.context_length", "u64", 4096),
           raw_kv("llama.rope.scales", "array", ("f32", [1.0, 2.0]))]
    path = raw_gguf(tmp_path / "ok.gguf", kvs, [raw_tensor("a", [4, 2])],
                    tail=bytes(32) + bytes(32))
    info = read_gguf(path)
    assert (info.name, info.quantization, info.context_length) == ("crafted", "Q4_K_M", 4096)
    assert info.parameter_count == 8
