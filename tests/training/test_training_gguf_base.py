"""Issue 16, item 1: a quantized GGUF as `model.base`. It is dequantized once into the run
folder, trained on, and the adapter `export-adapter` writes applies in the app's engine on top
of the original quantized file, named in its card by that file's sha256."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from training_helpers import MODEL_CACHE, env, fast_recipe, training_texts

from radval_desktop.engine.checksums import sha256_file
from radval_desktop.engine.gguf_file import read_gguf
from radval_desktop.engine.llama_engine import EngineSettings, LlamaEngine
from radval_desktop.engine.model_card import read_card

TEXT = "检查所见：右肺上叶磨玻璃结节。诊断意见：Small nodule."
# Q8_0 weights are what training saw (dequantized exactly), but llama.cpp also rounds the
# activations to 8 bits in a Q8_0 product: the adapter on the quantized base matches the
# trained PEFT model to this, not to the f32 bound of test_training_tied.py.
Q8_BOUND = 0.01


@pytest.fixture(scope="module", params=[True, False], ids=["tied", "untied"])
def gguf_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
             institutions_file: Path, converter: Any) -> dict[str, Any]:
    """A tiny Llama converted and quantized to Q8_0 by the project's own export code, then
    prepare -> train -> export-adapter with that GGUF file as the base."""
    from tiny_model import build_tiny_llama

    from training.adapter_export import export_adapter
    from training.export import convert, quantize
    from training.prepare import prepare
    from training.run_folder import RunFolder
    from training.train import train

    tied = bool(request.param)
    root = tmp_path_factory.mktemp("gguf-base-tied" if tied else "gguf-base-untied")
    hf = build_tiny_llama(root / "hf", training_texts(), tied=tied)
    models = root / "models"
    f32 = convert(converter, hf, root / "convert", "tiny", "f32")
    base = models / "tiny-Q8_0.gguf"
    models.mkdir()
    quantize(f32, base, "Q8_0", 1)
    # A tied base trains LoRA on the linear layers only: llama.cpp would apply an
    # embeddings LoRA to the shared output layer too (test_a_tied_gguf_base_...).
    extra = ["train.stage_one_fraction=0"] if tied else []
    recipe = fast_recipe(base, institutions_file, "export.quantization=none", *extra)
    run = RunFolder(root / "run")
    with env(RADVAL_CACHE=str(MODEL_CACHE), RADVAL_HOME=str(root / "home")):
        run.create()
        prepare(recipe, run)
        summary = train(recipe, run)
        exported = export_adapter(recipe, run, outfile=models / "tiny-h1-lora-f32.gguf")
    return {"tied": tied, "base": base, "hf": hf, "run": run, "recipe": recipe,
            "train": summary, "adapter": exported}


def test_the_gguf_base_is_dequantized_once_into_the_run_and_trained(
        gguf_run: dict[str, Any]) -> None:
    from training.gguf_base import MARKER, with_hf_base
    from training.run_folder import read_json

    run, base = gguf_run["run"], gguf_run["base"]
    assert read_gguf(base).quantization == "Q8_0"
    folder = run.root / "base"
    marker = read_json(folder / MARKER)
    assert marker["sha256"] == sha256_file(base)
    assert marker["quantization"] == "Q8_0"
    assert (folder / "config.json").is_file()
    assert [s["steps"] for s in gguf_run["train"]["stages"]] == ([6] if gguf_run["tied"]
                                                                  else [6, 6])
    assert gguf_run["train"]["eval_loss_after"] < gguf_run["train"]["eval_loss_before"]
    # Once: asking again reuses the folder rather than dequantizing a second time.
    made = (folder / "model.safetensors").stat().st_mtime_ns
    with_hf_base(gguf_run["recipe"], run)
    assert (folder / "model.safetensors").stat().st_mtime_ns == made


def _engine_last_logits(base: Path, ids: list[int], adapter: Path | None) -> np.ndarray:
    engine = LlamaEngine(base, EngineSettings(n_ctx=256, n_threads=1,
                                              adapter_path=str(adapter) if adapter else None))
    info = engine.load()
    try:
        if adapter is not None:
            assert info.adapter is not None
            assert info.adapter.sha256 == sha256_file(adapter)
        llm = engine._llm  # the engine's own llama.cpp context, adapter attached
        llm.reset()
        llm.eval(ids)
        # The engine keeps no logits history (logits_all off): read the last row from the
        # context, as llama.cpp's sampler does.
        return np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).copy()
    finally:
        engine.close()


def _peft_last_logits(hf_base: Path, adapter: Path, ids: list[int]) -> np.ndarray:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(hf_base), dtype=torch.float32,
                                                 local_files_only=True)
    model = PeftModel.from_pretrained(model, str(adapter)).eval()
    with torch.no_grad():
        return model(input_ids=torch.tensor([ids])).logits[0, -1].numpy()


def test_the_adapter_applies_on_the_quantized_base_in_the_app_engine(
        gguf_run: dict[str, Any]) -> None:
    from transformers import AutoTokenizer

    run, base = gguf_run["run"], gguf_run["base"]
    adapter = Path(gguf_run["adapter"]["adapter_gguf"])
    ids = list(AutoTokenizer.from_pretrained(str(run.root / "base"))(TEXT)["input_ids"])
    plain = _engine_last_logits(base, ids, None)
    adapted = _engine_last_logits(base, ids, adapter)
    trained = _peft_last_logits(run.root / "base", run.adapter, ids)
    moved = float(np.abs(adapted - plain).max())
    diff = float(np.abs(adapted - trained).max())
    print(f"{'tied' if gguf_run['tied'] else 'untied'}: adapter moves the Q8_0 base's last "
          f"logits by {moved:.3f}; Q8_0 + adapter vs trained PEFT model {diff:.2e}")
    assert moved > 10 * Q8_BOUND
    assert diff < Q8_BOUND


def test_the_adapter_card_names_the_quantized_base_by_sha256(gguf_run: dict[str, Any]) -> None:
    import json

    adapter = Path(gguf_run["adapter"]["adapter_gguf"])
    card = read_card(adapter)
    assert card is not None
    assert card.model_sha256 == gguf_run["adapter"]["sha256"]
    assert card.template_id == "t2_numbered"
    raw = json.loads(Path(gguf_run["adapter"]["card"]).read_text(encoding="utf-8"))
    assert raw["base"]["sha256"] == sha256_file(gguf_run["base"])
    assert raw["base"]["format"] == "gguf"
    assert raw["base"]["quantization"] == "Q8_0"
    assert raw["base"]["name"] == "tiny-Q8_0"


def test_a_tied_gguf_base_with_embeddings_lora_is_refused_before_training(
        gguf_run: dict[str, Any]) -> None:
    from dataclasses import replace

    from training.errors import TrainingError
    from training.train import train

    recipe = gguf_run["recipe"]
    with_stage_one = replace(recipe, train=replace(recipe.train, stage_one_fraction=0.2))
    with env(RADVAL_CACHE=str(MODEL_CACHE)):
        if gguf_run["tied"]:
            with pytest.raises(TrainingError, match="stage_one_fraction=0"):
                train(with_stage_one, gguf_run["run"])
        else:  # untied: stage one is what the fixture trained, so that run is done
            assert train(with_stage_one, gguf_run["run"])["skipped"] is True


def test_merge_and_export_also_work_from_a_gguf_base(gguf_run: dict[str, Any]) -> None:
    """The merged-model route too: merged into the dequantized copy, converted, and its card
    names the GGUF it came from."""
    from training.export import export
    from training.merge import merge

    with env(RADVAL_CACHE=str(MODEL_CACHE)):
        merged = merge(gguf_run["recipe"], gguf_run["run"])
        exported = export(gguf_run["recipe"], gguf_run["run"])
    assert merged["untied_output_layer"] is False  # stage one was off for the tied one
    card = read_card(Path(exported["model"]))
    assert card is not None
    assert card.base_model == "tiny-Q8_0"
    assert Path(exported["model"]).name == "radval-tiny-Q8_0-f32.gguf"
