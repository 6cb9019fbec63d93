"""RadVal's own starter findings -> impression pairs, picked as few-shot examples for a case."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from radval_desktop import paths
from radval_desktop.errors import RadvalError, sentence
from radval_desktop.prompts import (
    LANGUAGES,
    Example,
    normalize_body_system,
    normalize_modality,
)
from radval_desktop.words import words

STARTER_FILE = "starter_examples.toml"
# Where an example in a prompt came from, beside the corpus's "history" and imported files.
STARTER_SOURCE = "starter"
# Three: the shape of Radiology-GPT's few-shot prompts (as safety/retrieval.py's DEFAULT_K).
DEFAULT_K = 3
# How a starter's impression fits a case's findings (``pick_starter_examples``'s ``fit``).
FITS, NEUTRAL, AGAINST = 0, 1, 2


@dataclass(frozen=True)
class StarterExample:
    id: str
    language: str  # "zh" or "en"
    body_system: str  # one of prompts.BODY_SYSTEMS
    modality: str  # one of prompts.MODALITIES
    findings: str
    impression: str
    normal: bool = False  # a normal study: shown so the model learns to say so


def default_starter_file() -> Path:
    return paths.resources_dir() / STARTER_FILE


def _parse_example(entry: dict[str, object]) -> StarterExample:
    texts = {key: entry[key] for key in ("id", "language", "body_system", "modality",
                                         "findings", "impression")}
    for key, value in texts.items():
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"'{key}' must be a non-empty text in example {entry.get('id')!r}")
    language = str(texts["language"])
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r} of example {texts['id']!r} is not "
                         f"one of {', '.join(LANGUAGES)}")
    normal = entry.get("normal", False)
    if not isinstance(normal, bool):
        raise ValueError(f"'normal' must be true or false in example {texts['id']!r}")
    return StarterExample(
        id=str(texts["id"]),
        language=language,
        body_system=normalize_body_system(str(texts["body_system"])),
        modality=normalize_modality(str(texts["modality"])),
        findings=str(texts["findings"]).strip(),
        impression=str(texts["impression"]).strip(),
        normal=normal,
    )


def load_starter_examples(
    path: Path | None = None,
) -> tuple[str, tuple[StarterExample, ...]]:
    """(version, examples) from the starter file; a broken file is a RadvalError naming it."""
    path = path or default_starter_file()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        version = raw["version"]
        if not isinstance(version, str):
            raise TypeError(f"version must be a text, not {version!r}")
        examples = tuple(_parse_example(entry) for entry in raw["example"])
        ids = [example.id for example in examples]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"repeated ids {', '.join(repeated)}")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError,
            ValueError, AttributeError, RadvalError) as err:
        reason = f"missing {err}" if isinstance(err, KeyError) else str(err).rstrip(".")
        raise RadvalError(sentence("RadvalError", "The starter example file {path} cannot be "
                                   "used: {reason}."), path=path, reason=reason) from err
    return version, examples


@cache
def bundled_starter_examples() -> tuple[str, tuple[StarterExample, ...]]:
    return load_starter_examples()


@lru_cache(maxsize=1024)
def _word_set(text: str) -> frozenset[str]:
    # The starter texts are scored on every draft: cut each once per process.
    return frozenset(words(text))


def _similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard over word sets (words() already drops punctuation)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _modality_or_empty(modality: str) -> str:
    # Only a tie-break: an unknown or missing modality prefers none, it does not fail.
    try:
        return normalize_modality(modality) if modality.strip() else ""
    except RadvalError:
        return ""


def pick_starter_examples(
    findings: str,
    body_system: str,
    language: str,
    modality: str = "",
    k: int = DEFAULT_K,
    examples: Sequence[StarterExample] | None = None,
    fit: Callable[[str], int] | None = None,
) -> list[Example]:
    """The k starter pairs of ``language`` and ``body_system`` most like ``findings``.

    The same modality first, ranked by word overlap, then by id. One normal
    study is always among them when there is one (unless k is 1): without it a small model
    learns that every impression names a disease. A system with no pairs in ``language``
    falls back to all of that language's pairs, ranked the same way.

    ``fit(impression)``: how that conclusion fits the case's findings, by the safety checks
    (which this module cannot import): FITS (it states something they describe), NEUTRAL,
    or AGAINST (they contradict it). That ranks first, before the modality: a small model
    copies an example's impression, and "Cardiomegaly without acute cardiopulmonary
    abnormality." shown beside a normal film was drafted over it.
    """
    system = normalize_body_system(body_system)
    if k <= 0:
        return []
    pool = examples if examples is not None else bundled_starter_examples()[1]
    language = language.strip().lower()
    same_language = [e for e in pool if e.language == language]
    candidates = [e for e in same_language if e.body_system == system] or same_language
    wanted = _modality_or_empty(modality)
    case_words = frozenset(words(findings))  # not cached: a case is scored once
    # The same modality first, then the most similar: an impression names its study, and the
    # default model copied "Normal CT of the chest." onto chest films when a CT example
    # shared more words (OpenI, no corpus).
    fits = {e.id: fit(e.impression) if fit else NEUTRAL for e in candidates}
    ranked = sorted(candidates, key=lambda e: (
        fits[e.id],
        not (wanted and e.modality == wanted),
        -_similarity(case_words, _word_set(e.findings)),
        e.id,
    ))
    chosen = ranked[:k]
    if k > 1 and len(ranked) > k and not any(e.normal for e in chosen):
        best_normal = next((e for e in ranked if e.normal), None)
        if best_normal is not None:
            chosen[-1] = best_normal
    return [Example(e.findings, e.impression) for e in chosen]
