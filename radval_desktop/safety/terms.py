"""The safety checks' term lists (resources/safety_terms.toml), compiled once into regexes."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from radval_desktop import paths
from radval_desktop.errors import RadvalError

TERMS_FILE = "safety_terms.toml"
SIDES = ("left", "right", "both")


@dataclass(frozen=True)
class Concept:
    id: str
    kind: str  # "finding" or "diagnosis"
    supported_by: tuple[str, ...]


@dataclass(frozen=True)
class Lexicon:
    """One language's compiled lists; each regex's group 1 is the term as written."""

    language: str
    concepts: re.Pattern[str]
    concept_of: dict[str, str]  # normalised term -> concept id
    negation: re.Pattern[str]
    negation_after: re.Pattern[str]
    breaks: re.Pattern[str]
    chronic: re.Pattern[str]
    normal: re.Pattern[str]
    sides: re.Pattern[str]
    side_of: dict[str, str]  # normalised side word -> left/right/both
    anatomy: re.Pattern[str]


@dataclass(frozen=True)
class Terms:
    version: str
    concepts: dict[str, Concept]
    lexicons: dict[str, Lexicon]  # "en", "zh"


def normalise(term: str) -> str:
    return re.sub(r"[\s\-]+", " ", term.strip().lower())


def _alternation(words: list[str], language: str) -> re.Pattern[str]:
    # Longest first: Python's alternation takes the first that matches, not the longest.
    ordered = sorted({w for w in words if w}, key=len, reverse=True)
    if not ordered:
        return re.compile(r"(?!x)x")
    if language == "zh":
        return re.compile("(" + "|".join(re.escape(w) for w in ordered) + ")", re.IGNORECASE)
    parts = [r"[\s\-]+".join(re.escape(p) for p in re.split(r"[\s\-]+", w)) for w in ordered]
    # Whole words, with an English plural ("nodules", "masses") counted as the term.
    return re.compile(r"\b(" + "|".join(parts) + r")(?:e?s)?\b", re.IGNORECASE)


def _is_zh(word: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in word)


def parse_terms(raw: dict[str, Any]) -> Terms:
    concepts: dict[str, Concept] = {}
    words: dict[str, list[str]] = {"en": [], "zh": []}
    concept_of: dict[str, dict[str, str]] = {"en": {}, "zh": {}}
    for entry in raw["concept"]:
        concept = Concept(entry["id"], entry.get("kind", "finding"),
                          tuple(entry.get("supported_by", ())))
        concepts[concept.id] = concept
        for language in ("en", "zh"):
            for word in entry.get(language, ()):
                words[language].append(word)
                concept_of[language].setdefault(normalise(word), concept.id)
    side_of: dict[str, dict[str, str]] = {"en": {}, "zh": {}}
    for side in SIDES:
        for word in raw["sides"][side]:
            side_of["zh" if _is_zh(word) else "en"][normalise(word)] = side
    negation = raw["negation"]
    chronic = raw.get("chronic", {})  # optional: older edited term files lack it
    normal = raw.get("normal", {})
    lexicons = {
        language: Lexicon(
            language=language,
            concepts=_alternation(words[language], language),
            concept_of=concept_of[language],
            negation=_alternation(negation[language], language),
            negation_after=_alternation(negation[f"{language}_after"], language),
            breaks=_alternation(negation[f"{language}_break"], language),
            chronic=_alternation(list(chronic.get(language, ())), language),
            normal=_alternation(list(normal.get(language, ())), language),
            sides=_alternation(list(side_of[language]), language),
            side_of=side_of[language],
            anatomy=_alternation(raw["anatomy"][language], language),
        )
        for language in ("en", "zh")
    }
    return Terms(str(raw.get("version", "")), concepts, lexicons)


def load_terms(path: Path | None = None) -> Terms:
    """Read the term file; a broken file is a RadvalError naming it."""
    path = path or paths.resources_dir() / TERMS_FILE
    try:
        return parse_terms(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as err:
        raise RadvalError(f"The safety term file {path} cannot be used: {err!r}.") from err


@cache
def bundled_terms() -> Terms:
    return load_terms()
