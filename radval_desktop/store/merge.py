"""`radval scores merge`: several scorers' databases into one; idempotent, latest edit wins."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from radval_desktop.errors import SENTENCES, InputError, StoreError, Words, sentence
from radval_desktop.store import merge_checks
from radval_desktop.store.database import open_database, read_only_uri
from radval_desktop.store.reader_study import study_errors

# Rows whose uuid says everything: the same uuid is the same thing, so the first copy is kept.
SAME_BY_UUID = ("cases", "models", "candidates", "raters", "studies", "study_candidates",
                "assignments")
# Rows a rater edits: the copy changed last wins, whichever file it came from.
LATEST_WINS = ("answers", "cursors")
_CONTENT = ("score", "na", "quotes", "explanation")  # what makes two answers disagree


@dataclass(frozen=True)
class Conflict:
    """One answer edited differently in two files; ``kept`` is the later edit."""

    answer_uuid: str
    rater: str
    candidate_uuid: str
    metric: str
    kept: dict[str, Any]
    dropped: dict[str, Any]

    def __str__(self) -> str:
        return str(self.words())

    def words(self) -> Words:
        """The conflict as a template and values, for the window's language."""
        def show(row: dict[str, Any]) -> Words:
            return _said(sentence("Merge", "{score} at {time} ({file})"),
                         score="NA" if row["na"] else row["score"], time=row["changed_at"],
                         file=row["_source"])
        return _said(sentence("Merge", "{rater} · {metric} · candidate {candidate}: kept "
                              "{kept}, dropped {dropped}"), rater=self.rater,
                     metric=_named(_METRICS, self.metric), candidate=self.candidate_uuid[:8],
                     kept=show(self.kept), dropped=show(self.dropped))


def _said(template: str, /, **values: object) -> Words:
    return Words(merge_checks.MERGE, template, tuple(values.items()))


# The tables as the lead reads them in a problem: plural (a row of …) and singular (that …).
_TABLES = {"cases": sentence("Merge", "cases"), "candidates": sentence("Merge", "candidates"),
           "raters": sentence("Merge", "raters"), "studies": sentence("Merge", "studies"),
           "study_candidates": sentence("Merge", "study candidates"),
           "assignments": sentence("Merge", "assignments"),
           "answers": sentence("Merge", "answers"), "cursors": sentence("Merge", "cursors")}
_ONE = {"cases": sentence("Merge", "case"), "candidates": sentence("Merge", "candidate"),
        "raters": sentence("Merge", "rater"), "studies": sentence("Merge", "study")}
# The seven metrics (reader_study.METRIC_KEYS) by the names the Scoring tab gives them.
_METRICS = {"understandability": sentence("Merge", "understandability"),
            "coherence": sentence("Merge", "coherence"),
            "relevance": sentence("Merge", "relevance"),
            "conciseness": sentence("Merge", "conciseness"),
            "clinical_utility": sentence("Merge", "clinical_utility"),
            "missed_diagnosis": sentence("Merge", "missed_diagnosis"),
            "overdiagnosis": sentence("Merge", "overdiagnosis")}
_LEVELS = {"junior": sentence("Merge", "junior"),
           "intermediate": sentence("Merge", "intermediate"),
           "senior": sentence("Merge", "senior")}


def _named(names: dict[str, str], key: str) -> Words | str:
    return _said(names[key]) if key in names else key


@dataclass
class MergeReport:
    added: dict[str, int] = field(default_factory=dict)  # table -> new rows in the output
    conflicts: list[Conflict] = field(default_factory=list)
    # One sentence per row left out or changed on the way in, naming its file (issue 17).
    problems: list[str] = field(default_factory=list)
    problem_words: list[Words] = field(default_factory=list)  # the same, for the window
    left_out: int = 0  # rows not merged


