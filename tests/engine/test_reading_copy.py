"""The BF16 reading copy: chosen only where it pays, made from the approved bytes, sealed,
never on disk, and drafting what the file itself drafts."""

from __future__ import annotations

import difflib
import os
from dataclasses import replace
from pathlib import Path

import pytest

from radval_desktop.engine.gguf_file import FILE_TYPES, read_gguf
from radval_desktop.engine.llama_engine import EngineSettings, LlamaEngine
from radval_desktop.engine.reading_copy import (
    MAX_PARAMETERS,
    cpu_features,
    make_bf16_copy,
    wants_bf16_copy,
)
from radval_desktop.engine.sampling import Sampling
from radval_desktop.engine.sealed_file import SEALED_LINUX

pytestmark = pytest.mark.slow

BF16_CPU = "CPU : AVX2 = 1 | AVX512 = 1 | AVX512_BF16 = 1 | LLAMAFILE = 1 |"
PLAIN_CPU = "CPU : AVX2 = 1 | AVX512 = 1 | LLAMAFILE = 1 |"
needs_bf16 = pytest.mark.skipif(
    not SEALED_LINUX or "AVX512_BF16 = 1" not in cpu_features()
    and "AMX_BF16 = 1" not in cpu_features(),
    reason="this CPU has no BF16 arithmetic (or no sealed memfd): the file is read as it is")
CHAT = "<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n"


def _file_type(name: str) -> int:
    return next(code for code, label in FILE_TYPES.items() if label == name)


@pytest.mark.skipif(not SEALED_LINUX, reason="the copy lives in a sealed memfd (Linux)")
def test_the_copy_is_chosen_only_for_a_small_quantized_model_on_a_bf16_cpu(
        default_model_path: Path) -> None:
    gguf = read_gguf(default_model_path)
    assert gguf.quantization == "Q4_K_M"
    assert wants_bf16_copy(gguf, on_cpu=True, enabled=True, features=BF16_CPU)
    assert not wants_bf16_copy(gguf, on_cpu=True, enabled=True, features=PLAIN_CPU)
    assert not wants_bf16_copy(gguf, on_cpu=False, enabled=True, features=BF16_CPU)
    assert not wants_bf16_copy(gguf, on_cpu=True, enabled=False, features=BF16_CPU)
    for float_type in ("F16", "BF16", "F32"):
        as_float = replace(gguf, metadata={**gguf.metadata,
                                           "general.file_type": _file_type(float_type)})
        assert not wants_bf16_copy(as_float, on_cpu=True, enabled=True, features=BF16_CPU)
    large = replace(gguf, parameter_count=MAX_PARAMETERS + 1)
    assert not wants_bf16_copy(large, on_cpu=True, enabled=True, features=BF16_CPU)


@needs_bf16
def test_the_default_model_is_read_from_a_sealed_copy_in_memory(engine: LlamaEngine,
                                                                 default_model_path: Path
                                                                 ) -> None:
    info = engine.info
    assert info is not None
    assert info.compute_type == "BF16"
    # What IT approved and reports name: the file, its quantization and its digest.
    assert info.quantization == "Q4_K_M"
    assert info.path == default_model_path
    maps = Path("/proc/self/maps").read_text()
    assert "/memfd:radval-bf16-" in maps  # mapped from memory, not from a file on disk
    # Its descriptor was closed once llama.cpp mapped it: nothing can reopen and write it.
    links = [os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
             if os.path.islink(f"/proc/self/fd/{fd}")]
    assert not [link for link in links if "radval-bf16" in link]


@needs_bf16
def test_the_copy_is_sealed_against_writes(default_model_path: Path) -> None:
    copy = make_bf16_copy(default_model_path, "sealed-test")
    assert copy is not None
    try:
        header = read_gguf(copy.load_path)
        assert header.quantization == "BF16"
        assert header.parameter_count == read_gguf(default_model_path).parameter_count
        with pytest.raises(PermissionError):
            os.pwrite(copy.fd, b"GGUF", 0)
        with pytest.raises(PermissionError):
            os.ftruncate(copy.fd, 10)
    finally:
        copy.close()


@needs_bf16
def test_the_copy_drafts_what_the_file_drafts(engine: LlamaEngine,
                                              default_model_path: Path) -> None:
    """Greedy drafts from the copy read as the Q4_K_M file's: BF16 holds each Q4_K weight to
    ~0.2%. The file's kernels round the activations to 8 bits, though, and which kernels run
    depends on the processor: on a Xeon with AMX (plain kernels, backends.
    weights_in_plain_memory) one argmax moved, "8毫米" for "8mm", so the texts must agree
    nearly, not exactly."""
    as_file = LlamaEngine(default_model_path, EngineSettings(bf16_copy=False))
    as_file.load()
    try:
        assert as_file.info is not None
        assert as_file.info.compute_type == ""
        for findings in ("Heart size is normal. The lungs are clear. No pleural effusion.",
                         "右肺上叶见磨玻璃结节，大小约8mm。纵隔未见肿大淋巴结。"):
            prompt = CHAT.format("Write the impression of this report.\n" + findings)
            sampling = Sampling(max_tokens=24, temperature=0.0)
            copied = "".join(engine.stream(prompt, sampling))
            read = "".join(as_file.stream(prompt, sampling))
            assert copied[:12] == read[:12]
            assert difflib.SequenceMatcher(None, copied, read).ratio() >= 0.8, (copied, read)
    finally:
        as_file.close()


@needs_bf16
def test_a_source_llama_cpp_cannot_convert_leaves_no_copy(tmp_path: Path) -> None:
    before = set(os.listdir("/proc/self/fd"))
    assert make_bf16_copy(tmp_path / "missing.gguf", "missing") is None
    assert set(os.listdir("/proc/self/fd")) <= before  # its memfd closed, not leaked



@needs_bf16
def test_the_same_prompt_twice_in_a_row_gives_the_same_greedy_text(engine: LlamaEngine
                                                                   ) -> None:
    """A prompt the context already holds is read again: from the BF16 copy, its last
    token read alone (other kernels) turned "a large, flat chest with a prominent" into
    "a positive scan of the chest, with" on the second run."""
    sampling = Sampling(max_tokens=8, temperature=0.0)
    first = "".join(engine.stream("The chest CT shows", sampling))
    assert first
    assert "".join(engine.stream("The chest CT shows", sampling)) == first


@needs_bf16
def test_no_descriptor_left_for_the_copy_means_the_file_is_read_as_it_is(
        default_model_path: Path) -> None:
    """memfd_create failing (EMFILE here, ENOMEM alike) is no reason to fail a load."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # A new descriptor takes the lowest free number, and the limit bounds that number.
    lowest_free = os.open(os.devnull, os.O_RDONLY)
    os.close(lowest_free)
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowest_free, hard))  # no new descriptor
    try:
        copy = make_bf16_copy(default_model_path, "no-descriptors")
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert copy is None
