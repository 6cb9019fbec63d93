"""Issue 16, item 2: the exported GGUF is the model that was trained, whether or not the output
layer shares the embeddings' tensor. Stage one puts LoRA on `embed_tokens`; on a tied model a
plain merge also moves the output layer, which training never did."""

from __future__ import annotations

import gc
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from training_helpers import MODEL_CACHE, env, fast_recipe, training_texts

# The bound README states for "exported GGUF == trained model" (f32 GGUF, tiny Llama).
LOGITS_BOUND = 1e-4


@pytest.fixture(autouse=True)
def _loading_pools_end() -> Any:
    """transformers loads weights through a ThreadPoolExecutor whose idle worker outlives the
    load until the pool is collected; the per-test thread check (conftest) counted one once."""
    yield
    gc.collect()
    for thread in threading.enumerate():
        if (thread.name.startswith("ThreadPoolExecutor-")
                and thread is not threading.current_thread()):
            thread.join(timeout=5)


@pytest.fixture(scope="module", params=[True, False], ids=["tied", "untied"])
def exported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
             institutions_file: Path, converter: Any) -> dict[str, Any]:
    """prepare -> train -> merge -> export (f32, no quantization) on a tiny Llama."""
    from tiny_model import build_tiny_llama

    from training.export import export
    from training.merge import merge
    from training.prepare import prepare
    from training.run_folder import RunFolder
    from training.train import train

    tied = bool(request.param)
    root = tmp_path_factory.mktemp("tied" if tied else "untied")
    base = build_tiny_llama(root / "base", training_texts(), tied=tied)
    recipe = fast_recipe(base, institutions_file, "export.quantization=none")
    run = RunFolder(root / "run")
    with env(RADVAL_CACHE=str(MODEL_CACHE), RADVAL_HOME=str(root / "home")):
        run.create()
        prepare(recipe, run)
        summary = train(recipe, run)
        merge(recipe, run)
        result = export(recipe, run)
    return {"tied": tied, "base": base, "run": run, "recipe": recipe, "train": summary,
            "export": result}


def _ids(base: Path) -> list[int]:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base), local_files_only=True)
    return list(tokenizer("检查所见：右肺上叶磨玻璃结节。诊断意见：Small nodule.")["input_ids"])


def _peft_logits(base: Path, adapter: Path, ids: list[int]) -> np.ndarray:
    """The trained model as training ran it: the base with the PEFT adapter, unmerged."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32,
                                                 local_files_only=True)
    model = PeftModel.from_pretrained(model, str(adapter)).eval()
    with torch.no_grad():
        return model(input_ids=torch.tensor([ids])).logits[0].numpy()


def test_base_is_tied_as_asked(exported: dict[str, Any]) -> None:
    import json

    config = json.loads((exported["base"] / "config.json").read_text(encoding="utf-8"))
    assert config["tie_word_embeddings"] is exported["tied"]
    # Stage one trained the embeddings' LoRA: the case that moves a tied output layer.
    assert [s["name"] for s in exported["train"]["stages"]] == ["stage1", "stage2"]
    merge = json.loads(exported["run"].record_file.read_text(encoding="utf-8"))["steps"]["merge"]
    assert merge["summary"]["untied_output_layer"] is exported["tied"]


def _base_logits(base: Path, ids: list[int]) -> np.ndarray:
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32,
                                                 local_files_only=True)
    with torch.no_grad():
        return model(input_ids=torch.tensor([ids])).logits[0].numpy()


def test_exported_gguf_logits_equal_the_trained_peft_model(exported: dict[str, Any]) -> None:
    from test_training_end_to_end import _gguf_logits

    run = exported["run"]
    ids = _ids(exported["base"])
    trained = _peft_logits(exported["base"], run.adapter, ids)
    gguf = _gguf_logits(Path(exported["export"]["model"]), ids)
    diff = float(np.abs(trained - gguf).max())
    print(f"{'tied' if exported['tied'] else 'untied'}: trained PEFT vs exported f32 GGUF, "
          f"max abs logit diff over {len(ids)} tokens {diff:.2e}")
    # The adapter moved the model far more than the bound: the comparison can fail.
    assert float(np.abs(trained - _base_logits(exported["base"], ids)).max()) > 100 * LOGITS_BOUND
    assert diff < LOGITS_BOUND
    assert (trained.argmax(-1) == gguf.argmax(-1)).all()


def test_an_adapter_with_embeddings_lora_is_refused_on_a_tied_base(
        exported: dict[str, Any], tmp_path: Path) -> None:
    """llama.cpp applies token_embd's LoRA to a tied output layer as well (on this tiny model
    it stopped the process with GGML_ASSERT(ggml_can_mul_mat)): such an adapter is never
    written. Untied, the same adapter exports."""
    from training.adapter_export import export_adapter
    from training.errors import TrainingError

    out = tmp_path / "adapter.gguf"
    with env(RADVAL_CACHE=str(MODEL_CACHE)):
        if exported["tied"]:
            with pytest.raises(TrainingError, match="shares the embeddings' tensor"):
                export_adapter(exported["recipe"], exported["run"], outfile=out)
            assert not out.exists()
        else:
            assert Path(export_adapter(exported["recipe"], exported["run"],
                                       outfile=out)["adapter_gguf"]) == out
