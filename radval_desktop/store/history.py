"""The history of drafts: save each one, record what was copied, search, list, purge old ones."""

from __future__ import annotations

import logging
import uuid
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from radval_desktop.errors import SENTENCES, StoreError, Words, sentence
from radval_desktop.store.database import (
    database_path,
    is_damaged,
    open_database,
    quarantine_damaged,
    store_errors,
)

log = logging.getLogger(__name__)

TABLE = "drafts"
# The example corpus (safety/retrieval.py) lives in this database; a pair the radiologist
# copied has source "history", an imported one its file's name.
EXAMPLES, COPIED = "examples", "history"
# A screenful of rows: the list is for finding yesterday's case, not for browsing a year.
DEFAULT_LIMIT = 200


@dataclass(frozen=True)
class NewDraft:
    """What a finished draft leaves behind; plain values so the store needs no engine."""

    findings: str
    body_system: str
    modality: str
    language: str
    template_id: str
    template_version: str
    model_name: str
    model_sha256: str
    sampling_json: str
    raw_output: str
    final_text: str
    ok: bool
    message: str
    attempts: int
    prompt_tokens: int
    completion_tokens: int
    first_token_seconds: float | None
    total_seconds: float
    tokens_per_second: float
    adapter_name: str = ""  # the institution's LoRA adapter applied, "" = none (issue 11)
    adapter_sha256: str = ""


@dataclass(frozen=True)
class DraftRecord(NewDraft):
    uuid: str = ""
    created_at: str = ""
    copied_text: str | None = None

    @property
    def impression(self) -> str:
        """The text the radiologist last copied, else what the model wrote."""
        return self.copied_text if self.copied_text is not None else self.final_text


_COLUMNS = tuple(f.name for f in fields(DraftRecord))


def _now() -> datetime:
    return datetime.now(UTC)


