"""prepare -> train -> merge -> export -> quantize on a tiny Llama, then the app drafts with it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from radval_desktop.drafting import DraftRequest, prepare
from radval_desktop.engine.gguf_file import read_gguf
from radval_desktop.engine.llama_engine import EngineSettings, LlamaEngine
from radval_desktop.engine.model_card import card_path, read_card
from radval_desktop.engine.sampling import Sampling
from training.records import read_reports
from training.samples import prompt_style, render


def test_training_lowers_the_eval_loss(trained_run: dict[str, Any]) -> None:
    summary = trained_run["train"]
    assert [s["name"] for s in summary["stages"]] == ["stage1", "stage2"]
    assert all(s["steps"] == 6 for s in summary["stages"])
    before, after = summary["eval_loss_before"], summary["eval_loss_after"]
    assert after < before, (before, after)
    losses = [loss for stage in summary["stages"] for _, loss in stage["train_losses"]]
    assert losses[-1] < losses[0]
    assert summary["precision"]["device"] == "cpu"
    assert not summary["precision"]["load_in_4bit"]


def test_adapter_trains_embeddings_then_linear_layers(trained_run: dict[str, Any]) -> None:
    import torch
    from safetensors.torch import load_file

    run = trained_run["run"]
    one = load_file(str(run.train / "stage1" / "adapter" / "adapter_model.safetensors"))
    two = load_file(str(run.train / "stage2" / "adapter" / "adapter_model.safetensors"))
    emb = [k for k in one if "lora_embedding" in k]
    linear_b = [k for k in one if "lora_B" in k]
    assert emb
    assert linear_b
    assert not any(".base_layer." in k for k in two)  # no copy of the base's embeddings
    # Stage one leaves the linear LoRA frozen (B starts at zero); stage two moves it and
    # keeps training the embeddings' LoRA (Algorithm 2: "simultaneously").
    assert any(not torch.equal(one[k], two[k]) for k in emb)
    assert all(torch.count_nonzero(one[k]) == 0 for k in linear_b)
    assert any(torch.count_nonzero(two[k]) > 0 for k in linear_b)


def _hf_logits(model_dir: Path, ids: list[int]) -> np.ndarray:
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32,
                                                 local_files_only=True)
    with torch.no_grad():
        return model(torch.tensor([ids])).logits[0].numpy()


def _gguf_logits(path: Path, ids: list[int]) -> np.ndarray:
    from llama_cpp import Llama

    llm = Llama(model_path=str(path), n_ctx=512, n_threads=1, logits_all=True, verbose=False)
    try:
        llm.eval(ids)
        return np.array(llm.scores[: len(ids)])
    finally:
        llm.close()


def test_f32_gguf_logits_match_the_merged_model(trained_run: dict[str, Any]) -> None:
    from transformers import AutoTokenizer

    run = trained_run["run"]
    f32 = Path(trained_run["export"]["model"]).with_name(
        trained_run["export"]["unquantized"])
    assert read_gguf(f32).quantization == "F32"
    tokenizer = AutoTokenizer.from_pretrained(str(run.merged), local_files_only=True)
    report = read_reports(run.data / "validation.jsonl")[0]
    text = render(report, "t2_numbered", _templates(), prompt_style(tokenizer)).text
    text += report.impression
    ids = tokenizer(text)["input_ids"]
    from llama_cpp import Llama

    vocab = Llama(model_path=str(f32), vocab_only=True, verbose=False)
    assert vocab.tokenize(text.encode(), add_bos=True, special=True) == ids
    vocab.close()
    hf, gguf = _hf_logits(run.merged, ids), _gguf_logits(f32, ids)
    diff = float(np.abs(hf - gguf).max())
    print(f"logits max abs diff over {len(ids)} tokens: {diff:.2e}")
    assert diff < 1e-3
    assert (hf.argmax(-1) == gguf.argmax(-1)).all()


def _templates() -> Any:
    from radval_desktop.prompts import load_templates

    return load_templates()


def test_quantized_gguf_has_a_card_and_the_app_drafts_with_its_prompt(
        trained_run: dict[str, Any]) -> None:
    run, export = trained_run["run"], trained_run["export"]
    model = Path(export["model"])
    assert model.name.endswith("-Q4_K_M.gguf")
    assert read_gguf(model).quantization == "Q4_K_M"
    assert model.stat().st_size < Path(model.with_name(export["unquantized"])).stat().st_size
    card = read_card(model)
    assert card is not None
    assert card_path(model) == Path(export["card"])
    assert card.template_id == "t2_numbered"
    assert card.prompt_layout == "chat template"
    assert card.model_sha256 == export["sha256"]
    assert card.evaluation["eval_loss_after"] < card.evaluation["eval_loss_before"]
    assert {c["key"] for c in card.data["columns"]} == {"H1-train", "H1-test", "H2", "all"}

    engine = LlamaEngine(model, EngineSettings(n_ctx=1024, n_threads=1))
    engine.load()
    try:
        report = read_reports(run.data / "validation.jsonl")[0]
        # No template asked for: the card's (t2_numbered; the file's default is asked for
        # nowhere), and the prompt is byte for byte the one training used.
        request = DraftRequest(report.findings, report.body_system, report.modality)
        _, rendered, version_id = prepare(engine, request)
        assert version_id.endswith("|t2_numbered")
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(run.merged), local_files_only=True)
        trained = render(report, "t2_numbered", _templates(), prompt_style(tokenizer))
        assert rendered.text == trained.text
        assert rendered.used_chat_template
        pieces = list(engine.stream(rendered.text, Sampling(temperature=0.0, max_tokens=8)))
        assert engine.last_stats.completion_tokens > 0
        assert pieces
    finally:
        engine.close()


def test_training_steps_make_no_network_call(trained_run: dict[str, Any]) -> None:
    # `all` ran in this process with every connect and name lookup refused and recorded;
    # the converter's own process runs with HF_HUB_OFFLINE=1 and a local --base.
    assert trained_run["network"] == []


def test_run_folder_records_every_step(trained_run: dict[str, Any]) -> None:
    record = json.loads((trained_run["run"].record_file).read_text(encoding="utf-8"))
    assert list(record["steps"]) == ["prepare", "train", "merge", "export"]
    assert record["recipe"]["train"]["lora_r"] == 8
    print("step seconds:", trained_run["times"], "sizes:",
          {k: trained_run["export"][k] for k in ("size", "unquantized_size")},
          "quantize s:", trained_run["export"]["quantize_seconds"])


def test_the_card_ships_figures_not_reports(trained_run: dict[str, Any]) -> None:
    run = trained_run["run"]
    text = Path(trained_run["export"]["card"]).read_text(encoding="utf-8")
    card = json.loads(text)
    validation = read_reports(run.data / "validation.jsonl")
    assert card["evaluation"]["rouge_l_validation"]["cases"] == len(validation) == 1
    for name in ("train", "validation"):
        for report in read_reports(run.data / f"{name}.jsonl"):
            assert report.findings not in text
            assert report.impression not in text
    # The template file training used travels in the card, as kept in the run folder.
    kept = (run.train / "prompt_templates.toml").read_text(encoding="utf-8")
    assert card["prompt"]["templates_toml"] == kept


def test_resuming_with_another_recipe_is_refused(trained_run: dict[str, Any]) -> None:
    from dataclasses import replace

    from training.errors import TrainingError
    from training.train import train

    recipe = trained_run["recipe"]
    changed = replace(recipe, train=replace(recipe.train, lora_r=4))
    with pytest.raises(TrainingError, match="Use --force to start over"):
        train(changed, trained_run["run"])
    # How often to checkpoint changes no weight: that is the same training, already done.
    same = replace(recipe, train=replace(recipe.train, save_steps=7))
    assert train(same, trained_run["run"])["skipped"] is True


@pytest.mark.parametrize("step", ["train", "merge", "export"])
def test_a_step_done_before_is_skipped(trained_run: dict[str, Any], step: str) -> None:
    from training.export import export
    from training.merge import merge
    from training.train import train

    function = {"train": train, "merge": merge, "export": export}[step]
    result = function(trained_run["recipe"], trained_run["run"])
    assert result["skipped"] is True


def test_the_run_folder_with_its_checkpoints_is_owner_only(trained_run: dict[str, Any]) -> None:
    # Issue 17: splits, problems.jsonl, checkpoints (the model can repeat its training
    # reports), the merged model and the GGUF files, made under a umask of 002.
    from test_training_private import not_owner_only

    root = trained_run["run"].root
    assert list(root.glob("train/**/checkpoint-*")), "the run should have kept checkpoints"
    assert list(root.glob("export/*.gguf"))
    assert not_owner_only(root) == []
