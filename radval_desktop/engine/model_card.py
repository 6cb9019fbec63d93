"""The model card beside a fine-tuned GGUF: base, data, prompt template, training, sha256.

`python -m training export` writes `<model>.card.json` next to `<model>.gguf`. Drafting
reads it so that a fine-tuned model is prompted exactly as it was trained: the card holds
the template id and the whole template file training used (a later edit of
resources/prompt_templates.toml must not change this model's prompt). A card that is
damaged or describes another file is ignored with a warning; the model still drafts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from radval_desktop.engine.allowlist import approves_addition
from radval_desktop.errors import RadvalError, Words, sentence
from radval_desktop.prompts import TemplateSet, load_templates

if TYPE_CHECKING:
    from radval_desktop.engine.llama_engine import LlamaEngine

log = logging.getLogger(__name__)

CARD_SUFFIX = ".card.json"
CARD_FORMAT = "radval-model-card"
CARD_FORMAT_VERSION = 1
# A card is a few hundred kB at most (the template file is its largest part).
_MAX_CARD_BYTES = 16 * 10**6


def card_path(model_path: Path) -> Path:
    """`radval-x-Q4_K_M.gguf` -> `radval-x-Q4_K_M.card.json`, in the same folder."""
    return model_path.with_name(model_path.stem + CARD_SUFFIX)


@dataclass(frozen=True)
class ModelCard:
    path: Path
    model_file: str
    model_sha256: str
    quantization: str
    base_model: str
    template_id: str
    template_version: str
    prompt_layout: str  # "chat template" or "plain": how training rendered the prompt
    created: str
    data: dict[str, Any] = field(repr=False)
    hyperparameters: dict[str, Any] = field(repr=False)
    evaluation: dict[str, Any] = field(repr=False)
    templates_toml: str = field(repr=False, default="")

    def templates(self) -> TemplateSet:
        """The template set training used (so the prompt is byte-identical to training's)."""
        return _templates_from_text(self.templates_toml)

    def facts(self) -> list[tuple[str, str]]:
        """The card's main facts as (label, value) rows, for `radval model-info`."""
        return [(label, str(value)) for label, value in self.fact_words()]

    def fact_words(self) -> list[tuple[str, Words]]:
        """The facts with each value as a template and its values: the Models tab says them
        in the window's language, `radval model-info` in English."""
        reports = {c.get("key"): c.get("reports") for c in self.data.get("columns", [])}
        train_key = next((k for k in reports if str(k).endswith("-train")), None)
        h = self.hyperparameters
        layout = _LAYOUTS.get(self.prompt_layout)
        # Labels marked for the window's translation (ui/models_panel.py).
        rows = [
            (sentence("ModelCard", "model card"), _as_is(self.path)),
            (sentence("ModelCard", "base model"), _as_is(self.base_model)),
            (sentence("ModelCard", "prompt"), _said(
                sentence("ModelCard", "{template} (templates {version}, {layout} layout)"),
                template=self.template_id, version=self.template_version,
                layout=_said(layout) if layout else self.prompt_layout)),
            (sentence("ModelCard", "trained"), _as_is(self.created)),
        ]
        if train_key:
            tests = ", ".join(f"{k} {v}" for k, v in reports.items()
                              if k not in (train_key, "all"))
            rows.append((sentence("ModelCard", "reports"), _said(
                sentence("ModelCard", "{train} train; test: {tests}"),
                train=reports[train_key], tests=tests)))
        if h:
            rows.append(("LoRA", _said(
                sentence("ModelCard", "r={r} alpha={alpha} lr={lr} epochs={epochs} "
                         "batch={batch}"), r=h.get("lora_r"), alpha=h.get("lora_alpha"),
                lr=h.get("learning_rate"), epochs=h.get("epochs"),
                batch=h.get("effective_batch_size"))))
        loss = self.evaluation.get("eval_loss_after")
        if loss is not None:
            before = self.evaluation.get("eval_loss_before")
            rows.append((sentence("ModelCard", "eval loss"), _said(
                sentence("ModelCard", "{loss:.4f} (before {before:.4f})"), loss=loss,
                before=before) if before is not None else _said("{loss:.4f}", loss=loss)))
        rouge = self.evaluation.get("rouge_l_validation")
        if rouge:
            rows.append(("ROUGE-L", _said(
                sentence("ModelCard", "{rouge:.4f} on {cases} validation cases"),
                rouge=rouge["rouge_l"], cases=rouge["cases"])))
        return rows


# How training rendered the prompt (training/export.py's "layout"), as the window says it.
_LAYOUTS = {"chat template": sentence("ModelCard", "chat template"),
            "plain": sentence("ModelCard", "plain")}


def _said(text: str, /, **values: object) -> Words:
    return Words("ModelCard", text, tuple(values.items()))


def _as_is(value: object) -> Words:
    """A value shown as it is (a path, a name, a date): nothing to translate."""
    return Words("ModelCard", "{value}", (("value", value),))


@lru_cache(maxsize=4)
def _templates_from_text(text: str) -> TemplateSet:
    if not text.strip():
        raise RadvalError(sentence("RadvalError", "The model card holds no prompt templates."))
    # load_templates reads a file (and checks it); the card's copy goes through one.
    with tempfile.TemporaryDirectory(prefix="radval-card-") as folder:
        path = Path(folder) / "prompt_templates.toml"
        path.write_text(text, encoding="utf-8")
        return load_templates(path)


@dataclass(frozen=True)
class CardLookup:
    card: ModelCard | None
    problem: str  # why a card that exists is not used; "" when it is, or there is none


def _parse(path: Path, data: bytes, sha256: str | None) -> CardLookup:
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        return CardLookup(None, f"the model card {path.name} cannot be read ({err})")
    if not isinstance(raw, dict) or raw.get("format") != CARD_FORMAT:
        return CardLookup(None, f"{path.name} is not a RadVal model card")
    version = raw.get("format_version", 0)
    if not isinstance(version, int):
        return CardLookup(None, f"the model card {path.name} has no valid format_version")
    if version > CARD_FORMAT_VERSION:
        return CardLookup(None, f"the model card {path.name} is from a newer RadVal")
    try:
        model, prompt = raw["model"], raw["prompt"]
        card = ModelCard(
            path=path,
            model_file=str(model["file"]),
            model_sha256=str(model["sha256"]).lower(),
            quantization=str(model.get("quantization", "")),
            base_model=str(raw.get("base", {}).get("name", "")),
            template_id=str(prompt["template_id"]),
            template_version=str(prompt["template_version"]),
            prompt_layout=str(prompt.get("layout", "")),
            created=str(raw.get("created", "")),
            data=dict(raw.get("data", {})),
            hyperparameters=dict(raw.get("training", {}).get("hyperparameters", {})),
            evaluation=dict(raw.get("evaluation", {})),
            templates_toml=str(prompt.get("templates_toml", "")),
        )
    except (KeyError, TypeError, AttributeError, ValueError) as err:
        # dict("x") is a ValueError: a hand-edited card must not break the Models scan.
        return CardLookup(None, f"the model card {path.name} lacks {err}")
    if sha256 and card.model_sha256 != sha256.lower():
        return CardLookup(None, f"the model card {path.name} describes another file "
                                f"(sha256 {card.model_sha256[:12]}…)")
    try:
        card.templates().template(card.template_id)
    except RadvalError as err:
        return CardLookup(None, f"the model card's prompt template cannot be used: {err}")
    return CardLookup(card, "")


@lru_cache(maxsize=8)
def _cached(path: str, data: bytes, sha256: str | None, problem: str) -> CardLookup:
    lookup = CardLookup(None, problem) if problem else _parse(Path(path), data, sha256)
    if lookup.problem:
        log.warning("%s; drafting uses the configured template", lookup.problem)
    return lookup


def find_card(model_path: Path, sha256: str | None = None, allowed: Sequence[str] = (),
              pinned: bool = False) -> CardLookup:
    """The card beside ``model_path`` checked against the model's sha256 (when given) and
    IT's approval: ``allowed`` is IT's allowlist, ``pinned`` whether IT pinned the model.

    A card chooses the prompt the model is given, so where IT controls the model a card
    needs IT's approval too, by its sha256 in the allowlist (allowlist.approves_addition):
    ignoring every card under IT's controls would prompt IT's own fine-tuned models
    unlike their training. The card is read once, and the bytes hashed are the bytes used.
    """
    path = card_path(Path(model_path))
    try:
        with path.open("rb") as handle:
            data = handle.read(_MAX_CARD_BYTES + 1)
    except FileNotFoundError:
        return CardLookup(None, "")
    except OSError as err:
        return _cached(str(path), b"", sha256,
                       f"the model card {path.name} cannot be read ({err.strerror})")
    digest = hashlib.sha256(data).hexdigest()
    problem = ""
    if len(data) > _MAX_CARD_BYTES:
        problem = f"the model card {path.name} is larger than {_MAX_CARD_BYTES // 10**6} MB"
    elif not approves_addition(digest, allowed, pinned):
        problem = (f"the model card {path.name} is not on IT's list of approved files "
                   f"(sha256 {digest[:12]}…); ask IT to approve it")
    return _cached(str(path), b"" if problem else data, sha256, problem)


def read_card(model_path: Path, sha256: str | None = None, allowed: Sequence[str] = (),
              pinned: bool = False) -> ModelCard | None:
    """The usable card, or None (no card, one that is damaged or for another file, or one
    IT has not approved)."""
    return find_card(model_path, sha256, allowed, pinned).card


def loaded_card(engine: LlamaEngine) -> CardLookup:
    """The card of the model ``engine`` loaded, judged by that engine's IT settings.

    With an adapter attached, the adapter's card speaks first: it says the prompt the
    adapter was trained with. Shown the base's starter examples instead, a model trained
    without examples copied them into its drafts (issue 16's bench). An adapter with no
    card is prompted as its base."""
    assert engine.info is not None
    settings = engine.settings
    allowed, pinned = settings.allowed_sha256, bool(settings.expected_sha256)
    adapter = engine.info.adapter
    if adapter is not None:
        lookup = find_card(adapter.path, adapter.sha256, allowed, pinned)
        if lookup.card is not None or lookup.problem:
            return lookup
    return find_card(engine.path, engine.info.sha256, allowed, pinned)
