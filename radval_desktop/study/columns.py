"""Which column of a lead's case file holds which import field: guessed from the names seen in
institution exports (both languages), confirmed by the lead, remembered per file header."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from pathlib import Path

from radval_desktop import paths
from radval_desktop.case_files import ALIASES, read_columns
from radval_desktop.errors import InputError, sentence
from radval_desktop.study.importing import IMPORT_REQUIRED

# In the order the window lists them and the CLI prints them: what the rater reads first.
IMPORT_FIELDS = ("findings", "impression", "model", "candidate", "institution", "body_system",
                 "modality", "case_id", "age", "sex")
MEMORY_FILE = "column_mappings.json"
# A lead meets a handful of exports (one per reporting system); the oldest beyond these go.
MEMORY_LIMIT = 50

__all__ = ["IMPORT_FIELDS", "IMPORT_REQUIRED", "file_columns", "guess_columns", "parse_columns",
           "recall_columns", "remember_columns"]


def file_columns(path: Path | str) -> list[str]:
    """The column names of the file's header (XLSX, CSV) or first record (JSONL)."""
    return read_columns(Path(path))


def _key(name: str) -> str:
    return "_".join(str(name).strip().lower().replace("-", " ").split())


def guess_columns(columns: Iterable[str]) -> dict[str, str]:
    """field -> column for every field whose known names (ALIASES) the header uses; each
    column guessed for one field at most, the first field to claim it."""
    by_key = {_key(c): c for c in columns}
    guessed: dict[str, str] = {}
    for name in IMPORT_FIELDS:
        for alias in ALIASES.get(name, (name,)):
            column = by_key.get(_key(alias))
            if column is not None and column not in guessed.values():
                guessed[name] = column
                break
    return guessed


def ordered(mapping: Mapping[str, str]) -> dict[str, str]:
    return {name: mapping[name] for name in IMPORT_FIELDS if name in mapping}


def parse_columns(values: Sequence[str]) -> dict[str, str]:
    """``--columns findings=检查所见,impression=诊断意见`` (the option may repeat);
    ``impression=`` says no column holds it, so none is guessed either."""
    mapping: dict[str, str] = {}
    for value in values:
        for pair in filter(None, (p.strip() for p in value.split(","))):
            name, sep, column = pair.partition("=")
            name, column = name.strip(), column.strip()
            if not sep or not name:
                raise InputError(sentence(
                    "RadvalError", "--columns takes FIELD=COLUMN pairs separated by commas, not "
                    "'{pair}'; for example --columns findings=检查所见,impression=诊断意见."),
                    pair=pair)
            if name not in IMPORT_FIELDS:
                raise InputError(sentence(
                    "RadvalError",
                    "'{name}' is not a field the import knows; use one of {fields}."),
                    name=name, fields=", ".join(IMPORT_FIELDS))
            mapping[name] = column
    return mapping


def _header_id(columns: Sequence[str]) -> str:
    # The exact header, in order: another export of the same system maps the same way.
    return hashlib.sha256("\x1f".join(columns).encode()).hexdigest()


def _memory_path() -> Path:
    return paths.config_dir() / MEMORY_FILE


def _load() -> dict[str, dict[str, str]]:
    try:
        data = json.loads(_memory_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):  # none yet, or damaged: guess again, as the first time
        return {}
    return data if isinstance(data, dict) else {}


def recall_columns(columns: Sequence[str]) -> dict[str, str] | None:
    """The mapping the lead confirmed for a file with this very header, or None."""
    found = _load().get(_header_id(columns))
    if not isinstance(found, dict):
        return None
    # "" is the lead's "no column" and stays so; a column the header lacks cannot be right.
    return ordered({k: v for k, v in found.items()
                    if isinstance(v, str) and (v == "" or v in columns) and k in IMPORT_FIELDS})


def remember_columns(columns: Sequence[str], mapping: Mapping[str, str]) -> None:
    """Keep the confirmed mapping for the next file with this header (owner-only file)."""
    # Only a convenience: a config folder that cannot be written costs the lead a guess next
    # time, not the import.
    memory = _load()
    memory.pop(_header_id(columns), None)  # re-inserted last: the most recent is kept longest
    memory[_header_id(columns)] = ordered(mapping)
    while len(memory) > MEMORY_LIMIT:
        memory.pop(next(iter(memory)))
    with suppress(OSError), paths.open_private(_memory_path()) as handle:
        json.dump(memory, handle, ensure_ascii=False, indent=1)
