"""`radval scores export`: every answer as one row of a long-format CSV."""

from __future__ import annotations

import json
from pathlib import Path

from sqlite_utils import Database

from radval_desktop import csv_cells
from radval_desktop.errors import InputError
from radval_desktop.store.reader_study import study_errors

COLUMNS = ("study", "rater", "rater_level", "scope", "institution", "body_system", "modality",
           "case_uuid", "model", "candidate_uuid", "metric", "score", "na", "quotes",
           "explanation", "given_at", "changed_at", "answer_uuid")

_SQL = """
    SELECT s.name, r.name, r.level,
           CASE WHEN k.institution = s.institution_1 THEN 'IHG' ELSE 'OHG' END,
           k.institution, k.body_system, k.modality, k.uuid, c.model_name, c.uuid, a.metric,
           a.score, a.na, a.quotes, a.explanation, a.given_at, a.changed_at, a.uuid
    FROM answers a
    JOIN studies s ON s.uuid = a.study_uuid
    JOIN raters r ON r.uuid = a.rater_uuid
    JOIN candidates c ON c.uuid = a.candidate_uuid
    JOIN cases k ON k.uuid = c.case_uuid
    {where}
    ORDER BY s.name, r.name, k.uuid, c.model_name, a.metric
"""


def export_scores(db: Database, out: Path, study: str | None = None) -> int:
    """Write the CSV; the number of answers written.

    scope is the paper's IHG (the study's institution 1) or OHG (the others). quotes is a
    JSON list (a quote may hold commas); explanation keeps one reason a line. UTF-8 with a
    BOM, so Excel shows Chinese text rather than mojibake. A text cell that a spreadsheet
    would run as a formula (a name or an explanation starting with = + - @) starts with a
    single quote (csv_cells): Excel shows it as text.
    """
    where, params = ("WHERE s.name = ?", [study]) if study else ("", [])
    with study_errors():
        if study and not db.execute("SELECT 1 FROM studies WHERE name = ?", [study]).fetchone():
            raise InputError(f"There is no study named '{study}' in this database.")
        rows = db.execute(_SQL.format(where=where), params).fetchall()
    with open(out, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv_cells.writer(handle)
        writer.writerow(COLUMNS)
        for row in rows:
            row = list(row)
            row[11] = "" if row[11] is None else row[11]
            quotes = json.loads(row[13] or "[]")
            row[13] = json.dumps(quotes, ensure_ascii=False) if quotes else ""
            writer.writerow(row)
    return len(rows)
