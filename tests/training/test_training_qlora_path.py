"""The QLoRA code path (bitsandbytes 4-bit NF4, k-bit preparation, gradient checkpointing),
forced on the CPU, where bitsandbytes' 4-bit also runs: what CUDA machines run, minus CUDA."""

from __future__ import annotations

from pathlib import Path

from training_helpers import fast_recipe

from training.merge import merge
from training.modeling import load_base_for_training
from training.precision import choose_precision
from training.prepare import prepare
from training.run_folder import RunFolder
from training.train import train


def test_nf4_base_trains_and_merges_into_full_precision(tmp_path: Path, tiny_base: Path,
                                                        institutions_file: Path) -> None:
    import torch
    from safetensors.torch import load_file

    recipe = fast_recipe(tiny_base, institutions_file, "model.quantization=nf4",
                         "model.gradient_checkpointing=true", "train.max_steps=2",
                         "prompt.rouge_samples=0")
    plan = choose_precision(recipe.model, recipe.train, cuda=False, bf16_supported=False)
    assert plan.load_in_4bit
    assert plan.gradient_checkpointing
    base = load_base_for_training(recipe.model, plan)
    q_proj = base.model.layers[0].self_attn.q_proj
    assert type(q_proj).__name__ == "Linear4bit"
    assert q_proj.weight.quant_type == "nf4"
    del base

    run = RunFolder(tmp_path / "run")
    prepare(recipe, run)
    summary = train(recipe, run)
    assert summary["precision"]["load_in_4bit"] is True
    assert summary["stages"][-1]["steps"] == 2
    assert summary["eval_loss_after"] < summary["eval_loss_before"]
    merge(recipe, run)
    # Merged onto the base reloaded in full precision: plain float32 weights, moved by LoRA.
    merged = load_file(str(run.merged / "model.safetensors"))
    original = load_file(str(tiny_base / "model.safetensors"))
    key = "model.layers.0.self_attn.q_proj.weight"
    assert merged[key].dtype == torch.float32
    assert merged[key].shape == original[key].shape
    assert not torch.equal(merged[key], original[key])
