"""select-prompt: a short run per template, the best by eval loss and ROUGE-L, recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from training_helpers import fast_recipe

from training.errors import TrainingError
from training.prepare import prepare
from training.run_folder import RunFolder
from training.select_prompt import choose, select_prompt
from training.train import chosen_template


def test_choice_weighs_loss_and_rouge_together() -> None:
    results = [{"template_id": "a", "eval_loss": 2.0, "rouge_l": 0.30},
               {"template_id": "b", "eval_loss": 1.0, "rouge_l": 0.10},
               {"template_id": "c", "eval_loss": 1.5, "rouge_l": 0.40}]
    # ranks (loss, rouge): a (3, 2) = 5, b (1, 3) = 4, c (2, 1) = 3
    choice = choose(results)
    assert choice["template_id"] == "c"
    assert [r["template_id"] for r in choice["ranking"]] == ["c", "b", "a"]
    # ROUGE-L all 0 (early in training): the loss decides.
    flat = [dict(r, rouge_l=0.0) for r in results]
    assert choose(flat)["template_id"] == "b"


def test_select_prompt_runs_each_candidate_and_records_the_choice(
        tmp_path: Path, tiny_base: Path, institutions_file: Path) -> None:
    recipe = fast_recipe(tiny_base, institutions_file, "prompt.template=auto",
                         "prompt.candidates=t1_terse,t5_radiology_gpt", "train.max_steps=2",
                         "prompt.rouge_samples=1", "prompt.rouge_max_new_tokens=4")
    run = RunFolder(tmp_path / "run")
    prepare(recipe, run)
    with pytest.raises(TrainingError, match="run `python -m training select-prompt` first"):
        chosen_template(recipe, run, _templates())
    choice = select_prompt(recipe, run)
    ranked = {r["template_id"] for r in choice["ranking"]}
    assert ranked == {"t1_terse", "t5_radiology_gpt"}
    for template_id in ranked:
        result = json.loads((run.select_prompt / template_id / "result.json").read_text())
        assert result["steps"] == 2
        assert result["rouge_cases"] == 1
        assert result["eval_loss"] < result["eval_loss_before"]
    assert chosen_template(recipe, run, _templates()) == choice["template_id"]
    assert choice["template_version"] == _templates().version
    record = json.loads(run.record_file.read_text())["steps"]["select-prompt"]
    assert record["summary"]["template_id"] == choice["template_id"]
    assert select_prompt(recipe, run)["skipped"] is True


def _templates():  # type: ignore[no-untyped-def]
    from radval_desktop.prompts import load_templates

    return load_templates()
