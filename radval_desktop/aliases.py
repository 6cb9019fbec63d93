"""The one alias list: what institutions write for body system and modality -> RadVal's names.

resources/aliases.toml is read by the prompt builder (normalize_body_system and
normalize_modality), case files (`radval batch`, the reader study), the example-corpus import
and `python -m training prepare`, so a value maps the same way everywhere and is edited in
one place.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from radval_desktop import paths
from radval_desktop.errors import ConfigError, InputError, sentence

BODY_SYSTEMS = ("chest", "abdomen", "musculoskeletal", "head", "maxillofacial_neck")
MODALITIES = ("CT", "MRI", "XR")

# What may sit between the known words of an exam name ("CT+MR", "胸部/腹部", "CT (plain)").
_JOINERS = re.compile(r"[_+/\-,，、()（）·.:：;；\s]+")


class UnmappedValue(InputError):
    """A body-system or modality value the alias list does not map; ``field`` and ``value``
    let prepare and the imports count and list it."""

    def __init__(self, text: str, /, field: str, value: str, **values: object) -> None:
        super().__init__(text, **values)
        self.field = field
        self.value = value


def alias_key(text: str) -> str:
    """What two spellings of a value share: width, case, spaces, "_" and "&" aside."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("&", " and ")
    return re.sub(r"[\s_]+", "_", text).strip("_")


@dataclass(frozen=True)
class Reading:
    """What one cell names, in the order it names them."""

    body_systems: tuple[str, ...]
    modalities: tuple[str, ...]  # "" where a modality RadVal does not draft is named
    whole: bool  # every part of the cell is a known word


@dataclass(frozen=True)
class AliasList:
    path: Path
    systems: dict[str, str]  # alias key -> body system
    modalities: dict[str, str]  # alias key -> modality; "" = not drafted by RadVal
    ignored: frozenset[str]
    pattern: re.Pattern[str]

    def read(self, value: str) -> Reading:
        key = alias_key(value)
        if key in self.systems:
            return Reading((self.systems[key],), (), True)
        if key in self.modalities:
            return Reading((), (self.modalities[key],), True)
        systems: list[str] = []
        modalities: list[str] = []
        for match in self.pattern.finditer(key):
            word = match.group(0)
            if word in self.systems and self.systems[word] not in systems:
                systems.append(self.systems[word])
            elif word in self.modalities:
                modalities.append(self.modalities[word])
        leftover = _JOINERS.sub("", self.pattern.sub("", key))
        return Reading(tuple(systems), tuple(modalities), whole=bool(key) and not leftover)

    def body_system(self, value: str) -> str:
        reading = self.read(value)
        if reading.whole and len(reading.body_systems) == 1:
            return reading.body_systems[0]
        raise UnmappedValue(
            sentence("RadvalError", "Unknown body system '{body_system}'; use one of {known}."),
            field="body_system", value=value, body_system=value, known=', '.join(BODY_SYSTEMS))

    def modality(self, value: str) -> str:
        reading = self.read(value)
        if reading.whole and reading.modalities:
            if reading.modalities[0]:
                return reading.modalities[0]
            raise UnmappedValue(
                sentence("RadvalError",
                         "RadVal drafts CT, MRI and XR reports only; the modality "
                         "'{modality}' is none of them."),
                field="modality", value=value, modality=value)
        raise UnmappedValue(
            sentence("RadvalError", "Unknown modality '{modality}'; use one of {known}."),
            field="modality", value=value, modality=value, known=', '.join(MODALITIES))


def default_aliases_file() -> Path:
    return paths.resources_dir() / "aliases.toml"


def _words(path: Path, raw: object, where: str) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(w, str) and w.strip() for w in raw):
        raise ConfigError(sentence("RadvalError",
                                   "The alias file {path} is not valid: {where} must be a list "
                                   "of names in quotes. Correct the file."),
                          path=path, where=where)
    return raw


@lru_cache(maxsize=8)
def load_aliases(path: Path | None = None) -> AliasList:
    """The alias list at ``path`` (the bundled resources/aliases.toml when None)."""
    path = path or default_aliases_file()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(sentence("RadvalError",
                                   "The alias file {path} cannot be read ({err}). Correct the "
                                   "file or restore the bundled one."),
                          path=path, err=err) from err
    systems: dict[str, str] = {}
    modalities: dict[str, str] = {}
    sections = ((raw.get("body_system", {}), BODY_SYSTEMS, systems),
                (raw.get("modality", {}), MODALITIES, modalities))
    for table, known, into in sections:
        for name, words in dict(table).items():
            if name not in known:
                raise ConfigError(sentence("RadvalError",
                                           "The alias file {path} maps to '{name}', which is not "
                                           "one of {known}. Correct the file."),
                                  path=path, name=name, known=', '.join(known))
            for word in [name, *_words(path, words, name)]:
                _add(path, into, alias_key(word), name, word)
    for word in _words(path, raw.get("not_drafted", {}).get("modality", []), "not_drafted"):
        _add(path, modalities, alias_key(word), "", word)
    ignored = frozenset(alias_key(w) for w in
                        _words(path, raw.get("ignored", {}).get("words", []), "ignored"))
    words = sorted({*systems, *modalities, *ignored}, key=len, reverse=True)
    # Longest first, so "pet-ct" wins over "ct"; a Latin word only as a whole word ("ct" is
    # not inside "act"), Chinese ones anywhere (they are not separated by spaces).
    parts = [rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])" if re.search(r"[a-z]", w)
             else re.escape(w) for w in words]
    pattern = re.compile("|".join(parts) or r"(?!)")
    return AliasList(path, systems, modalities, ignored, pattern)


def _add(path: Path, into: dict[str, str], key: str, name: str, word: str) -> None:
    if into.get(key, name) != name:
        raise ConfigError(sentence("RadvalError",
                                   "The alias file {path} maps '{word}' twice ({first} and "
                                   "{second}). Keep one."),
                          path=path, word=word, first=into[key] or "not drafted",
                          second=name or "not drafted")
    into[key] = name
