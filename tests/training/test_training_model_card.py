"""The app's side of the model card: drafting uses the training prompt, model-info shows it,
a card for another file or a damaged one is ignored with a reason."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from radval_desktop.drafting import DraftRequest, prepare
from radval_desktop.engine.llama_engine import EngineSettings, LlamaEngine
from radval_desktop.engine.model_card import card_path, find_card, read_card

FINDINGS = "双肺纹理清晰，右肺上叶见一磨玻璃结节。"


@pytest.fixture
def model_copy(trained_run: dict[str, Any], tmp_path: Path) -> Path:
    """The exported GGUF and its card, copied where a test may change the card."""
    source = Path(trained_run["export"]["model"])
    target = tmp_path / source.name
    shutil.copy2(source, target)
    shutil.copy2(card_path(source), card_path(target))
    return target


@pytest.fixture
def engine(model_copy: Path) -> Iterator[LlamaEngine]:
    loaded = LlamaEngine(model_copy, EngineSettings(n_ctx=512, n_threads=1))
    loaded.load()
    yield loaded
    loaded.close()


def _edit_card(model: Path, change: Any) -> None:
    path = card_path(model)
    card = json.loads(path.read_text(encoding="utf-8"))
    change(card)
    path.write_text(json.dumps(card, ensure_ascii=False), encoding="utf-8")


def test_card_is_a_sidecar_named_after_the_model(model_copy: Path) -> None:
    assert card_path(model_copy).name == model_copy.stem + ".card.json"
    card = read_card(model_copy)
    assert card is not None
    assert card.model_file == model_copy.name
    facts = dict(card.facts())
    assert facts["prompt"].startswith("t2_numbered (templates ")
    assert facts["LoRA"].startswith("r=8 alpha=16")
    assert "train" in facts["reports"]
    assert "H2 4" in facts["reports"]


def test_an_explicit_template_wins_over_the_card(engine: LlamaEngine) -> None:
    _, _, by_card = prepare(engine, DraftRequest(FINDINGS, "chest", "CT"))
    _, _, chosen = prepare(engine, DraftRequest(FINDINGS, "chest", "CT",
                                                template_id="t5_radiology_gpt"))
    assert by_card.endswith("|t2_numbered")
    assert chosen.endswith("|t5_radiology_gpt")


def test_the_card_s_own_templates_keep_the_training_prompt(model_copy: Path) -> None:
    # The template file was edited after training (new wording, new version): the model is
    # still prompted with the wording it was trained on, from its card.
    def reword(card: dict[str, Any]) -> None:
        toml = card["prompt"]["templates_toml"]
        card["prompt"]["templates_toml"] = toml.replace(
            'version = "', 'version = "trained-', 1).replace(
            "Summarize the findings into an impression", "TRAINED WORDING")
        card["prompt"]["template_version"] = "trained-x"

    _edit_card(model_copy, reword)
    engine = LlamaEngine(model_copy, EngineSettings(n_ctx=512, n_threads=1))
    engine.load()
    try:
        _, rendered, version_id = prepare(engine, DraftRequest(
            "Small nodule in the right upper lobe.", "chest", "CT"))
    finally:
        engine.close()
    assert "TRAINED WORDING" in rendered.text
    assert version_id.startswith("trained-")
    assert version_id.endswith("|t2_numbered")


@pytest.mark.parametrize(("change", "problem"), [
    (lambda c: c["model"].update(sha256="0" * 64), "describes another file"),
    (lambda c: c.update(format_version=99), "from a newer RadVal"),
    (lambda c: c["prompt"].update(template_id="t9_missing"), "prompt template cannot be used"),
    (lambda c: c.pop("prompt"), "lacks 'prompt'"),
])
def test_a_card_that_does_not_fit_is_ignored_with_its_reason(
        model_copy: Path, trained_run: dict[str, Any], change: Any, problem: str) -> None:
    _edit_card(model_copy, change)
    lookup = find_card(model_copy, trained_run["export"]["sha256"])
    assert lookup.card is None
    assert problem in lookup.problem


def test_a_damaged_card_leaves_drafting_on_the_default_template(model_copy: Path) -> None:
    card_path(model_copy).write_text("{not json", encoding="utf-8")
    engine = LlamaEngine(model_copy, EngineSettings(n_ctx=512, n_threads=1))
    engine.load()
    try:
        _, _, version_id = prepare(engine, DraftRequest(FINDINGS, "chest", "CT"))
    finally:
        engine.close()
    from radval_desktop.prompts import bundled_templates

    assert version_id.endswith("|" + bundled_templates().default_template)
    assert "cannot be read" in find_card(model_copy).problem


def test_model_info_prints_the_card(model_copy: Path, capsys: pytest.CaptureFixture[str]
                                    ) -> None:
    from radval_desktop.cli import main

    assert main(["model-info", "--model", str(model_copy)]) == 0
    out = capsys.readouterr().out
    assert "model card:" in out
    assert card_path(model_copy).name in out
    assert "prompt: t2_numbered" in out
    assert "eval loss:" in out
    card_path(model_copy).unlink()
    assert main(["model-info", "--model", str(model_copy)]) == 0
    assert "model card: none" in capsys.readouterr().out


def test_a_batch_run_evaluates_with_the_card_s_template_unless_told_otherwise(
        model_copy: Path, tmp_path: Path) -> None:
    from radval_desktop.engine.sampling import Sampling
    from radval_desktop.evaluation.batch import run_model
    from radval_desktop.store.database import open_database
    from radval_desktop.store.evaluation_runs import NewCase, save_cases

    def terse(card: dict[str, Any]) -> None:
        card["prompt"]["template_id"] = "t1_terse"

    _edit_card(model_copy, terse)
    db = open_database(tmp_path / "eval.db")
    cases = [NewCase(institution="1", body_system="chest", modality="CT", language="zh",
                     findings=FINDINGS, reference_impression="右肺上叶磨玻璃结节。")]
    ids = save_cases(db, cases)
    settings = EngineSettings(n_ctx=512, n_threads=1)
    short = Sampling(max_tokens=8)  # the tiny model's context leaves room for few tokens
    run_model(db, model_copy, cases, ids, engine_settings=settings, sampling=short)
    run_model(db, model_copy, cases, ids, engine_settings=settings, sampling=short,
              template_id="t5_radiology_gpt")
    used = sorted(r["template_id"] for r in db.table("candidates").rows)
    assert used == ["t1_terse", "t5_radiology_gpt"]
