"""Reader-study rows: raters, studies, per-rater shuffled assignments, answers saved at once."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import uuid
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from radval_desktop.errors import SENTENCES, InputError, StoreError, Words, sentence
from radval_desktop.store.database import open_database, read_only_uri, store_errors
from radval_desktop.store.schema import migrations

# Same namespace idea as evaluation_runs: ids come from content, so the same rater, study
# or answer made on two machines is one row after a merge. A separate namespace keeps
# these ids from ever colliding with case and candidate ids.
_NAMESPACE = uuid.UUID("0d3f5c8e-2b71-4a96-8e4f-7a1c9b2d6e53")
LEVELS = ("junior", "intermediate", "senior")  # SPEC §6: the three rater groups
SCORE_MIN, SCORE_MAX = 0, 100  # SPEC §7 Q1
# The seven metrics' keys (SPEC §7), which an answer row may hold. study/questionnaire.py
# owns the questions; the store keeps the keys to check merged rows (a test keeps them equal).
METRIC_KEYS = ("understandability", "coherence", "relevance", "conciseness", "clinical_utility",
               "missed_diagnosis", "overdiagnosis")


def _id(kind: str, *parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join((kind, *parts))))


def row_uuid(kind: str, *parts: str) -> str:
    """The content-derived uuid of a study_candidate, assignment or cursor row."""
    return _id(kind, *parts)


def rater_uuid(name: str) -> str:
    return _id("rater", " ".join(name.split()).casefold())


def study_uuid(name: str) -> str:
    return _id("study", " ".join(name.split()).casefold())


def answer_uuid(study: str, rater: str, candidate: str, metric: str) -> str:
    return _id("answer", study, rater, candidate, metric)


def now() -> str:
    # Microseconds: a merge keeps the latest edit, and a rater may revise within a second.
    return datetime.now(UTC).isoformat(timespec="microseconds")


# --- opening and errors ---------------------------------------------------------------

_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26
KEPT = "Your answer is kept on screen and saved with your next change."


def _sentence(err: sqlite3.Error, path: Path | None) -> tuple[str, dict[str, object]] | None:
    primary = (getattr(err, "sqlite_errorcode", None) or 0) & 0xFF
    values: dict[str, object] = {"where": f" {path}" if path else "", "error": str(err)}
    # Each ends with KEPT, written out: lupdate reads literals only.
    if primary in (_BUSY, _LOCKED):
        return sentence("RadvalError", "The study database{where} is locked by another program "
                        "(another RadVal window or a merge?); close it and go on. Your answer is "
                        "kept on screen and saved with your next change."), values
    if primary == _READONLY:
        return sentence("RadvalError", "The study database{where} is read-only; scoring needs "
                        "write access. Your answer is kept on screen and saved with your next "
                        "change."), values
    if primary == _FULL:
        return sentence("RadvalError", "The disk holding the study database{where} is full; "
                        "free some space. Your answer is kept on screen and saved with your next "
                        "change."), values
    if primary in (_CORRUPT, _NOTADB):
        return sentence("RadvalError", "The study database{where} is damaged or is not a RadVal "
                        "database; ask the study lead for a fresh copy (your answers so far are "
                        "in its backup)."), values
    if primary in (_IOERR, _CANTOPEN):
        return sentence("RadvalError", "The study database{where} cannot be read or written "
                        "({error}). Your answer is kept on screen and saved with your next "
                        "change."), values
    return None


def study_errors(path: Path | None = None) -> AbstractContextManager[None]:
    """store_errors with sentences for a rater rather than for the history."""
    return store_errors(path, _sentence)


def _backup_if_upgrading(path: Path) -> Path | None:
    """A copy of an older database before its migrations run (issue 5); None if current."""
    if not path.is_file() or path.stat().st_size == 0:
        return None
    conn = sqlite3.connect(read_only_uri(path), uri=True)
    try:
        if not migrations.pending(Database(conn, execute_plugins=False)):
            return None
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        backup = path.with_name(f"{path.name}.before-upgrade-{stamp}.bak")
        target = sqlite3.connect(backup)
        try:
            conn.backup(target)  # the backup API copies WAL content a file copy would miss
        finally:
            target.close()
        os.chmod(backup, 0o600)
        return backup
    finally:
        conn.close()


def open_study(path: Path) -> Database:
    """Open a study database for scoring; StoreError with the reason when it cannot be.

    Read-only files are refused up front: scoring that cannot be saved would be lost work.
    """
    path = Path(path)
    if path.exists() and not os.access(path, os.W_OK):
        raise StoreError(sentence("RadvalError",
                                  "The study database {path} is read-only; scoring needs write "
                                  "access. Copy it to a folder of your own, or ask IT."),
                         path=path)
    if path.exists() and not os.access(path.parent, os.W_OK):
        # WAL keeps its -wal and -shm files beside the database.
        raise StoreError(sentence("RadvalError",
                                  "The folder of the study database {path} is read-only; scoring "
                                  "needs write access. Copy the file to a folder of your own."),
                         path=path)
    with study_errors(path):
        _backup_if_upgrading(path)
    try:
        return open_database(path)
    except StoreError as err:
        cause = err.__cause__
        said = _sentence(cause, path) if isinstance(cause, sqlite3.Error) else None
        if said is None:
            raise
        raise StoreError(said[0], **said[1]) from cause


# --- raters and studies -----------------------------------------------------------------

@dataclass(frozen=True)
class Rater:
    uuid: str
    name: str
    level: str


def find_rater(db: Database, name: str) -> Rater | None:
    """The rater of that name (case and spacing aside), or None."""
    with study_errors():
        row = db.execute("SELECT uuid, name, level FROM raters WHERE uuid = ?",
                         [rater_uuid(name)]).fetchone()
    return Rater(*row) if row else None


def save_rater(db: Database, name: str, level: str, change_level: bool = False) -> Rater:
    """Add a rater, or return the one already there with the same level.

    A level decides which group's mean the rater counts in, so it is set once by the study
    lead: giving another level is refused unless ``change_level`` says the lead means it.
    """
    name = " ".join(name.split())
    if not name:
        raise InputError(sentence("RadvalError",
                                  "Give the rater's name."))
    if level not in LEVELS:
        raise InputError(sentence("RadvalError",
                                  "The rater's level is one of {levels}, not '{level}'."),
                         levels=', '.join(LEVELS), level=level)
    existing = find_rater(db, name)
    if existing is not None and existing.level != level and not change_level:
        raise InputError(sentence(
            "RadvalError",
            "{name} is already {level} in this study file; the study lead sets a rater's "
            "level once, because it decides which group's mean they count in. To change it "
            "on purpose: radval study assign --rater \"{name}\" --level {new} --change-level "
            "(with --db and --study)."), name=existing.name, level=existing.level, new=level)
    rid = rater_uuid(name)
    with study_errors(), db.conn:
        db.execute("INSERT INTO raters (uuid, name, level, created_at) VALUES (?, ?, ?, ?) "
                   "ON CONFLICT(uuid) DO UPDATE SET level = excluded.level",
                   [rid, name, level, now()])
    return Rater(rid, existing.name if existing else name, level)


def list_raters(db: Database) -> list[Rater]:
    with study_errors():
        rows = db.execute("SELECT uuid, name, level FROM raters ORDER BY name").fetchall()
    return [Rater(*row) for row in rows]


@dataclass(frozen=True)
class Study:
    uuid: str
    name: str
    show_reference: bool
    institution_1: str
    seed: int


def institutions(db: Database, candidates: Iterable[str] | None = None) -> list[str]:
    """The institutions of the cases in the file (or of these candidates' cases), sorted."""
    with study_errors():
        rows = db.execute("SELECT c.uuid, k.institution FROM candidates c JOIN cases k "
                          "ON k.uuid = c.case_uuid").fetchall()
    wanted = None if candidates is None else set(candidates)
    return sorted({place or "" for uuid, place in rows if wanted is None or uuid in wanted})


def check_institution_1(db: Database, institution_1: str,
                        candidates: Iterable[str] | None = None) -> str:
    """institution_1 as the cases write it; InputError naming those present when absent.

    Issue 19: a mistyped or defaulted institution 1 put every case in OHG and emptied IHG
    and Tables 4-5 without a word.
    """
    wanted = " ".join(institution_1.split())
    present = institutions(db, candidates)
    match = next((i for i in present if " ".join(i.split()).casefold() == wanted.casefold()),
                 None)
    if match is None:
        if not present:
            raise InputError(sentence(
                "RadvalError", "No case in this file is from institution '{name}'; the "
                "institutions in it are none (import candidates first). Give one of them as "
                "institution 1 (the internal one, IHG)."), name=institution_1)
        raise InputError(sentence(
            "RadvalError", "No case in this file is from institution '{name}'; the institutions "
            "in it are {listed}. Give one of them as institution 1 (the internal one, IHG)."),
            name=institution_1, listed=", ".join(f"'{i}'" for i in present))
    return match


def save_study(db: Database, name: str, show_reference: bool = False, institution_1: str = "1",
               seed: int | None = None, candidates: Iterable[str] | None = None) -> Study:
    """Create a study over the given candidates, or every one in the file.

    institution_1 must be an institution of the study's cases. Once any rater has been
    handed the study (an assignment exists) it is frozen: the raters' copies hold its
    candidates and order, so new candidates or another seed are refused with a sentence;
    the same settings again change nothing. The reference impression is hidden unless
    asked for: a reader who sees it scores the candidate against it rather than against
    the findings.
    """
    name = " ".join(name.split())
    if not name:
        raise InputError(sentence("RadvalError",
                                  "Give the study a name."))
    sid = study_uuid(name)
    # Default seed from the name: every machine shuffles a study the same way.
    seed = int(sid[:8], 16) if seed is None else seed
    with study_errors():
        if candidates is None:
            candidates = [r[0] for r in db.execute("SELECT uuid FROM candidates")]
        candidates = list(candidates)
    institution_1 = check_institution_1(db, institution_1, candidates)
    _check_not_frozen(db, sid, name, seed, candidates)
    with study_errors(), db.conn:
        db.execute(
            "INSERT INTO studies (uuid, name, created_at, show_reference, institution_1, seed) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(uuid) DO UPDATE SET show_reference = "
            "excluded.show_reference, institution_1 = excluded.institution_1, "
            "seed = excluded.seed", [sid, name, now(), int(show_reference), institution_1, seed])
        db.table("study_candidates").insert_all(
            ({"uuid": _id("study_candidate", sid, c), "study_uuid": sid, "candidate_uuid": c}
             for c in candidates), pk="uuid", ignore=True)
    return Study(sid, name, show_reference, institution_1, seed)


def _check_not_frozen(db: Database, sid: str, name: str, seed: int,
                      candidates: list[str]) -> None:
    with study_errors():
        raters = db.execute("SELECT COUNT(DISTINCT rater_uuid) FROM assignments WHERE "
                            "study_uuid = ?", [sid]).fetchone()[0]
        if not raters:
            return
        have = {r[0] for r in db.execute(
            "SELECT candidate_uuid FROM study_candidates WHERE study_uuid = ?", [sid])}
        old_seed = db.execute("SELECT seed FROM studies WHERE uuid = ?", [sid]).fetchone()[0]
    # One sentence for one and one for many: Chinese has no plural, English needs the -s.
    handed = Words(SENTENCES, sentence(
        "RadvalError", "The study '{name}' has been handed out to 1 rater, so it is frozen")
        if raters == 1 else sentence(
        "RadvalError", "The study '{name}' has been handed out to {raters} raters, so it is "
        "frozen"), (("name", name), ("raters", raters)))
    new = len(set(candidates) - have)
    if new:
        raise InputError(sentence(
            "RadvalError", "{handed}: the 1 new candidate in this file would be missing from "
            "the raters' copies. Create a new study for it with another name (--name "
            "\"{name} 2\").") if new == 1 else sentence(
            "RadvalError", "{handed}: the {new} new candidates in this file would be missing "
            "from the raters' copies. Create a new study for them with another name (--name "
            "\"{name} 2\")."), handed=handed, new=new, name=name)
    if old_seed != seed:
        raise InputError(sentence("RadvalError", "{handed}: its shuffle seed stays {old_seed} "
                                  "(the raters' order depends on it). Create a new study to use "
                                  "another seed."), handed=handed, old_seed=old_seed)


def list_studies(db: Database) -> list[Study]:
    with study_errors():
        rows = db.execute("SELECT uuid, name, show_reference, institution_1, seed FROM studies "
                          "ORDER BY name").fetchall()
    return [Study(r[0], r[1], bool(r[2]), r[3] or "1", r[4] or 0) for r in rows]


def shuffled_order(by_case: dict[str, list[str]], seed: int, rater: str) -> list[str]:
    """Cases in the rater's own order, each case's candidates in the rater's own order.

    Seeded by study and rater, so the order is the same on every machine and after every
    restart, and differs between raters (position effects average out over the panel).
    """
    rng = random.Random(f"{seed}\x1f{rater}")
    cases = sorted(by_case)
    rng.shuffle(cases)
    order: list[str] = []
    for case in cases:
        candidates = sorted(by_case[case])
        rng.shuffle(candidates)
        order.extend(candidates)
    return order


def assign(db: Database, study: Study, rater: Rater) -> int:
    """Give the rater every candidate of the study not yet assigned; how many were added."""
    with study_errors(), db.conn:
        rows = db.execute(
            "SELECT c.case_uuid, c.uuid FROM study_candidates s JOIN candidates c "
            "ON c.uuid = s.candidate_uuid WHERE s.study_uuid = ?", [study.uuid]).fetchall()
        by_case: dict[str, list[str]] = {}
        for case, candidate in rows:
            by_case.setdefault(case, []).append(candidate)
        have = {r[0]: r[1] for r in db.execute(
            "SELECT candidate_uuid, position FROM assignments WHERE study_uuid = ? AND "
            "rater_uuid = ?", [study.uuid, rater.uuid])}
        start = max(have.values(), default=-1) + 1
        new = [c for c in shuffled_order(by_case, study.seed, rater.uuid) if c not in have]
        stamp = now()
        db.table("assignments").insert_all(
            ({"uuid": _id("assignment", study.uuid, rater.uuid, c), "study_uuid": study.uuid,
              "rater_uuid": rater.uuid, "candidate_uuid": c, "position": start + i,
              "created_at": stamp} for i, c in enumerate(new)), pk="uuid", ignore=True)
    return len(new)


# --- items and answers ------------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    """One candidate impression as the rater sees it: no model name (blinded)."""

    position: int
    candidate_uuid: str
    case_uuid: str
    findings: str
    reference_impression: str
    text: str
    body_system: str
    modality: str
    case_number: int  # 1-based, in the rater's order
    candidate_number: int  # 1-based inside its case
    candidates_in_case: int


def load_items(db: Database, study: Study, rater: Rater) -> list[Item]:
    with study_errors():
        rows = db.execute(
            "SELECT a.position, a.candidate_uuid, c.case_uuid, k.findings, "
            "k.reference_impression, c.text, k.body_system, k.modality FROM assignments a "
            "JOIN candidates c ON c.uuid = a.candidate_uuid JOIN cases k ON k.uuid = c.case_uuid "
            "WHERE a.study_uuid = ? AND a.rater_uuid = ? ORDER BY a.position",
            [study.uuid, rater.uuid]).fetchall()
    counts: dict[str, int] = {}
    for row in rows:
        counts[row[2]] = counts.get(row[2], 0) + 1
    items: list[Item] = []
    numbers: dict[str, int] = {}
    within: dict[str, int] = {}
    for row in rows:
        case = row[2]
        numbers.setdefault(case, len(numbers) + 1)
        within[case] = within.get(case, 0) + 1
        items.append(Item(row[0], row[1], case, row[3] or "", row[4] or "", row[5] or "",
                          row[6] or "", row[7] or "", numbers[case], within[case],
                          counts[case]))
    return items


@dataclass(frozen=True)
class Answer:
    metric: str
    score: int | None = None
    na: bool = False
    quotes: tuple[str, ...] = ()
    explanation: str = ""

    @property
    def answered(self) -> bool:
        return self.na or self.score is not None


def save_answer(db: Database, study: str, rater: str, candidate: str, answer: Answer,
                path: Path | None = None) -> str:
    """Committed before returning (WAL + fsync): a scorer killed afterwards keeps it."""
    if answer.score is not None and not SCORE_MIN <= answer.score <= SCORE_MAX:
        raise InputError(sentence("RadvalError",
                                  "A score is {score_min} to {score_max}, not {score}."),
                         score_min=SCORE_MIN, score_max=SCORE_MAX, score=answer.score)
    aid = answer_uuid(study, rater, candidate, answer.metric)
    stamp = now()
    with study_errors(path), db.conn:
        db.execute(
            "INSERT INTO answers (uuid, study_uuid, rater_uuid, candidate_uuid, metric, score, "
            "na, quotes, explanation, given_at, changed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT(uuid) DO UPDATE SET score = excluded.score, na = excluded.na, "
            "quotes = excluded.quotes, explanation = excluded.explanation, "
            "changed_at = excluded.changed_at",
            [aid, study, rater, candidate, answer.metric,
             None if answer.na else answer.score, int(answer.na),
             json.dumps(list(answer.quotes), ensure_ascii=False), answer.explanation,
             stamp, stamp])
    return aid


def load_answers(db: Database, study: str, rater: str) -> dict[tuple[str, str], Answer]:
    """(candidate uuid, metric) -> answer."""
    with study_errors():
        rows = db.execute("SELECT candidate_uuid, metric, score, na, quotes, explanation FROM "
                          "answers WHERE study_uuid = ? AND rater_uuid = ?", [study, rater])
        return {(r[0], r[1]): Answer(r[1], r[2], bool(r[3]), tuple(json.loads(r[4] or "[]")),
                                     r[5] or "") for r in rows}


def save_cursor(db: Database, study: str, rater: str, position: int, metric: str,
                path: Path | None = None) -> None:
    with study_errors(path), db.conn:
        db.table("cursors").upsert({"uuid": _id("cursor", study, rater), "study_uuid": study,
                              "rater_uuid": rater, "position": position, "metric": metric,
                              "changed_at": now()}, pk="uuid")


def load_cursor(db: Database, study: str, rater: str) -> tuple[int, str] | None:
    with study_errors():
        row = db.execute("SELECT position, metric FROM cursors WHERE uuid = ?",
                         [_id("cursor", study, rater)]).fetchone()
    return (row[0], row[1]) if row else None