def _record(row: dict[str, Any]) -> DraftRecord:
    values: dict[str, Any] = {name: row.get(name) for name in _COLUMNS}
    values["ok"] = bool(values["ok"])
    for name in ("findings", "final_text", "raw_output", "message", "body_system", "modality",
                 "language", "template_id", "template_version", "model_name", "model_sha256",
                 "sampling_json", "adapter_name", "adapter_sha256"):
        values[name] = values[name] or ""
    return DraftRecord(**values)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class History:
    """The drafts table, or nothing at all when history is turned off.

    Turned off means no file is created or written; reading then returns nothing.
    """

    def __init__(self, enabled: bool = True, retention_days: int = 0,
                 path: Path | None = None) -> None:
        self.enabled = enabled
        self.retention_days = retention_days
        self.path = path
        self._db: Database | None = None
        # Where a damaged history file was moved when this one was started afresh.
        self.recovered_from: Path | None = None

    @classmethod
    def from_settings(cls, values: dict[str, Any], path: Path | None = None) -> History:
        return cls(bool(values["history.enabled"]), int(values["history.retention_days"]), path)

    def _open(self) -> Database | None:
        if not self.enabled:
            return None
        if self._db is None:
            self.path = self.path or database_path()
            try:
                self._db = open_database(self.path)
            except StoreError as err:
                if not is_damaged(err) or self.recovered_from is not None:
                    raise  # a locked or read-only file is not damaged: never move it
                # A damaged file would fail at every start (a crash loop): set it aside once.
                self.recovered_from = quarantine_damaged(self.path)
                log.warning("The history database was damaged; moved to %s",
                            self.recovered_from)
                self._db = open_database(self.path)
        return self._db

    @property
    def notice(self) -> str | None:
        """A sentence for the radiologist when the history had to be started afresh."""
        words = self.notice_words
        return None if words is None else str(words)

    @property
    def notice_words(self) -> Words | None:
        """notice as a template and values: the window says it in its language."""
        if self.recovered_from is None:
            return None
        return Words(SENTENCES, sentence(
            "RadvalError", "The history database was damaged and a new, empty history was "
            "started. The damaged file was kept as {path}; IT may be able to recover older "
            "drafts from it."), (("path", self.recovered_from),))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def save_draft(self, draft: NewDraft, now: datetime | None = None) -> str | None:
        """Write the draft the moment it is finished; its uuid, or None when history is off."""
        db = self._open()
        if db is None:
            return None
        row = asdict(draft)
        row["ok"] = int(draft.ok)
        row["uuid"] = str(uuid.uuid4())
        row["created_at"] = (now or _now()).isoformat(timespec="seconds")
        row["copied_text"] = None
        with store_errors(self.path):
            db.table(TABLE).insert(row)
        return str(row["uuid"])

    def set_copied(self, draft_uuid: str, text: str) -> bool:
        """Record what the radiologist copied; False when there is no such draft (or no history)."""
        db = self._open()
        if db is None:
            return False
        with store_errors(self.path), db.atomic():
            cursor = db.execute(f"UPDATE {TABLE} SET copied_text = ? WHERE uuid = ?",
                                [text, draft_uuid])
            return cursor.rowcount > 0

    def get(self, draft_uuid: str) -> DraftRecord | None:
        rows = self._select("uuid = ?", [draft_uuid], 1)
        return rows[0] if rows else None

    def recent(self, limit: int = DEFAULT_LIMIT) -> list[DraftRecord]:
        return self._select(None, [], limit)

    def search(self, text: str, limit: int = DEFAULT_LIMIT) -> list[DraftRecord]:
        """Drafts whose findings or impression contain ``text`` (case-insensitive for ASCII)."""
        text = text.strip()
        if not text:
            return self.recent(limit)
        pattern = _like(text)
        where = " OR ".join(f"{column} LIKE ? ESCAPE '\\'"
                            for column in ("findings", "final_text", "copied_text"))
        return self._select(where, [pattern] * 3, limit)

    def _select(self, where: str | None, params: list[Any], limit: int) -> list[DraftRecord]:
        db = self._open()
        if db is None:
            return []
        with store_errors(self.path):
            rows = db.table(TABLE).rows_where(where, params, order_by="created_at DESC, id DESC",
                                        limit=limit)
            return [_record(row) for row in rows]

    def purge_expired(self, now: datetime | None = None) -> int:
        """Delete drafts older than the retention period (0 = keep forever); how many went.

        What the radiologist copied went into the example corpus too (issue 17): those
        pairs, their word index entries and the drafts' dismissed flags go with the drafts.
        Pairs IT imported are the department's reference reports, not drafts: they stay.
        secure_delete (open_database) zeroes what is deleted; the FTS index is rewritten
        and the WAL emptied so no copy is left in free pages or old frames either.
        """
        db = self._open()
        if db is None or self.retention_days <= 0:
            return 0
        cutoff = ((now or _now()) - timedelta(days=self.retention_days)).isoformat(
            timespec="seconds")
        with store_errors(self.path):
            with db.atomic():
                db.execute("DELETE FROM flag_dismissals WHERE draft_uuid IN "
                           f"(SELECT uuid FROM {TABLE} WHERE created_at < ?)", [cutoff])
                drafts = int(db.execute(f"DELETE FROM {TABLE} WHERE created_at < ?",
                                        [cutoff]).rowcount)
                old_pairs = (f"SELECT id FROM {EXAMPLES} WHERE source = '{COPIED}' "
                             "AND created_at < ?")
                db.execute(f"DELETE FROM {EXAMPLES}_fts WHERE rowid IN ({old_pairs})", [cutoff])
                pairs = int(db.execute(f"DELETE FROM {EXAMPLES} WHERE id IN ({old_pairs})",
                                       [cutoff]).rowcount)
            if pairs:
                # FTS5 (SQLite < 3.44 has no 'secure-delete') keeps a deleted row's words in
                # its old segments until they are merged: merge them all now.
                db.execute(f"INSERT INTO {EXAMPLES}_fts({EXAMPLES}_fts) VALUES ('optimize')")
            if drafts or pairs:
                # The deleted rows' old versions may still be frames of the WAL file.
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return drafts

    def dismiss_flag(self, draft_uuid: str, kind: str, key: str, reason: str,
                     now: datetime | None = None) -> bool:
        """Keep on record that the radiologist dismissed a safety flag of this draft."""
        db = self._open()
        if db is None:
            return False
        with store_errors(self.path):
            db.table("flag_dismissals").insert(
                {"draft_uuid": draft_uuid, "kind": kind, "key": key, "reason": reason,
                 "dismissed_at": (now or _now()).isoformat(timespec="seconds")})
        return True

    def dismissed_flags(self, draft_uuid: str) -> list[str]:
        """The keys of the flags dismissed on this draft, oldest first."""
        db = self._open()
        if db is None:
            return []
        with store_errors(self.path):
            rows = db.execute("SELECT key FROM flag_dismissals WHERE draft_uuid = ? ORDER BY id",
                              [draft_uuid]).fetchall()
        return [row[0] for row in rows]

    def database(self) -> Database | None:
        """The open database (None when history is off): the example corpus lives in it too."""
        return self._open()

