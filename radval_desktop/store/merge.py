"""`radval scores merge`: several scorers' databases into one; idempotent, latest edit wins."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from radval_desktop.errors import InputError, StoreError
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
        def show(row: dict[str, Any]) -> str:
            score = "NA" if row["na"] else row["score"]
            return f"{score} at {row['changed_at']} ({row['_source']})"
        return (f"{self.rater} · {self.metric} · candidate {self.candidate_uuid[:8]}: kept "
                f"{show(self.kept)}, dropped {show(self.dropped)}")


@dataclass
class MergeReport:
    added: dict[str, int] = field(default_factory=dict)  # table -> new rows in the output
    conflicts: list[Conflict] = field(default_factory=list)


def _read(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise InputError(f"There is no database at {path}.")
    # Read-only: merging never changes a scorer's own file.
    return sqlite3.connect(read_only_uri(path), uri=True)


def _rows(conn: sqlite3.Connection, table: str, columns: list[str]) -> list[dict[str, Any]]:
    have = {r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")}
    if not have:
        return []  # an older file without the reader-study tables
    wanted = [c for c in columns if c in have]
    sql = f"SELECT {', '.join(f'[{c}]' for c in wanted)} FROM [{table}] ORDER BY rowid"
    return [dict(zip(wanted, row, strict=True)) for row in conn.execute(sql)]


def _rank(row: dict[str, Any]) -> tuple[str, str]:
    # Latest edit first; an exact tie is broken by content so the result never depends on
    # the order the files were given in.
    return (row.get("changed_at") or "", repr(tuple(row.get(c) for c in _CONTENT)))


def merge_databases(sources: Sequence[Path], out: Path) -> MergeReport:
    """Merge ``sources`` into ``out`` (created if needed); running it again changes nothing."""
    out = Path(out)
    sources = [Path(s) for s in sources]
    if any(s.resolve() == out.resolve() for s in sources if s.exists()):
        raise InputError(f"The output {out} is also an input; name a new file with -o.")
    target = open_database(out)
    report = MergeReport()
    names: dict[str, str] = {}  # rater uuid -> name, for the conflict list
    try:
        columns = {t: [c.name for c in target[t].columns] for t in (*SAME_BY_UUID, *LATEST_WINS)}
        best: dict[str, dict[str, dict[str, Any]]] = {t: {} for t in LATEST_WINS}
        for table in LATEST_WINS:
            for row in _rows(target.conn, table, columns[table]):
                best[table][row["uuid"]] = {**row, "_source": out.name}
        for source in sources:
            with study_errors(source):
                conn = _read(source)
                try:
                    for table in SAME_BY_UUID:
                        rows = _rows(conn, table, columns[table])
                        before = target[table].count
                        with target.conn:
                            target.table(table).insert_all(rows, ignore=True)
                        report.added[table] = (report.added.get(table, 0)
                                               + target[table].count - before)
                        if table == "raters":
                            names.update({r["uuid"]: r["name"] for r in rows})
                    for table in LATEST_WINS:
                        for row in _rows(conn, table, columns[table]):
                            row["_source"] = source.name
                            _keep_latest(best[table], row, table, report, names)
                finally:
                    conn.close()
        with study_errors(out), target.conn:
            for table in LATEST_WINS:
                before = target[table].count
                rows = [{k: v for k, v in r.items() if k != "_source"}
                        for r in best[table].values()]
                target.table(table).upsert_all(rows, pk="uuid")
                report.added[table] = target[table].count - before
    except sqlite3.Error as err:
        raise StoreError(f"The merge stopped: {err}. {out} holds what was merged so far; "
                         "run the merge again once the cause is fixed.") from err
    finally:
        target.close()
    return report


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
