"""The real engine on the real default model: load, stream, cancel, refuse bad files."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from gguf_builder import write_gguf

from radval_desktop.engine.device import choose_device
from radval_desktop.engine.llama_engine import EngineSettings, LlamaEngine
from radval_desktop.engine.sampling import Sampling
from radval_desktop.engine.threads import IdleCores
from radval_desktop.errors import ModelFileError, ModelLoadError

pytestmark = pytest.mark.slow

CHAT = "<|im_start|>user\n{}<|im_end|>\n<|im_start|>assistant\n"


def test_loaded_model_reports_itself(engine: LlamaEngine) -> None:
    info = engine.info
    assert info is not None
    assert info.architecture == "qwen2"
    assert info.n_ctx == 4096  # explicit: llama-cpp-python's own default is 512
    assert info.parameters > 400_000_000
    assert info.device.kind == "CPU"
    assert "no GPU support" in info.device.describe()
    assert len(info.sha256) == 64
    assert info.load_seconds > 0


def test_stream_yields_pieces_and_stats(engine: LlamaEngine) -> None:
    pieces = list(engine.stream(CHAT.format("Name three organs of the chest."),
                                Sampling(max_tokens=24)))
    stats = engine.last_stats
    assert len(pieces) >= 3
    assert "".join(pieces).strip()
    assert stats.prompt_tokens > 5
    assert stats.completion_tokens >= len(pieces)
    assert stats.first_token_seconds is not None
    assert 0 < stats.first_token_seconds <= stats.total_seconds
    assert stats.tokens_per_second > 0


def test_cancel_stops_between_tokens(engine: LlamaEngine) -> None:
    cancel = threading.Event()
    pieces = []
    for piece in engine.stream(CHAT.format("Count from 1 to 200, one number a line."),
                               Sampling(max_tokens=300), cancel):
        pieces.append(piece)
        if len(pieces) == 5:
            cancel.set()
    assert 5 <= len(pieces) <= 6
    assert engine.last_stats.finish_reason == "cancelled"
    assert engine.last_stats.completion_tokens < 20


def test_greedy_is_repeatable(engine: LlamaEngine) -> None:
    prompt = CHAT.format("What does CT stand for?")
    first = "".join(engine.stream(prompt, Sampling(max_tokens=16)))
    second = "".join(engine.stream(prompt, Sampling(max_tokens=16)))
    assert first == second


def test_other_thread_is_refused(engine: LlamaEngine) -> None:
    errors: list[BaseException] = []

    def use() -> None:
        try:
            engine.count_tokens("lung")
        except BaseException as err:  # noqa: BLE001 - collected for the assertion
            errors.append(err)

    thread = threading.Thread(target=use)
    thread.start()
    thread.join()
    assert errors
    assert "does not own it" in str(errors[0])


def test_sha256_pin_refuses_another_file(default_model_path: Path) -> None:
    pinned = LlamaEngine(default_model_path, EngineSettings(expected_sha256="ab" * 32))
    with pytest.raises(ModelFileError, match="not the approved one"):
        pinned.load()
    assert not pinned.loaded


def test_bad_files_are_refused_before_llama_cpp(tmp_path: Path) -> None:
    missing = LlamaEngine(tmp_path / "absent.gguf")
    with pytest.raises(ModelFileError, match="does not exist"):
        missing.load()
    text = tmp_path / "model.gguf"
    text.write_text("not a model " * 10)
    with pytest.raises(ModelFileError, match="not a GGUF"):
        LlamaEngine(text).load()


def test_valid_header_but_unloadable_model_is_a_load_error(tmp_path: Path) -> None:
    # A well-formed GGUF with no real architecture: llama.cpp refuses it; we say so.
    path = write_gguf(tmp_path / "odd.gguf", {"general.architecture": "nonesuch"}, [("a", [4])])
    with pytest.raises(ModelLoadError, match="could not load"):
        LlamaEngine(path).load()


def test_gpu_offload_is_chosen_when_the_build_supports_it() -> None:
    # No GPU here: the detection is faked, the choice logic is real.
    gpu = choose_device(-1, 24, supports_gpu=lambda: True)
    assert (gpu.kind, gpu.n_gpu_layers) == ("GPU", -1)
    assert gpu.describe() == "GPU: all 25 layers offloaded"
    partial = choose_device(10, 24, supports_gpu=lambda: True)
    assert (partial.n_gpu_layers, partial.describe()) == (10, "GPU: 10 of 25 layers offloaded")
    off = choose_device(0, 24, supports_gpu=lambda: True)
    assert off.kind == "CPU"
    assert "turned off" in off.reason
    cpu = choose_device(-1, 24, supports_gpu=lambda: False)
    assert (cpu.kind, cpu.n_gpu_layers) == ("CPU", 0)


def test_copied_model_gets_its_own_checksum(default_model_path: Path, tmp_path: Path) -> None:
    from radval_desktop.engine.checksums import cached_sha256, sha256_file

    copy = tmp_path / "copy.gguf"
    shutil.copyfile(default_model_path, copy)
    with copy.open("r+b") as handle:
        handle.seek(-1, 2)
        handle.write(b"\x01")
    assert cached_sha256(copy) == sha256_file(copy) != cached_sha256(default_model_path)


class _Fixed(IdleCores):
    def __init__(self, threads: int) -> None:
        super().__init__()
        self.threads = threads

    def prompt_threads(self) -> int:
        return self.threads


def test_the_draft_does_not_depend_on_how_many_cores_read_the_prompt(
        engine: LlamaEngine) -> None:
    prompt = CHAT.format("Findings: Lungs are clear. Heart size normal. Impression in 5 words:")
    drafts = []
    for threads in (1, 2, 3):
        engine._idle = _Fixed(threads)
        engine._llm.reset()  # read the whole prompt again, not from the KV cache
        drafts.append("".join(engine.stream(prompt, Sampling(max_tokens=12))))
        assert engine.last_stats.prompt_threads == threads
    engine._idle = IdleCores()
    assert drafts[0] == drafts[1] == drafts[2]


def test_a_fixed_thread_count_is_used_for_the_prompt_too(default_model_path: Path) -> None:
    fixed = LlamaEngine(default_model_path, EngineSettings(n_threads=1))
    fixed.load()
    try:
        list(fixed.stream(CHAT.format("Say yes."), Sampling(max_tokens=2)))
        assert fixed.last_stats.prompt_threads == 1
    finally:
        fixed.close()


def test_flash_attention_is_on_by_default_and_can_be_turned_off(
        engine: LlamaEngine, default_model_path: Path) -> None:
    import llama_cpp

    assert engine._llm.context_params.flash_attn_type == llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED
    plain = LlamaEngine(default_model_path, EngineSettings(flash_attn=False))
    plain.load()
    try:
        assert plain._llm.context_params.flash_attn_type == (
            llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED)
        prompt = CHAT.format("Findings: Lungs are clear. Heart size normal. Impression:")
        engine._llm.reset()
        # Same greedy draft either way on this prompt: only the speed changes.
        assert "".join(plain.stream(prompt, Sampling(max_tokens=12))) == "".join(
            engine.stream(prompt, Sampling(max_tokens=12)))
    finally:
        plain.close()
