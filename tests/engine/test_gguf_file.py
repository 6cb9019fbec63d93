from __future__ import annotations

from pathlib import Path

import pytest
from gguf_builder import write_gguf

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
