"""The safety checks' term lists (resources/safety_terms.toml), compiled once into regexes."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from radval_desktop import paths
from radval_desktop.errors import RadvalError, sentence

TERMS_FILE = "safety_terms.toml"
SIDES = ("left", "right", "both")


@dataclass(frozen=True)
class Concept:
    id: str
    kind: str  # "finding" or "diagnosis"
    supported_by: tuple[str, ...]


@dataclass(frozen=True)
class Place:
    """A place a normal claim can name and a finding can lie in ("lung", "chest")."""

    id: str
    covers: frozenset[str]  # itself and the places it contains
    concepts: tuple[str, ...]  # where a finding of these lies when no place word is near
    always: tuple[str, ...] = ()  # where a finding of these lies whatever words are near


_NEVER = re.compile(r"(?!x)x")


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
    # "Called normal" ([normal_claims] and [[place]]); empty in a term file without them.
    normal_claims: re.Pattern[str] = _NEVER  # "正常", "unremarkable"
    normal_nouns: re.Pattern[str] = _NEVER  # negated, a claim: "no acute abnormality"
    study: re.Pattern[str] = _NEVER  # "CT", "平扫", "study"
    minor: re.Pattern[str] = _NEVER  # "mild", "may", "prior"
    acute: re.Pattern[str] = _NEVER  # "acute", 急性: a claim about what is new only
    earlier: re.Pattern[str] = _NEVER  # "prior", 前片: "not seen on prior" is new, not absent
    places: re.Pattern[str] = _NEVER
    place_of: dict[str, str] = field(default_factory=dict)  # normalised word -> place id
    # Terms that deny their concept in their own words ("heart is not enlarged", 心影不大):
    # no cue stands before or after them for the negation rules to find.
    negated_terms: frozenset[str] = frozenset()
    # A short name of a place -> the anatomy it is compared as (下肺 -> 肺下叶).
    anatomy_of: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Terms:
    version: str
    concepts: dict[str, Concept]
    lexicons: dict[str, Lexicon]  # "en", "zh"
    places: dict[str, Place] = field(default_factory=dict)
    incidental: frozenset[str] = frozenset()  # concepts never "called normal"
    not_acute: frozenset[str] = frozenset()  # concepts "no acute ..." does not call normal


def normalise(term: str) -> str:
    return re.sub(r"[\s\-]+", " ", term.strip().lower())


def _alternation(words: list[str], language: str) -> re.Pattern[str]:
    # Longest first: Python's alternation takes the first that matches, not the longest.
    ordered = sorted({w for w in words if w}, key=len, reverse=True)
    if not ordered:
        return _NEVER
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
    negated_terms: dict[str, set[str]] = {"en": set(), "zh": set()}
    for entry in raw["concept"]:
        concept = Concept(entry["id"], entry.get("kind", "finding"),
                          tuple(entry.get("supported_by", ())))
        concepts[concept.id] = concept
        for language in ("en", "zh"):
            for word in entry.get(language, ()):
                words[language].append(word)
                concept_of[language].setdefault(normalise(word), concept.id)
            for word in entry.get(f"{language}_negated", ()):
                words[language].append(word)
                concept_of[language].setdefault(normalise(word), concept.id)
                negated_terms[language].add(normalise(word))
    side_of: dict[str, dict[str, str]] = {"en": {}, "zh": {}}
    for side in SIDES:
        for word in raw["sides"][side]:
            side_of["zh" if _is_zh(word) else "en"][normalise(word)] = side
    negation = raw["negation"]
    chronic = raw.get("chronic", {})  # optional: older edited term files lack it
    normal = raw.get("normal", {})
    claims = raw.get("normal_claims", {})  # optional, as [chronic]
    places, place_of = _places(raw.get("place", ()))
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
            anatomy=_alternation([*raw["anatomy"][language],
                                  *raw["anatomy"].get(f"{language}_alias", {})], language),
            normal_claims=_alternation(list(claims.get(language, ())), language),
            normal_nouns=_alternation(list(claims.get(f"{language}_nouns", ())), language),
            study=_alternation(list(claims.get(f"{language}_study", ())), language),
            minor=_alternation(list(claims.get(f"{language}_minor", ())), language),
            acute=_alternation(list(claims.get(f"{language}_acute", ())), language),
            earlier=_alternation(list(negation.get(f"{language}_earlier", ())), language),
            places=_alternation(list(place_of[language]), language),
            place_of=place_of[language],
            negated_terms=frozenset(negated_terms[language]),
            anatomy_of={normalise(k): normalise(v) for k, v
                        in raw["anatomy"].get(f"{language}_alias", {}).items()},
        )
        for language in ("en", "zh")
    }
    return Terms(str(raw.get("version", "")), concepts, lexicons, places,
                 frozenset(claims.get("incidental", ())), frozenset(claims.get("not_acute", ())))


def _places(entries: Any) -> tuple[dict[str, Place], dict[str, dict[str, str]]]:
    covers = {e["id"]: {e["id"], *e.get("covers", ())} for e in entries}
    for _ in covers:  # "chest" covers "cardiopulmonary", which covers "lung": close it
        for place, inside in covers.items():
            covers[place] = inside.union(*(covers.get(p, set()) for p in inside))
    places = {e["id"]: Place(e["id"], frozenset(covers[e["id"]]), tuple(e.get("concepts", ())),
                             tuple(e.get("always", ()))) for e in entries}
    place_of: dict[str, dict[str, str]] = {"en": {}, "zh": {}}
    for entry in entries:
        for language in ("en", "zh"):
            for word in entry.get(language, ()):
                place_of[language].setdefault(normalise(word), entry["id"])
    return places, place_of


def load_terms(path: Path | None = None) -> Terms:
    """Read the term file; a broken file is a RadvalError naming it."""
    path = path or paths.resources_dir() / TERMS_FILE
    try:
        return parse_terms(tomllib.loads(path.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as err:
        raise RadvalError(sentence("RadvalError", "The safety term file {path} cannot be used: "
                                   "{error!r}."), path=path, error=err) from err


@cache
def bundled_terms() -> Terms:
    return load_terms()
