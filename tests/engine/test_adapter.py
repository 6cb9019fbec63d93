"""LoRA adapters: attached on top of a base model by llama.cpp, changing what it writes.

Two adapters: one written here by hand for the embedded default model (random low-rank
updates of every layer's query projection: any real LoRA export has this shape), and the one
`training` exports for its tiny test model with llama.cpp's own converter.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from gguf_builder import token_embd_lora, write_gguf, write_lora_adapter

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
REPO = Path(__file__).resolve().parents[2]
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
def test_adapter_llama_cpp_refuses_is_a_sentence_and_frees_the_model(
        base_model: Path, tmp_path: Path) -> None:
    """A tensor llama.cpp's adapter loader does not know (neither lora_a/lora_b nor a norm):
    RadVal's header check lets it through, llama.cpp refuses it after the model loaded."""
    odd = write_gguf(tmp_path / "odd-adapter.gguf", ADAPTER_META,
                     [("blk.0.attn_q.weight.lora_a", [896, 4]),
                      ("blk.0.attn_q.weight.lora_b", [4, 896]), ("blk.0.attn_q.scale", [4])])
    engine = LlamaEngine(base_model, EngineSettings(n_ctx=256, n_threads=1,
                                                    adapter_path=str(odd)))
    with pytest.raises(ModelLoadError, match="do not match this model"):
        engine.load()
    assert not engine.loaded


# --- adapters llama.cpp would abort on (issue 16): refused from the header, in words -------

CRASH_SCRIPT = """
import sys
from pathlib import Path
model, adapter, through = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
prompt = ("<|im_start|>user\\nWrite the impression: normal chest.<|im_end|>\\n"
          "<|im_start|>assistant\\n")
if through == "llama_cpp":  # llama.cpp alone, as RadVal would call it without the check
    import llama_cpp
    llm = llama_cpp.Llama(str(model), n_ctx=256, n_threads=1, verbose=False,
                          lora_path=str(adapter))
    print(llm(prompt, max_tokens=4, temperature=0.0)["choices"][0]["text"])
else:
    from radval_desktop.engine.llama_engine import EngineSettings, LlamaEngine
    from radval_desktop.engine.sampling import Sampling
    from radval_desktop.errors import RadvalError
    engine = LlamaEngine(model, EngineSettings(n_ctx=256, n_threads=1, adapter_path=str(adapter)))
    try:
        engine.load()
        print("".join(engine.stream(prompt, Sampling(temperature=0.0, max_tokens=4))))
    except RadvalError as err:
        print("REFUSED:", err)
        sys.exit(3)
"""


@pytest.fixture(scope="module")
def tied_base(default_model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default model without output.weight: llama.cpp then reuses token_embd.weight as the
    output layer, as for any tied model (Qwen2.5 0.5B-3B, Llama 3.2 1B/3B)."""
    from gguf_builder import write_tied_copy

    return write_tied_copy(default_model_path, tmp_path_factory.mktemp("tied") / "tied.gguf")


def _run(model: Path, adapter: Path, through: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RADVAL_HOME": str(home), "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", CRASH_SCRIPT, str(model), str(adapter), through],
                          capture_output=True, text=True, timeout=300, env=env, cwd=REPO)


@pytest.mark.slow
def test_embedding_adapter_on_tied_model_kills_llama_cpp_but_radval_refuses_it(
        tied_base: Path, tmp_path: Path, radval_home: Path) -> None:
    embedding = write_lora_adapter(tmp_path / "embedding.gguf", layers=1,
                                   extra=token_embd_lora())
    # llama.cpp's own loader takes it, then the first draft aborts the process (SIGABRT).
    crashed = _run(tied_base, embedding, "llama_cpp", radval_home)
    assert crashed.returncode < 0, crashed.stdout + crashed.stderr[-2000:]
    assert "GGML_ASSERT" in crashed.stderr
    refused = _run(tied_base, embedding, "radval", radval_home)
    assert refused.returncode == 3, refused.stdout + refused.stderr[-2000:]
    assert "shares them with its output layer (tied embeddings)" in refused.stdout
    with pytest.raises(ModelFileError, match="tied embeddings"):
        inspect_adapter(embedding, read_gguf(tied_base))


def test_embedding_adapter_fits_an_untied_model(base_model: Path, tmp_path: Path) -> None:
    """The same adapter on the untied default model (own output.weight) is not refused."""
    embedding = write_lora_adapter(tmp_path / "embedding.gguf", layers=1,
                                   extra=token_embd_lora())
    info, digest = inspect_adapter(embedding, read_gguf(base_model))
    assert "token_embd.weight.lora_a" in info.tensors
    assert len(digest) == 64


@pytest.mark.parametrize(("adapter", "words"), [
    # a model 64 wide (the tiny test Llama's size) on the 896-wide default
    ({"embd": 64, "layers": 1}, r"blk\.0\.attn_q\.weight has the shapes 64 x 4 and 4 x 64, "
                                r"which do not fit the model's 896 x 896"),
    # a 28-layer model's adapter (Qwen2.5 1.5B) on the 24-layer default
    ({"layers": 28}, r"changes the tensor blk\.24\.attn_q\.weight, which the model does not"),
    # ranks that disagree inside the embedding pair: llama.cpp's loader does not compare them
    ({"layers": 0, "extra": {"token_embd.weight": ([4, 151936], [8, 896])}},
     r"token_embd\.weight has the shapes 4 x 151936 and 8 x 896"),
    ({"layers": 0, "extra": {"blk.0.attn_q.bias": ([896, 4], [4, 896])}},
     r"not a pair of matrices over a matrix"),
], ids=["hidden-size", "missing-tensor", "embedding-ranks", "vector-target"])
def test_adapter_that_does_not_fit_the_base_is_refused_in_words(
        base_model: Path, tmp_path: Path, adapter: dict[str, Any], words: str) -> None:
    path = write_lora_adapter(tmp_path / "other.gguf", **adapter)
    with pytest.raises(ModelFileError, match=words) as refused:
        inspect_adapter(path, read_gguf(base_model))
    assert "choose the adapter trained on this model" in str(refused.value)


def test_half_a_lora_pair_is_refused(base_model: Path, tmp_path: Path) -> None:
    half = write_gguf(tmp_path / "half.gguf", ADAPTER_META,
                      [("blk.0.attn_q.weight.lora_a", [896, 4])])
    with pytest.raises(ModelFileError, match="only half of the LoRA pair for blk.0.attn_q"):
        inspect_adapter(half, read_gguf(base_model))
