"""What `scores merge` checks in a row from another scorer's file before it counts (issue 17).

A study file travels by USB stick and e-mail and can be edited with any SQLite tool. Every
reader-study row's uuid is derived from its content, so a uuid that its content does not
give is a second copy of something (counted twice in the results) or a made-up row. Scores,
levels and metrics are checked against SPEC §7; times must be ISO 8601 with a zone.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from radval_desktop.store import reader_study as rs
from radval_desktop.store.evaluation_runs import candidate_uuid, case_uuid

Row = dict[str, Any]


def _text(row: Row, column: str) -> str:
    return str(row.get(column) or "")


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time with its zone, or None when ``value`` is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _uuid(row: Row, expected: str) -> str | None:
    if row.get("uuid") != expected:
        return (f"its uuid does not match its content (a copy of another row would be "
                f"counted twice); expected {expected[:8]}")
    return None


def _case(row: Row) -> str | None:
    return _uuid(row, case_uuid(_text(row, "institution"), _text(row, "body_system"),
                                _text(row, "modality"), _text(row, "findings"),
                                _text(row, "reference_impression")))


def _candidate(row: Row) -> str | None:
    return _uuid(row, candidate_uuid(_text(row, "case_uuid"), _text(row, "model_sha256"),
                                     _text(row, "template_id"), _text(row, "template_version")))


def _rater(row: Row) -> str | None:
    name = " ".join(_text(row, "name").split())
    if not name:
        return "the rater has no name"
    if row.get("level") not in rs.LEVELS:
        return (f"the level {row.get('level')!r} is not "
                f"{', '.join(rs.LEVELS[:-1])} or {rs.LEVELS[-1]}")
    return _uuid(row, rs.rater_uuid(name))


def _study(row: Row) -> str | None:
    name = " ".join(_text(row, "name").split())
    return _uuid(row, rs.study_uuid(name)) if name else "the study has no name"


def _study_candidate(row: Row) -> str | None:
    return _uuid(row, rs.row_uuid("study_candidate", _text(row, "study_uuid"),
                                  _text(row, "candidate_uuid")))


def _assignment(row: Row) -> str | None:
    return _uuid(row, rs.row_uuid("assignment", _text(row, "study_uuid"),
                                  _text(row, "rater_uuid"), _text(row, "candidate_uuid")))


def _metric(row: Row) -> str | None:
    if row.get("metric") not in rs.METRIC_KEYS:
        return f"the metric {row.get('metric')!r} is not one of the seven metrics"
    return None


def _answer(row: Row) -> str | None:
    score, na = row.get("score"), row.get("na")
    if (reason := _metric(row)) is not None:
        return reason
    if na not in (0, 1):
        return f"NA is {na!r}, not 0 or 1"
    if score is not None:
        if na:
            return "it is NA with a score"
        if type(score) is not int or not rs.SCORE_MIN <= score <= rs.SCORE_MAX:
            return f"the score {score!r} is not {rs.SCORE_MIN} to {rs.SCORE_MAX} or NA"
    try:
        quotes = json.loads(row.get("quotes") or "[]")
    except (TypeError, ValueError):
        quotes = None
    if not isinstance(quotes, list) or not all(isinstance(q, str) for q in quotes):
        return "its quotes are not a list of texts"
    if not isinstance(row.get("explanation") or "", str):
        return "its explanation is not text"
    if parse_time(row.get("given_at")) is None or parse_time(row.get("changed_at")) is None:
        return "its times are not ISO 8601 times with a zone"
    return _uuid(row, rs.answer_uuid(_text(row, "study_uuid"), _text(row, "rater_uuid"),
                                     _text(row, "candidate_uuid"), _text(row, "metric")))


def _cursor(row: Row) -> str | None:
    if type(row.get("position")) is not int:
        return "its position is not a number"
    if (reason := _metric(row)) is not None:
        return reason
    if parse_time(row.get("changed_at")) is None:
        return "its time is not an ISO 8601 time with a zone"
    return _uuid(row, rs.row_uuid("cursor", _text(row, "study_uuid"), _text(row, "rater_uuid")))


# table -> the check of one row (None = good, else why it is left out). models are keyed
# by their sha256, which the file's bytes give: nothing to derive it from here.
CHECKS: dict[str, Callable[[Row], str | None]] = {
    "cases": _case, "candidates": _candidate, "raters": _rater, "studies": _study,
    "study_candidates": _study_candidate, "assignments": _assignment, "answers": _answer,
    "cursors": _cursor,
}

# The rows each row points at: (column, table). A row whose rater, study, case or candidate
# was left out (or never existed) is left out too: it would count for nobody.
REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "candidates": (("case_uuid", "cases"),),
    "study_candidates": (("study_uuid", "studies"), ("candidate_uuid", "candidates")),
    "assignments": (("study_uuid", "studies"), ("rater_uuid", "raters"),
                    ("candidate_uuid", "candidates")),
    "answers": (("study_uuid", "studies"), ("rater_uuid", "raters"),
                ("candidate_uuid", "candidates")),
    "cursors": (("study_uuid", "studies"), ("rater_uuid", "raters")),
}


def check(table: str, row: Row) -> str | None:
    checker = CHECKS.get(table)
    return checker(row) if checker else None
