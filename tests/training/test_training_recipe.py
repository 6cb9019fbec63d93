"""The recipe's defaults are the paper's, overrides are typed, and the device plan follows
what torch detects (detection faked here: no GPU on the machines this was built on)."""

from __future__ import annotations

import pytest

from training.errors import RecipeError
from training.precision import choose_precision
from training.recipe import build_recipe, parse_sets
from training.stages import accumulation_steps


def test_defaults_are_chatradio_valuer_s_hyperparameters() -> None:
    recipe = build_recipe()
    t = recipe.train
    assert (t.lora_r, t.lora_alpha, t.learning_rate) == (64, 16, 1.41e-5)
    assert (t.effective_batch_size, accumulation_steps(t, 1)) == (64, 16)
    assert (t.max_source_length, t.max_target_length, t.epochs) == (512, 512, 3.0)
    assert t.lr_scheduler == "linear"
    assert t.embedding_modules == ["embed_tokens"]
    assert 0 < t.stage_one_fraction < 0.5  # a small sample first, "the remaining majority" next
    assert recipe.export.quantization == "Q4_K_M"
    assert recipe.model.quantization == "auto"
    assert recipe.merge.dtype == "float32"
    assert recipe.data.train_fraction == 0.8


def test_set_overrides_are_typed() -> None:
    # Unknown keys are refused: test_training_preflight.py (issue 16; they only warned).
    recipe = build_recipe(parse_sets(["train.lora_r=8", "train.learning_rate=1e-3",
                                      "train.target_modules=q_proj,v_proj",
                                      "export.keep_unquantized=false"]))
    assert recipe.train.lora_r == 8
    assert recipe.train.learning_rate == 1e-3
    assert recipe.train.target_modules == ["q_proj", "v_proj"]
    assert recipe.export.keep_unquantized is False
    with pytest.raises(RecipeError, match="'train.lora_r' should be int"):
        build_recipe(parse_sets(["train.lora_r=many"]))
    with pytest.raises(RecipeError, match="section.key=value"):
        parse_sets(["lora_r=8"])


def test_accumulation_keeps_the_effective_batch_on_several_processes() -> None:
    t = build_recipe().train
    assert [accumulation_steps(t, n) for n in (1, 2, 4, 16)] == [16, 8, 4, 1]
    with pytest.raises(Exception, match="cannot be split over 3 processes"):
        accumulation_steps(t, 3)


def test_cuda_gets_4bit_nf4_qlora_with_bf16() -> None:
    recipe = build_recipe()
    plan = choose_precision(recipe.model, recipe.train, cuda=True, bf16_supported=True)
    assert plan.load_in_4bit
    assert plan.compute_dtype == "bfloat16"
    assert plan.bf16
    assert not plan.fp16
    assert plan.optimizer == "paged_adamw_32bit"
    assert plan.gradient_checkpointing
    assert plan.device == "cuda"
    assert "4-bit NF4" in plan.reason


def test_older_gpus_without_bf16_train_in_fp16(monkeypatch: pytest.MonkeyPatch) -> None:
    recipe = build_recipe()
    plan = choose_precision(recipe.model, recipe.train, cuda=True, bf16_supported=False)
    assert plan.load_in_4bit
    assert plan.compute_dtype == "float16"
    assert plan.fp16
    monkeypatch.setenv("LOCAL_RANK", "1")  # under torchrun each rank loads onto its own GPU
    assert plan.device_map() == {"": 1}


def test_cpu_trains_full_precision_lora() -> None:
    recipe = build_recipe()
    plan = choose_precision(recipe.model, recipe.train, cuda=False, bf16_supported=False)
    assert not plan.load_in_4bit
    assert plan.compute_dtype == "float32"
    assert not plan.bf16
    assert not plan.fp16
    assert plan.optimizer == "adamw_torch"
    assert not plan.gradient_checkpointing
    assert plan.device_map() is None


def test_recipe_can_force_4bit_or_full_precision() -> None:
    recipe = build_recipe(parse_sets(["model.quantization=none"]))
    assert not choose_precision(recipe.model, recipe.train, True, True).load_in_4bit
    recipe = build_recipe(parse_sets(["model.quantization=nf4"]))
    assert choose_precision(recipe.model, recipe.train, False, False).load_in_4bit
    recipe = build_recipe(parse_sets(["model.compute_dtype=float16"]))
    with pytest.raises(RecipeError, match="needs a GPU"):
        choose_precision(recipe.model, recipe.train, False, False)


def test_detection_is_what_train_asks_torch(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from training import precision

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert precision.detect() == (True, True)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert precision.detect() == (False, False)
