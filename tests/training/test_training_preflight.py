"""Issue 16, item 5: a recipe that cannot train is refused before any model loads, one
sentence per problem; `python -m training status RUN` says what was done, the plan and the
device; training says once where its progress curves are (or that TensorBoard is missing)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from training.errors import RecipeError
from training.recipe import build_recipe, parse_sets


def test_an_unknown_key_is_refused_with_the_key_it_resembles() -> None:
    with pytest.raises(RecipeError) as caught:
        build_recipe(parse_sets(["train.lora_rank=8", "colour.red=1"]))
    text = str(caught.value)
    assert "train.lora_rank is not a recipe key" in text
    assert "train.lora_r" in text  # the nearest known key, offered
    assert "[colour] is not a recipe section" in text


@pytest.mark.parametrize(("setting", "sentence"), [
    ("train.per_device_batch_size=0", "train.per_device_batch_size must be at least 1"),
    ("train.effective_batch_size=0", "train.effective_batch_size must be at least 1"),
    ("train.lora_r=0", "train.lora_r must be at least 1"),
    ("train.learning_rate=-1", "train.learning_rate must be above 0"),
    ("train.lora_dropout=1.5", "train.lora_dropout must be at least 0 and below 1"),
    ("train.max_source_length=0", "train.max_source_length must be at least 1"),
    ("train.epochs=0", "train.epochs must be above 0"),
    ("train.target_modules=", "train.target_modules must name at least one layer"),
    ("model.device=tpu", "model.device must be auto, cuda or cpu"),
    ("export.outtype=f8", "export.outtype must be one of auto"),
])
def test_an_impossible_value_is_refused_with_one_sentence(setting: str, sentence: str) -> None:
    with pytest.raises(RecipeError, match=sentence):
        build_recipe(parse_sets([setting]))


def test_every_problem_is_said_at_once_one_sentence_each() -> None:
    with pytest.raises(RecipeError) as caught:
        build_recipe(parse_sets(["train.per_device_batch_size=0", "train.lora_r=0",
                                 "train.epochs=-1"]))
    lines = str(caught.value).splitlines()
    assert len(lines) == 4  # a heading and three sentences
    assert all(line.rstrip().endswith(".") for line in lines[1:])


def test_a_cpu_only_torch_is_refused_when_cuda_is_asked_for_or_a_gpu_is_there() -> None:
    from training.preflight import check_device

    cuda = build_recipe(parse_sets(["model.device=cuda"]))
    auto = build_recipe()
    cpu = build_recipe(parse_sets(["model.device=cpu"]))
    with pytest.raises(RecipeError, match="CPU-only build of torch"):
        check_device(cuda, torch_cuda=False, gpu_seen=False, torch_version="2.13.0+cpu")
    # A GPU server with the CPU wheel: hours on the CPU unless the recipe says so.
    with pytest.raises(RecipeError, match="model.device=cpu"):
        check_device(auto, torch_cuda=False, gpu_seen=True, torch_version="2.13.0+cpu")
    assert check_device(auto, torch_cuda=False, gpu_seen=False,
                        torch_version="2.13.0+cpu") == "cpu"
    assert check_device(cpu, torch_cuda=False, gpu_seen=True,
                        torch_version="2.13.0+cpu") == "cpu"
    assert check_device(auto, torch_cuda=True, gpu_seen=True, torch_version="2.13.0") == "cuda"
    # Asked for the CPU on a machine with CUDA: the plan trains on the CPU.
    from training.precision import choose_precision

    assert choose_precision(cpu.model, cpu.train, cuda=True, bf16_supported=True).device == "cpu"


def test_the_cli_refuses_a_bad_recipe_before_any_model_loads(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from training.__main__ import main

    missing = tmp_path / "no-such-model"  # loading it would fail with another message
    for bad in ("train.per_device_batch_size=0", "train.colour=red"):
        code = main(["train", "--run-dir", str(tmp_path / "run"),
                     "--set", f"model.base={missing}", "--set", bad])
        assert code == 1
        err = capsys.readouterr().err
        assert "no-such-model" not in err
        assert ("per_device_batch_size must be at least 1" in err
                or "train.colour is not a recipe key" in err)


def test_status_shows_steps_done_the_plan_and_the_device(
        trained_run: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    from training.__main__ import main

    run = trained_run["run"]
    started = time.perf_counter()
    assert main(["status", str(run.root)]) == 0
    seconds = time.perf_counter() - started
    out = capsys.readouterr().out
    for step in ("prepare", "train", "merge", "export"):
        assert f"{step}: done" in out
    assert "select-prompt: not needed (prompt.template = t2_numbered)" in out
    assert "stage1: 6 of 6 steps" in out
    assert "stage2: 6 of 6 steps" in out
    assert "device: cpu" in out
    assert "effective batch 2" in out
    assert seconds < 5, seconds  # no model is loaded to say this


def test_status_of_a_folder_that_is_no_run_says_so(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from training.__main__ import main

    assert main(["status", str(tmp_path)]) == 1
    assert "is not a training run folder" in capsys.readouterr().err


def test_training_says_once_that_tensorboard_is_missing(trained_run: dict[str, Any]) -> None:
    events = [json.loads(line) for line in
              (trained_run["run"].train / "events.jsonl").read_text(encoding="utf-8")
              .splitlines()]
    notes = [e for e in events if e["event"] == "tensorboard"]
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        assert len(notes) == 1, notes
        assert "not installed" in notes[0]["note"]
    else:
        assert len(notes) == 1
        assert list((trained_run["run"].train / "tensorboard").rglob("events.out.tfevents.*"))


def test_status_of_a_training_under_way_shows_its_steps_of_the_planned(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The files a training writes as it goes (recipe.json, stage.json, events.jsonl)."""
    from training.__main__ import main
    from training.run_folder import RunFolder, write_json

    run = RunFolder(tmp_path / "run").create()
    recipe = build_recipe(parse_sets(["train.per_device_batch_size=2",
                                      "train.effective_batch_size=4", "train.epochs=2",
                                      "model.device=cpu"]))
    write_json(run.recipe_file, recipe.as_dict())
    (run.train / "stage1").mkdir(parents=True)
    write_json(run.train / "stage1" / "stage.json",
               {"steps": 5, "eval_loss_before": 3.21, "eval_loss_after": 2.5, "seconds": 9.0})
    lines = [{"event": "start", "stage": "stage2", "samples": 41, "time": 1.0},
             {"event": "log", "stage": "stage2", "step": 7, "loss": 2.125, "time": 2.0}]
    (run.train / "events.jsonl").write_text(
        "".join(json.dumps(line) + "\n" for line in lines) + '{"event": "log", "sta',
        encoding="utf-8")  # the last line cut by a kill
    assert main(["status", str(run.root)]) == 0
    out = capsys.readouterr().out
    assert "stage1: 5 of 5 steps, done (eval loss 3.21 -> 2.5, 9.0 s)" in out
    # 41 samples / 4 per optimizer step = 11 steps an epoch, 2 epochs.
    assert "stage2: 7 of 22 steps, last loss 2.125 (not finished)" in out
    assert "train: not run" in out
    assert "device: cpu" in out
