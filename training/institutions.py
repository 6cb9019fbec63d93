"""The institution mapping TOML: which export files belong to whom and how columns map."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from radval_desktop.case_files import CASE_FIELDS
from training.errors import TrainingError

_ID = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Institution:
    id: str
    name: str
    files: tuple[Path, ...]
    columns: dict[str, str]  # RadVal field -> the export's column name
    defaults: dict[str, str]  # RadVal field -> value for rows (or files) that lack it
    sheet: str | None = None  # XLSX: only this sheet (None: every sheet)


@dataclass(frozen=True)
class InstitutionMap:
    path: Path
    internal: str
    institutions: tuple[Institution, ...]

    @property
    def internal_institution(self) -> Institution:
        return next(i for i in self.institutions if i.id == self.internal)

    def files(self) -> list[Path]:
        return [f for inst in self.institutions for f in inst.files]


def load_institutions(path: Path) -> InstitutionMap:
    """Read and check the mapping; every problem is a TrainingError naming the file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise TrainingError(f"The institution mapping {path} cannot be read: {err}.") from err
    entries = raw.get("institutions")
    if not isinstance(entries, list) or not entries:
        raise TrainingError(f"{path} lists no [[institutions]].")
    institutions = []
    for number, entry in enumerate(entries, 1):
        inst_id = str(entry.get("id", ""))
        if not _ID.match(inst_id):
            raise TrainingError(f"{path}: institution {number} needs an id of letters, digits, "
                                f"- or _ (it is used in file names), not '{inst_id}'.")
        files = entry.get("files")
        if isinstance(files, str):
            files = [files]
        if not files:
            raise TrainingError(f"{path}: institution {inst_id} lists no files.")
        resolved = tuple((path.parent / f).resolve() for f in files)
        for file in resolved:
            if not file.is_file():
                raise TrainingError(f"{path}: institution {inst_id}'s file {file} does not exist.")
        columns = {str(k): str(v) for k, v in dict(entry.get("columns", {})).items()}
        defaults = {str(k): str(v) for k, v in dict(entry.get("defaults", {})).items()}
        for key in (*columns, *defaults):
            if key not in CASE_FIELDS:
                raise TrainingError(f"{path}: institution {inst_id} maps '{key}', which is not "
                                    f"one of {', '.join(CASE_FIELDS)}.")
        sheet = entry.get("sheet")
        institutions.append(Institution(inst_id, str(entry.get("name", inst_id)), resolved,
                                        columns, defaults,
                                        str(sheet) if sheet is not None else None))
    ids = [i.id for i in institutions]
    if len(set(ids)) != len(ids):
        raise TrainingError(f"{path}: institution ids must be unique ({', '.join(ids)}).")
    internal = str(raw.get("internal", ids[0]))
    if internal not in ids:
        raise TrainingError(f"{path}: internal = '{internal}' is not a listed institution.")
    return InstitutionMap(path.resolve(), internal, tuple(institutions))
