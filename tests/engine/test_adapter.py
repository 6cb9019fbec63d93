"""LoRA adapters: attached on top of a base model by llama.cpp, changing what it writes.

Two adapters: one written here by hand for the embedded default model (random low-rank
updates of every layer's query projection: any real LoRA export has this shape), and the one
`training` exports for its tiny test model with llama.cpp's own converter.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gguf_builder import write_gguf, write_lora_adapter

from radval_desktop.engine.adapters import inspect_adapter
from radval_desktop.engine.checksums import remember_sha256
from radval_desktop.engine.default_model import DEFAULT
from radval_desktop.engine.gguf_file import read_gguf
from radval_desktop.engine.llama_engine import EngineSettings, LlamaEngine
from radval_desktop.engine.sampling import Sampling
from radval_desktop.errors import ModelFileError, ModelLoadError

PROMPT = ("<|im_start|>user\nWrite the impression: patchy consolidation in the right lower "
          "lobe.<|im_end|>\n<|im_start|>assistant\n")
GREEDY = Sampling(temperature=0.0, max_tokens=12)
ADAPTER_META = {"general.architecture": "qwen2", "general.type": "adapter",
                "adapter.type": "lora", "adapter.lora.alpha": 8.0}


@pytest.fixture
def base_model(default_model_path: Path) -> Path:
    remember_sha256(default_model_path, DEFAULT.sha256)
    return default_model_path


def _greedy(path: Path, adapter: Path | None) -> tuple[str, LlamaEngine]:
    settings = EngineSettings(n_ctx=512, n_threads=1,
                              adapter_path=str(adapter) if adapter else None)
    engine = LlamaEngine(path, settings)
    engine.load()
    try:
        return "".join(engine.stream(PROMPT, GREEDY)), engine
    finally:
        engine.close()


@pytest.mark.slow
def test_hand_made_adapter_attaches_and_changes_the_output(base_model: Path,
                                                           tmp_path: Path) -> None:
    adapter = write_lora_adapter(tmp_path / "hospital-a.gguf")
    plain, _ = _greedy(base_model, None)
    adapted, engine = _greedy(base_model, adapter)
    assert plain
    assert adapted
    assert adapted != plain
    info = engine.info
    assert info is not None
    assert info.adapter is not None
    assert info.adapter.name == "hospital-a"
    assert len(info.adapter.sha256) == 64
    assert info.adapter.attach_seconds < 1.0


def test_adapter_for_another_architecture_is_refused_before_llama_cpp(
        base_model: Path, tmp_path: Path) -> None:
    other = write_gguf(tmp_path / "llama-adapter.gguf",
                       {**ADAPTER_META, "general.architecture": "llama"}, [("x.lora_a", [4])])
    with pytest.raises(ModelFileError, match="made for a llama model"):
        inspect_adapter(other, read_gguf(base_model))
    with pytest.raises(ModelFileError, match="is a model, not a LoRA adapter"):
        inspect_adapter(base_model, read_gguf(base_model))
    with pytest.raises(ModelFileError, match="not on IT's list"):
        inspect_adapter(write_lora_adapter(tmp_path / "a.gguf", layers=1), read_gguf(base_model),
                        allowed=("0" * 64,))


@pytest.mark.slow
def test_adapter_with_wrong_shapes_is_a_sentence_and_frees_the_model(
        base_model: Path, tmp_path: Path) -> None:
    wrong = write_lora_adapter(tmp_path / "small-model-adapter.gguf", embd=64, layers=1)
    engine = LlamaEngine(base_model, EngineSettings(n_ctx=256, n_threads=1,
                                                    adapter_path=str(wrong)))
    with pytest.raises(ModelLoadError, match="do not match this model"):
        engine.load()
    assert not engine.loaded
