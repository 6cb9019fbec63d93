"""`radval study import`: cases and candidate impressions from a CSV, XLSX or JSONL file."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlite_utils import Database

from radval_desktop.case_files import CASE_FIELDS, RowProblem, read_cases
from radval_desktop.errors import InputError, sentence
from radval_desktop.findings import detect_language
from radval_desktop.store.evaluation_runs import NewCandidate, NewCase, save_candidate, save_cases

# A study needs what the rater reads (findings, the candidate) and whose it is (the model,
# hidden from the rater but needed for the results). The reference impression is optional:
# many studies hide it anyway.
IMPORT_REQUIRED = ("findings", "model", "candidate")
IMPORT_TEMPLATE = "import"  # template_id of imported candidates: no prompt of ours made them


@dataclass
class ImportSummary:
    cases: int = 0
    candidates: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # field -> the file's column used


def imported_version(model: str, text: str) -> str:
    """Stands in for the template version in the candidate's uuid: the same model's same
    text imported by two scorers is one candidate; an edited text is another."""
    return hashlib.sha256(f"{model}\x1f{text.strip()}".encode()).hexdigest()[:16]


def import_candidates(db: Database, path: Path | str, mapping: Mapping[str, str] | None = None,
                      institution: str = "1", model: str = "") -> ImportSummary:
    """Save every good row's case and candidate; bad rows come back as problems. ``model``
    names the rows that name none (a reporting system's export of the radiologists' own
    impressions has no model column)."""
    path = Path(path)
    defaults = {"institution": institution}
    if model.strip():
        defaults["model"] = model.strip()
    read = read_cases(path, required=IMPORT_REQUIRED, optional=CASE_FIELDS, mapping=mapping,
                      defaults=defaults)
    summary = ImportSummary(problems=list(read.problems), columns=dict(read.columns))
    if not read.rows:
        if summary.problems:
            return summary
        raise InputError(sentence("RadvalError",
                                  "{name} has no rows to import."),
                         name=path.name)
    cases = [NewCase(institution=row["institution"], body_system=row["body_system"],
                     modality=row["modality"], language=detect_language(row["findings"]),
                     findings=row["findings"], reference_impression=row["impression"],
                     source_id=row["case_id"], source_file=row.source(path.name),
                     source_line=row.line,
                     age=row["age"], sex=row["sex"])
             for row in read.rows]
    ids = save_cases(db, cases)
    summary.cases = len(set(ids))
    seen: set[str] = set()
    for row, case in zip(read.rows, ids, strict=True):
        model, text = row["model"], row["candidate"]
        seen.add(save_candidate(db, NewCandidate(
            case_uuid=case, model_sha256="", model_name=model, source="import",
            template_id=IMPORT_TEMPLATE, template_version=imported_version(model, text),
            text=text, raw_text=text)))
    summary.candidates = len(seen)
    return summary
