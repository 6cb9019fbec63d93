"""`python -m training`: each step's errors are one sentence and an exit code, the recipe is kept
in the run folder, fetch-converter is idempotent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from training_helpers import MODEL_CACHE

from training.__main__ import main


def test_a_step_run_too_early_says_which_to_run(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    assert main(["train", "--run-dir", str(run), "--set", "prompt.template=t1_terse"]) == 1
    assert "run `python -m training prepare` first" in capsys.readouterr().err
    assert main(["merge", "--run-dir", str(run)]) == 1
    assert "run `python -m training train`" in capsys.readouterr().err
    assert main(["prepare", "--run-dir", str(run)]) == 1
    assert "Set data.institutions" in capsys.readouterr().err


def test_only_train_runs_under_torchrun(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert main(["merge", "--run-dir", str(tmp_path / "run")]) == 1
    assert "`merge` runs in one process" in capsys.readouterr().err


def test_the_run_keeps_its_recipe_for_later_steps(tmp_path: Path, institutions_file: Path
                                                  ) -> None:
    run = tmp_path / "run"
    assert main(["prepare", "--run-dir", str(run), "--set",
                 f"data.institutions={institutions_file}", "--set", "train.lora_r=8"]) == 0
    recipe = tmp_path / "recipe.toml"
    recipe.write_text("[train]\nlearning_rate = 2e-4\n", encoding="utf-8")
    # No --set this time: data.institutions and lora_r come from the run's recipe.json.
    assert main(["prepare", "--run-dir", str(run), "--recipe", str(recipe)]) == 0
    stored = json.loads((run / "recipe.json").read_text(encoding="utf-8"))
    assert stored["data"]["institutions"] == str(institutions_file)
    assert stored["train"]["lora_r"] == 8
    assert stored["train"]["learning_rate"] == 2e-4


def test_recipe_lists_every_key_with_its_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recipe"]) == 0
    out = capsys.readouterr().out
    assert "lora_r = 64  # LoRA rank" in out
    assert "learning_rate = 1.41e-05" in out


def test_fetch_converter_twice_is_quick(converter: Any, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RADVAL_CACHE", str(MODEL_CACHE))
    assert main(["fetch-converter"]) == 0
    assert f"already in {converter.root}" in capsys.readouterr().out
