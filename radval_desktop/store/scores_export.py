"""`radval scores export`: every answer as one row of a long-format CSV."""

from __future__ import annotations

import json
from pathlib import Path

from sqlite_utils import Database

from radval_desktop import csv_cells
from radval_desktop.errors import InputError, sentence
from radval_desktop.paths import open_private
from radval_desktop.store.reader_study import study_errors

COLUMNS = ("study", "rater", "rater_level", "scope", "institution", "body_system", "modality",
           "case_uuid", "case_id", "source_file", "model", "candidate_uuid", "metric", "score",
           "na", "quotes", "explanation", "given_at", "changed_at", "answer_uuid")

_QUOTES = COLUMNS.index("quotes")

_SQL = """
    SELECT s.name, r.name, r.level,
           CASE WHEN k.institution = s.institution_1 THEN 'IHG' ELSE 'OHG' END,
           k.institution, k.body_system, k.modality, k.uuid, k.source_id,
           k.source_file, c.model_name, c.uuid, a.metric,
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

    case_id and source_file are the case as the imported file named it (issue 19: the
    lead looks cases up by their own ids). scope is the paper's IHG (the study's
    institution 1) or OHG (the others). quotes is a JSON list (a quote may hold commas);
    explanation keeps one reason a line. UTF-8 with a BOM, so Excel shows Chinese text
    rather than mojibake. A text cell that a spreadsheet would run as a formula (a name
    or an explanation starting with = + - @) starts with a single quote (csv_cells):
    Excel shows it as text. Owner-only (0600), as the databases.
    """
    where, params = ("WHERE s.name = ?", [study]) if study else ("", [])
    with study_errors():
        if study and not db.execute("SELECT 1 FROM studies WHERE name = ?", [study]).fetchone():
            raise InputError(sentence("RadvalError",
                                      "There is no study named '{study}' in this database."),
                             study=study)
        rows = db.execute(_SQL.format(where=where), params).fetchall()
    with open_private(out, encoding=csv_cells.ENCODING, newline="") as handle:
        writer = csv_cells.writer(handle)
        writer.writerow(COLUMNS)
        for row in rows:
            row = list(row)
            row = ["" if v is None else v for v in row]  # score of NA, a case without id
            quotes = json.loads(row[_QUOTES] or "[]")
            row[_QUOTES] = json.dumps(quotes, ensure_ascii=False) if quotes else ""
            writer.writerow(row)
    return len(rows)
