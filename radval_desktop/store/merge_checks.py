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

from radval_desktop.errors import Words, sentence
from radval_desktop.store import reader_study as rs
from radval_desktop.store.evaluation_runs import candidate_uuid, case_uuid

Row = dict[str, Any]
MERGE = "Merge"  # the reasons' context, written out in each sentence() for lupdate


def _said(template: str, /, **values: object) -> Words:
    """A reason as a template and values: English in the CLI, the window's language there."""
    return Words(MERGE, template, tuple(values.items()))


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


def _uuid(row: Row, expected: str) -> Words | None:
    if row.get("uuid") != expected:
        return _said(sentence("Merge", "its uuid does not match its content (a copy of another "
                              "row would be counted twice); expected {expected}"),
                     expected=expected[:8])
    return None


def _case(row: Row) -> Words | None:
    return _uuid(row, case_uuid(_text(row, "institution"), _text(row, "body_system"),
                                _text(row, "modality"), _text(row, "findings"),
                                _text(row, "reference_impression")))


def _candidate(row: Row) -> Words | None:
    return _uuid(row, candidate_uuid(_text(row, "case_uuid"), _text(row, "model_sha256"),
                                     _text(row, "template_id"), _text(row, "template_version")))


def _rater(row: Row) -> Words | None:
    name = " ".join(_text(row, "name").split())
    if not name:
        return _said(sentence("Merge", "the rater has no name"))
    if row.get("level") not in rs.LEVELS:  # rs.LEVELS, SPEC §6
        return _said(sentence("Merge", "the level {level!r} is not junior, intermediate or "
                              "senior"), level=row.get("level"))
    return _uuid(row, rs.rater_uuid(name))


def _study(row: Row) -> Words | None:
    name = " ".join(_text(row, "name").split())
    return (_uuid(row, rs.study_uuid(name)) if name
            else _said(sentence("Merge", "the study has no name")))


def _study_candidate(row: Row) -> Words | None:
    return _uuid(row, rs.row_uuid("study_candidate", _text(row, "study_uuid"),
                                  _text(row, "candidate_uuid")))


def _assignment(row: Row) -> Words | None:
    return _uuid(row, rs.row_uuid("assignment", _text(row, "study_uuid"),
                                  _text(row, "rater_uuid"), _text(row, "candidate_uuid")))


def _metric(row: Row) -> Words | None:
    if row.get("metric") not in rs.METRIC_KEYS:
        return _said(sentence("Merge", "the metric {metric!r} is not one of the seven metrics"),
                     metric=row.get("metric"))
    return None


def _answer(row: Row) -> Words | None:
    score, na = row.get("score"), row.get("na")
    if (reason := _metric(row)) is not None:
        return reason
    if na not in (0, 1):
        return _said(sentence("Merge", "NA is {na!r}, not 0 or 1"), na=na)
    if score is not None:
        if na:
            return _said(sentence("Merge", "it is NA with a score"))
        if type(score) is not int or not rs.SCORE_MIN <= score <= rs.SCORE_MAX:
            return _said(sentence("Merge", "the score {score!r} is not {low} to {high} or NA"),
                         score=score, low=rs.SCORE_MIN, high=rs.SCORE_MAX)
    try:
        quotes = json.loads(row.get("quotes") or "[]")
    except (TypeError, ValueError):
        quotes = None
    if not isinstance(quotes, list) or not all(isinstance(q, str) for q in quotes):
        return _said(sentence("Merge", "its quotes are not a list of texts"))
    if not isinstance(row.get("explanation") or "", str):
        return _said(sentence("Merge", "its explanation is not text"))
    if parse_time(row.get("given_at")) is None or parse_time(row.get("changed_at")) is None:
        return _said(sentence("Merge", "its times are not ISO 8601 times with a zone"))
    return _uuid(row, rs.answer_uuid(_text(row, "study_uuid"), _text(row, "rater_uuid"),
                                     _text(row, "candidate_uuid"), _text(row, "metric")))


def _cursor(row: Row) -> Words | None:
    if type(row.get("position")) is not int:
        return _said(sentence("Merge", "its position is not a number"))
    if (reason := _metric(row)) is not None:
        return reason
    if parse_time(row.get("changed_at")) is None:
        return _said(sentence("Merge", "its time is not an ISO 8601 time with a zone"))
    return _uuid(row, rs.row_uuid("cursor", _text(row, "study_uuid"), _text(row, "rater_uuid")))


# table -> the check of one row (None = good, else why it is left out). models are keyed
# by their sha256, which the file's bytes give: nothing to derive it from here.
CHECKS: dict[str, Callable[[Row], Words | None]] = {
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


def check(table: str, row: Row) -> Words | None:
    checker = CHECKS.get(table)
    return checker(row) if checker else None
