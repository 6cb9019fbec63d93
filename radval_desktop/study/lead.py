"""The study lead's operations beyond the CLI's: institutions, hand-out files, progress."""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from radval_desktop.errors import InputError, sentence
from radval_desktop.store.database import FILE_MODE, read_only_uri
from radval_desktop.store.reader_study import (
    Rater,
    Study,
    assign,
    open_study,
    study_errors,
)
from radval_desktop.study.importing import ImportSummary, import_candidates
from radval_desktop.study.questionnaire import METRIC_KEYS


def institutions(db: Database) -> list[str]:
    """The institutions the file's cases name: the only sensible choices for institution 1."""
    with study_errors():
        return [r[0] for r in db.execute(
            "SELECT DISTINCT institution FROM cases WHERE institution IS NOT NULL AND "
            "institution != '' ORDER BY institution")]


def import_file(study_file: Path, file: Path, institution: str = "1",
                mapping: Mapping[str, str] | None = None, model: str = "") -> ImportSummary:
    """`radval study import` as one call on its own connection (the window runs it in a
    worker thread: a SQLite connection stays in the thread that made it)."""
    db = open_study(study_file)
    try:
        return import_candidates(db, file, mapping, institution, model)
    finally:
        db.close()


def study_raters(db: Database, study: Study) -> list[Rater]:
    """The raters assigned to the study, by name."""
    with study_errors():
        rows = db.execute(
            "SELECT uuid, name, level FROM raters WHERE uuid IN (SELECT rater_uuid FROM "
            "assignments WHERE study_uuid = ?) ORDER BY name", [study.uuid]).fetchall()
    return [Rater(*row) for row in rows]


# --- handing out one file per rater ---------------------------------------------------

_UNSAFE = re.compile(r"[^\w .-]+")


def handout_path(folder: Path, study: Study, rater: Rater) -> Path:
    """``pilot - Dr Li.db``: the study and the rater, in characters every file system takes."""
    name = _UNSAFE.sub("_", f"{study.name} - {rater.name}").strip(" .") or "rater"
    return folder / f"{name}.db"


def hand_out(study_file: Path, study: Study, raters: Sequence[Rater], folder: Path
             ) -> list[Path]:
    """One study file per rater in ``folder``, holding the study and that rater alone.

    Each rater is assigned in the lead's file first, so its progress shows there at once and
    the merge finds the same rows. The copy leaves out the other raters and their answers
    (a rater scores alone) and other studies; deleted rows are zeroed (secure_delete), not
    left readable in free pages. A file already there is refused, never overwritten: it may
    hold a rater's answers.
    """
    if not raters:
        raise InputError(sentence("RadvalError",
                                  "Add the raters first; then hand out one file to each."))
    targets = [handout_path(folder, study, rater) for rater in raters]
    there = [t.name for t in targets if t.exists()]
    if there:
        raise InputError(sentence("RadvalError", "{names} already exist in {folder}; they may "
                                  "hold a rater's answers. Collect and merge them first, then "
                                  "move them away or choose another folder."),
                         names=", ".join(there), folder=folder)
    lead = open_study(study_file)
    try:
        for rater in raters:
            assign(lead, study, rater)
    finally:
        lead.close()
    folder.mkdir(parents=True, exist_ok=True)
    for rater, target in zip(raters, targets, strict=True):
        _copy(study_file, target)
        _keep_only(target, study, rater)
    return targets


def _copy(source: Path, target: Path) -> None:
    fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_RDWR, FILE_MODE)  # never wider
    os.close(fd)
    with study_errors(source):
        src = sqlite3.connect(read_only_uri(source), uri=True)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # the backup API copies what the WAL holds; a file copy would not
        finally:
            dst.close()
            src.close()


def _keep_only(path: Path, study: Study, rater: Rater) -> None:
    db = open_study(path)
    try:
        with study_errors(path), db.conn:
            for table in ("answers", "cursors", "assignments"):
                db.execute(f"DELETE FROM [{table}] WHERE rater_uuid != ? OR study_uuid != ?",
                           [rater.uuid, study.uuid])
            db.execute("DELETE FROM study_candidates WHERE study_uuid != ?", [study.uuid])
            db.execute("DELETE FROM studies WHERE uuid != ?", [study.uuid])
            db.execute("DELETE FROM raters WHERE uuid != ?", [rater.uuid])
        with study_errors(path):
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one file to send, nothing beside
    finally:
        db.close()


# --- progress ----------------------------------------------------------------------------

@dataclass(frozen=True)
class RaterProgress:
    """One rater's standing in a study, as the lead's file knows it (after a merge)."""

    name: str
    level: str
    answered: int  # answers given (a score or NA) to assigned candidates
    total: int  # assigned candidates x the seven metrics
    na: int
    last_activity: str | None  # the latest answer's changed_at (UTC, ISO 8601)
    mean: float | None  # over the scores given, NA left out
    means: dict[str, float | None]  # per metric key

    @property
    def finished(self) -> bool:
        return self.total > 0 and self.answered == self.total


def study_progress(db: Database, study: Study) -> list[RaterProgress]:
    """Every rater assigned to the study (or with answers in it), by name."""
    with study_errors():
        totals = dict(db.execute(
            "SELECT rater_uuid, COUNT(*) FROM assignments WHERE study_uuid = ? "
            "GROUP BY rater_uuid", [study.uuid]).fetchall())
        rows = db.execute(
            "SELECT a.rater_uuid, a.metric, a.score, a.na, a.changed_at FROM answers a "
            "JOIN assignments s ON s.study_uuid = a.study_uuid AND s.rater_uuid = a.rater_uuid "
            "AND s.candidate_uuid = a.candidate_uuid WHERE a.study_uuid = ?",
            [study.uuid]).fetchall()
        raters = {r[0]: (r[1], r[2]) for r in db.execute("SELECT uuid, name, level FROM raters")}
    given: dict[str, list[tuple[str, int | None, bool, str]]] = {}
    for rater, metric, score, na, changed in rows:
        if na or score is not None:
            given.setdefault(rater, []).append((metric, None if na else score, bool(na),
                                                changed))
    progress = []
    for uuid in sorted(set(totals) | set(given), key=lambda u: raters.get(u, (u, ""))[0]):
        name, level = raters.get(uuid, (uuid[:8], ""))
        answers = given.get(uuid, [])
        scores = [a[1] for a in answers if a[1] is not None]
        per_metric = {key: [a[1] for a in answers if a[0] == key and a[1] is not None]
                      for key in METRIC_KEYS}
        progress.append(RaterProgress(
            name, level, len(answers), totals.get(uuid, 0) * len(METRIC_KEYS),
            sum(1 for a in answers if a[2]), max((a[3] for a in answers), default=None),
            sum(scores) / len(scores) if scores else None,
            {k: sum(v) / len(v) if v else None for k, v in per_metric.items()}))
    return progress