def _read(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise InputError(sentence("RadvalError",
                                  "There is no database at {path}."),
                         path=path)
    # Read-only: merging never changes a scorer's own file.
    return sqlite3.connect(read_only_uri(path), uri=True)


def _check_source(path: Path) -> None:
    """Refuse, before anything is written, a file that is missing or not a SQLite database.

    Issue 19: the rater's sentence ("ask the study lead for a fresh copy") reached the lead,
    after the files named before it had already been merged.
    """
    conn = _read(path)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as err:
        raise InputError(sentence(
            "RadvalError", "{path} is not a RadVal study database, or it is damaged ({error}); "
            "nothing was merged. Check that you named the study file the rater sent back (a .db "
            "file), or ask that rater to send it again."), path=path, error=err) from err
    finally:
        conn.close()


def _rows(conn: sqlite3.Connection, table: str, columns: list[str]) -> list[dict[str, Any]]:
    have = {r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")}
    if not have:
        return []  # an older file without the reader-study tables
    wanted = [c for c in columns if c in have]
    sql = f"SELECT {', '.join(f'[{c}]' for c in wanted)} FROM [{table}] ORDER BY rowid"
    return [dict(zip(wanted, row, strict=True)) for row in conn.execute(sql)]


_NEVER = datetime.min.replace(tzinfo=UTC)


def _rank(row: dict[str, Any]) -> tuple[bool, datetime, str]:
    # A row dated in the future (its time capped at the merge) loses to any dated version:
    # otherwise merging its file again would win again, for ever. Then the latest edit
    # (as times, not text: a file may write another zone); an exact tie is broken by
    # content so the result never depends on the files' order.
    return (not row.get("_future"), merge_checks.parse_time(row.get("changed_at")) or _NEVER,
            repr(tuple(row.get(c) for c in _CONTENT)))


class _Source:
    """One scorer's file while it is merged: its rows checked, its problems worded."""

    def __init__(self, path: Path, conn: sqlite3.Connection, columns: dict[str, list[str]],
                 report: MergeReport) -> None:
        self.path, self.conn, self.columns, self.report = path, conn, columns, report
        self.rater_names = {r["uuid"]: r["name"]
                            for r in _rows(conn, "raters", ["uuid", "name"])}
        self.study_names = {r["uuid"]: r["name"]
                            for r in _rows(conn, "studies", ["uuid", "name"])}

    def problem(self, said: Words, rows: int = 1) -> None:
        words = Words(SENTENCES, sentence("RadvalError", "{file}: {problem}"),
                      (("file", self.path.name), ("problem", said)))
        self.report.problems.append(str(words))
        self.report.problem_words.append(words)
        self.report.left_out += rows

    def _who(self, table: str, row: dict[str, Any]) -> Words | str:
        rater = self.rater_names.get(row.get("rater_uuid"), "")
        if table in ("answers", "cursors") and rater:
            return _said(sentence("Merge", " ({rater} · {metric})"), rater=rater,
                         metric=_named(_METRICS, str(row.get("metric"))))
        if table == "raters":
            return _said(sentence("Merge", " ({name})"), name=row.get("name"))
        return ""

    def checked(self, table: str, known: dict[str, set[str]]) -> list[dict[str, Any]]:
        """The table's good rows; each bad one reported, those pointing at a missing rater,
        study, case or candidate in one sentence per missing row."""
        good: list[dict[str, Any]] = []
        orphans: dict[tuple[str, str], int] = {}
        for number, row in enumerate(_rows(self.conn, table, self.columns[table]), 1):
            reason = merge_checks.check(table, row)
            if reason is not None:
                self.problem(_said(sentence("Merge", "{table} row {number}{who}: {reason}; "
                                            "left out."), table=_named(_TABLES, table),
                                   number=number, who=self._who(table, row), reason=reason))
                continue
            missing = next(((column, target) for column, target
                            in merge_checks.REFERENCES.get(table, ())
                            if row.get(column) not in known[target]), None)
            if missing is not None:
                key = (missing[1], str(row.get(missing[0])))
                orphans[key] = orphans.get(key, 0) + 1
                continue
            good.append(row)
        for (target, uuid), count in orphans.items():
            name = {"raters": self.rater_names, "studies": self.study_names}.get(
                target, {}).get(uuid, uuid[:8])
            self.problem(_said(sentence("Merge", "{count} {table} of {name} left out: that "
                                        "{target} was left out above or is in no file merged."),
                               count=count, table=_named(_TABLES, table), name=name,
                               target=_named(_ONE, target)), count)
        return good


def merge_databases(sources: Sequence[Path], out: Path,
                    now: datetime | None = None) -> MergeReport:
    """Merge ``sources`` into ``out`` (created if needed); running it again changes nothing.

    Every incoming row is checked (merge_checks): a bad one is left out and reported, the
    good ones merged. A time after ``now`` (the merge) is capped at it and reported.
    """
    out = Path(out)
    sources = [Path(s) for s in sources]
    if any(s.resolve() == out.resolve() for s in sources if s.exists()):
        raise InputError(sentence("RadvalError",
                                  "The output {out} is also an input; name a new file with -o."),
                         out=out)
    for path in sources:
        _check_source(path)
    merged_at = (now or datetime.now(UTC)).isoformat(timespec="microseconds")
    target = open_database(out)
    report = MergeReport()
    names: dict[str, str] = {}  # rater uuid -> name, for the conflict list
    try:
        columns = {t: [c.name for c in target[t].columns] for t in (*SAME_BY_UUID, *LATEST_WINS)}
        known = {t: {r[0] for r in target.execute(f"SELECT uuid FROM [{t}]")}
                 for t in ("cases", "candidates", "raters", "studies")}
        levels = dict(target.execute("SELECT uuid, level FROM raters").fetchall())
        best: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in LATEST_WINS}
        for table in LATEST_WINS:
            for row in _rows(target.conn, table, columns[table]):
                best[table][row["uuid"]] = {**row, "_source": out.name}
        for path in sources:
            with study_errors(path):
                conn = _read(path)
                try:
                    source = _Source(path, conn, columns, report)
                    for table in SAME_BY_UUID:
                        rows = source.checked(table, known)
                        if table == "raters":
                            _report_levels(source, rows, levels)
                        before = target[table].count
                        with target.conn:
                            target.table(table).insert_all(rows, ignore=True)
                        report.added[table] = (report.added.get(table, 0)
                                               + target[table].count - before)
                        if table in known:
                            known[table].update(r["uuid"] for r in rows)
                    names.update(source.rater_names)
                    for table in LATEST_WINS:
                        for row in source.checked(table, known):
                            row["_source"] = path.name
                            _cap_future(source, table, row, merged_at)
                            _keep_latest(best[table], row, table, report, names)
                finally:
                    conn.close()
        with study_errors(out), target.conn:
            for table in LATEST_WINS:
                before = target[table].count
                rows = [{k: v for k, v in r.items() if not k.startswith("_")}
                        for r in best[table].values()]
                target.table(table).upsert_all(rows, pk="uuid")
                report.added[table] = target[table].count - before
    except sqlite3.Error as err:
        raise StoreError(sentence("RadvalError",
                                  "The merge stopped: {err}. {out} holds what was merged so far; "
                                  "run the merge again once the cause is fixed."),
                         err=err, out=out) from err
    finally:
        target.close()
    return report


def _report_levels(source: _Source, rows: list[dict[str, Any]], levels: dict[str, str]) -> None:
    """The same rater with another level in another file: the first level is kept (a level
    decides which group's mean a rater counts in), and the lead is told."""
    for row in rows:
        kept = levels.setdefault(row["uuid"], row["level"])
        if kept != row["level"]:
            source.problem(_said(sentence("Merge", "the rater {name} is {level} here but "
                                          "{kept} in a file merged before; kept {kept}."),
                                 name=row["name"], level=_named(_LEVELS, row["level"]),
                                 kept=_named(_LEVELS, kept)), rows=0)


def _cap_future(source: _Source, table: str, row: dict[str, Any], merged_at: str) -> None:
    merged = merge_checks.parse_time(merged_at)
    changed = merge_checks.parse_time(row["changed_at"])
    if merged is None or changed is None or changed <= merged:
        return
    source.problem(_said(sentence("Merge", "{table} row{who} was changed in the future "
                                  "({changed}); counted as changed at the merge ({merged}), so "
                                  "any dated edit wins over it."),
                         table=_named(_TABLES, table), who=source._who(table, row),
                         changed=row["changed_at"], merged=merged_at), rows=0)
    row["changed_at"] = merged_at
    row["_future"] = True
    given = merge_checks.parse_time(row.get("given_at"))
    if given is not None and given > merged:
        row["given_at"] = merged_at


def _keep_latest(best: dict[str, dict[str, Any]], row: dict[str, Any], table: str,
                 report: MergeReport, names: dict[str, str]) -> None:
    old = best.get(row["uuid"])
    if old is None:
        best[row["uuid"]] = row
        return
    winner, loser = (row, old) if _rank(row) > _rank(old) else (old, row)
    best[row["uuid"]] = winner
    differs = any(winner.get(c) != loser.get(c) for c in _CONTENT)
    if table == "answers" and differs:
        report.conflicts.append(Conflict(
            winner["uuid"], names.get(winner["rater_uuid"], winner["rater_uuid"]),
            winner["candidate_uuid"], winner["metric"], winner, loser))
