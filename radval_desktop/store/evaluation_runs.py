"""Cases, models and their generated impressions (batch runs), saved one row at a time."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from radval_desktop.store.database import store_errors

# Content-derived ids: the same case or output in two scorers' databases gets the same
# uuid, so merging them never duplicates a row.
_NAMESPACE = uuid.UUID("6f2b7a52-8c1e-4d0b-9a53-3c7d1f0e2a41")


def case_uuid(institution: str, body_system: str, modality: str, findings: str,
              reference: str) -> str:
    key = "\x1f".join((institution, body_system, modality, findings.strip(), reference.strip()))
    return str(uuid.uuid5(_NAMESPACE, "case\x1f" + key))


def candidate_uuid(case: str, model_sha256: str, template_id: str, template_version: str) -> str:
    key = "\x1f".join((case, model_sha256, template_id, template_version))
    return str(uuid.uuid5(_NAMESPACE, "candidate\x1f" + key))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class NewCase:
    institution: str
    body_system: str
    modality: str
    language: str
    findings: str
    reference_impression: str
    source_id: str = ""
    source_file: str = ""
    source_line: int = 0
    age: str = ""
    sex: str = ""


def save_cases(db: Database, cases: Iterable[NewCase]) -> list[str]:
    """Insert cases not yet in the database; return every case's uuid in order."""
    ids: list[str] = []
    records = []
    for case in cases:
        cid = case_uuid(case.institution, case.body_system, case.modality, case.findings,
                        case.reference_impression)
        ids.append(cid)
        records.append({"uuid": cid, "created_at": _now(), **case.__dict__})
    with store_errors(), db.conn:
        db.table("cases").insert_all(records, pk="uuid", ignore=True)
    return ids


@dataclass(frozen=True)
class ModelRecord:
    sha256: str
    name: str
    file_name: str
    architecture: str
    parameters: int
    quantization: str
    file_size: int


def save_model(db: Database, model: ModelRecord) -> None:
    with store_errors(), db.conn:
        db.table("models").upsert(model.__dict__, pk="sha256")


@dataclass(frozen=True)
class NewCandidate:
    case_uuid: str
    model_sha256: str
    model_name: str
    source: str  # "batch" or "import"
    template_id: str
    template_version: str
    text: str
    raw_text: str = ""
    ok: bool = True
    attempts: int = 1
    empty_attempts: int = 0
    repetition_attempts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    first_token_seconds: float | None = None
    seconds: float = 0.0
    sampling: dict[str, Any] | None = None


def has_candidate(db: Database, case: str, model_sha256: str, template_id: str,
                  template_version: str) -> bool:
    cid = candidate_uuid(case, model_sha256, template_id, template_version)
    with store_errors():
        return bool(db.execute("SELECT 1 FROM candidates WHERE uuid = ?", [cid]).fetchone())


def save_candidate(db: Database, candidate: NewCandidate) -> str:
    """Committed before returning: a run killed after this keeps this output."""
    cid = candidate_uuid(candidate.case_uuid, candidate.model_sha256, candidate.template_id,
                         candidate.template_version)
    record = {**candidate.__dict__, "uuid": cid, "ok": int(candidate.ok), "created_at": _now(),
              "sampling": json.dumps(candidate.sampling or {}, sort_keys=True)}
    with store_errors(), db.conn:
        db.table("candidates").insert(record, pk="uuid", replace=True)
        # In the same transaction: a case is either left with its reason or drafted.
        db.execute("DELETE FROM batch_problems WHERE uuid = ?", [cid])
    return cid


def record_problem(db: Database, case: str, model_sha256: str, model_name: str,
                   template_id: str, template_version: str, reason: str, tries: int) -> None:
    """Why a case has no output from this model yet (issue 18); it is drafted next run."""
    key = candidate_uuid(case, model_sha256, template_id, template_version)
    with store_errors(), db.conn:
        db.table("batch_problems").insert(
            {"uuid": key, "case_uuid": case, "model_sha256": model_sha256,
             "model_name": model_name, "template_id": template_id,
             "template_version": template_version, "reason": reason, "tries": tries,
             "at": _now()}, pk="uuid", replace=True)


def iter_outputs(db: Database) -> Iterator[dict[str, Any]]:
    """Every candidate joined with its case and model, for the evaluation tables."""
    sql = """
        SELECT c.*, k.institution, k.body_system, k.modality, k.language, k.findings,
               k.reference_impression, m.parameters, m.quantization, m.file_name AS model_file
        FROM candidates c JOIN cases k ON k.uuid = c.case_uuid
        LEFT JOIN models m ON m.sha256 = c.model_sha256
        ORDER BY c.model_name, k.institution, k.body_system, c.created_at
    """
    with store_errors():
        cursor = db.execute(sql)
        names = [d[0] for d in cursor.description]
        for row in cursor:
            yield dict(zip(names, row, strict=True))
