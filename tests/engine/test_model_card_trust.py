"""Model cards and adapters under IT's controls (issue 17, item 6).

A card beside a model chooses the prompt the model is given, so under IT's allowlist (or pin)
it needs IT's approval like an adapter does; its instruction text is filled in by plain
replacement of the two known fields, never ``str.format`` (``{modality:>8000000000}``
allocated 8 GB, a literal ``{x}`` broke every draft).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from gguf_builder import write_lora_adapter

from radval_desktop.config import load_settings
from radval_desktop.drafting import DraftRequest, prepare_draft
from radval_desktop.engine.adapters import inspect_adapter
from radval_desktop.engine.default_model import DEFAULT
from radval_desktop.engine.gguf_file import read_gguf
from radval_desktop.engine.llama_engine import EngineSettings, LlamaEngine
from radval_desktop.engine.model_card import CARD_FORMAT, card_path, find_card
from radval_desktop.prompts import default_templates_file

CARD_TEMPLATE = "t9_card"
# Format fields a card may hold: the size spec would allocate 80 MB under str.format (8 GB in
# the report), the unknown field raised KeyError in every draft.
CARD_INSTRUCTION = ("CARD INSTRUCTION for {modality} of the {body_system}; keep {x} and "
                    "{modality:>80000000} as written.")


def _card_templates() -> str:
    text = default_templates_file().read_text(encoding="utf-8")
    quoted = json.dumps(CARD_INSTRUCTION, ensure_ascii=False)
    return text + (f'\n[[templates]]\nid = "{CARD_TEMPLATE}"\ntitle = "from a card"\n'
                   f"en = {quoted}\nzh = {quoted}\n")


def _write_card(model: Path, model_sha256: str) -> str:
    """A card as training's export writes it; its sha256."""
    card = {"format": CARD_FORMAT, "format_version": 1,
            "model": {"file": model.name, "sha256": model_sha256, "quantization": "Q4_K_M"},
            "base": {"name": "base"},
            "prompt": {"template_id": CARD_TEMPLATE, "template_version": "card-1",
                       "layout": "chat template", "templates_toml": _card_templates()}}
    data = json.dumps(card, ensure_ascii=False).encode("utf-8")
    card_path(model).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def model_beside_a_card(default_model_path: Path, tmp_path: Path) -> Path:
    # A link to the default model, so that the card can sit beside it in the test's folder.
    model = tmp_path / "fine-tuned.gguf"
    model.symlink_to(default_model_path)
    return model


@contextmanager
def _engine(model: Path, allowed: tuple[str, ...]) -> Iterator[LlamaEngine]:
    engine = LlamaEngine(model, EngineSettings(n_ctx=1024, n_threads=1, allowed_sha256=allowed))
    engine.load()
    try:
        yield engine
    finally:
        engine.close()


def _user_message(engine: LlamaEngine) -> str:
    return prepare_draft(engine, DraftRequest("Lungs clear.", "chest", "CT", "en")).prompt.user


def test_a_card_off_it_s_allowlist_chooses_no_prompt(model_beside_a_card: Path) -> None:
    card_digest = _write_card(model_beside_a_card, DEFAULT.sha256)
    with _engine(model_beside_a_card, (DEFAULT.sha256,)) as engine:
        assert "CARD INSTRUCTION" not in _user_message(engine)
    lookup = find_card(model_beside_a_card, DEFAULT.sha256, allowed=(DEFAULT.sha256,))
    assert lookup.card is None
    assert f"not on IT's list of approved files (sha256 {card_digest[:12]}…)" in lookup.problem


def test_a_card_on_it_s_allowlist_is_used_with_its_fields_replaced_literally(
        model_beside_a_card: Path) -> None:
    card_digest = _write_card(model_beside_a_card, DEFAULT.sha256)
    with _engine(model_beside_a_card, (DEFAULT.sha256, card_digest)) as engine:
        user = _user_message(engine)
    assert ("CARD INSTRUCTION for CT of the chest; keep {x} and {modality:>80000000} as "
            "written.") in user


def test_a_card_under_a_pin_alone_needs_it_s_list(tmp_path: Path) -> None:
    model = tmp_path / "m.gguf"
    card_digest = _write_card(model, DEFAULT.sha256)
    assert find_card(model, DEFAULT.sha256, pinned=True).card is None
    assert find_card(model, DEFAULT.sha256, allowed=(card_digest,), pinned=True).card
    assert find_card(model, DEFAULT.sha256).card is not None  # IT controls nothing


def test_an_adapter_under_a_pin_alone_is_refused(default_model_path: Path, tmp_path: Path
                                                 ) -> None:
    adapter = write_lora_adapter(tmp_path / "hospital-b.gguf", layers=1)
    base = read_gguf(default_model_path)
    with pytest.raises(Exception, match="not on IT's list of approved files"):
        inspect_adapter(adapter, base, allowed=(), pinned=True)
    _, digest = inspect_adapter(adapter, base, allowed=(), pinned=False)
    inspect_adapter(adapter, base, allowed=(digest,), pinned=True)  # listed: accepted


def test_it_can_lock_the_adapter_the_user_cannot_change(tmp_path: Path) -> None:
    system = tmp_path / "it.toml"
    system.write_text('[model]\nadapter = ""\n', encoding="utf-8")
    user = tmp_path / "user.toml"
    user.write_text(f'[model]\nadapter = "{tmp_path / "mine.gguf"}"\n', encoding="utf-8")
    settings = load_settings(system, user)
    assert "model.adapter" in settings.locked
    assert settings.engine().adapter_path is None


def _engine_with_adapter(model: Path, adapter: Path) -> LlamaEngine:
    engine = LlamaEngine(model, EngineSettings(n_ctx=1024, n_threads=1,
                                               adapter_path=str(adapter)))
    engine.load()
    return engine


def test_an_adapter_is_prompted_as_its_card_says_it_was_trained(default_model_path: Path,
                                                                tmp_path: Path) -> None:
    """The card training writes beside an adapter chooses the prompt, as beside a merged
    model: without it the default model's starter examples were shown to a model trained
    without examples, and it copied them (issue 16's bench: "Right lower and middle lobe
    pneumonia." over bibasilar findings)."""
    adapter = write_lora_adapter(tmp_path / "hospital-c.gguf", layers=1)
    _write_card(adapter, hashlib.sha256(adapter.read_bytes()).hexdigest())
    engine = _engine_with_adapter(default_model_path, adapter)
    try:
        ready = prepare_draft(engine, DraftRequest("Lungs clear.", "chest", "XR", "en"))
    finally:
        engine.close()
    assert "CARD INSTRUCTION for X-ray of the chest" in ready.prompt.user
    assert ready.examples == ()  # trained without examples: none shown


def test_an_adapter_without_a_card_keeps_the_starter_examples(default_model_path: Path,
                                                              tmp_path: Path) -> None:
    adapter = write_lora_adapter(tmp_path / "hospital-d.gguf", layers=1)
    engine = _engine_with_adapter(default_model_path, adapter)
    try:
        ready = prepare_draft(engine, DraftRequest("Lungs clear.", "chest", "XR", "en"))
    finally:
        engine.close()
    assert "CARD INSTRUCTION" not in ready.prompt.user
    assert ready.examples  # a hand-made adapter with no card: prompted as its base
