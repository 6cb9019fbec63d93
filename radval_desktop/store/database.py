"""Open RadVal's SQLite file: owner-only, WAL, busy timeout, migrations, errors as sentences."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from radval_desktop import paths
from radval_desktop.errors import StoreError, sentence
from radval_desktop.store.schema import migrations

DATABASE_NAME = "radval.db"
# Another RadVal window or the CLI may hold the write lock for a few milliseconds; 5 s
# rides that out without freezing the window for long if something is really stuck.
BUSY_TIMEOUT_SECONDS = 5.0
# Owner-only: the history holds patient findings. The folder is 0700 only when it is one of
# RadVal's own (paths.data_dir) or RadVal creates it: a study folder the user chose keeps
# its mode, so colleagues sharing it are not locked out (issue 17).
FILE_MODE = 0o600

def database_path() -> Path:
    return paths.data_dir() / DATABASE_NAME


# SQLite primary result codes (sqlite3.h) that are the user's or the machine's problem,
# not a bug: each gets a sentence, as qutebrowser's misc/sql.py sorts them.
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26


# A sentence() template and its values: the window says it in its language.
Sentence = tuple[str, dict[str, object]]


def _sentence(err: sqlite3.Error, path: Path | None) -> Sentence | None:
    code = getattr(err, "sqlite_errorcode", None)
    if code is None:
        return None
    values: dict[str, object] = {"where": f" ({path})" if path else "", "error": str(err)}
    primary = code & 0xFF
    if primary in (_BUSY, _LOCKED):
        return sentence("RadvalError", "The history database{where} is locked by another "
                        "program; close other RadVal windows and try again."), values
    if primary == _READONLY:
        return sentence("RadvalError", "The history database{where} is read-only; ask IT to "
                        "give your account write access, or turn history off in Settings."), values
    if primary == _FULL:
        return sentence("RadvalError", "The disk holding the history database{where} is full; "
                        "free some space."), values
    if primary in (_CORRUPT, _NOTADB):
        return sentence("RadvalError", "The history database{where} is damaged or is not a "
                        "RadVal database; move it away (RadVal starts a new one) or turn history "
                        "off in Settings."), values
    if primary in (_IOERR, _CANTOPEN):
        return sentence("RadvalError", "The history database{where} cannot be read or written "
                        "({error}); check the disk and the folder's permissions."), values
    return None


Describe = Callable[[sqlite3.Error, Path | None], Sentence | None]


@contextmanager
def store_errors(path: Path | None = None, describe: Describe | None = None) -> Iterator[None]:
    """Turn SQLite's expected failures into StoreError; anything else stays a bug.

    ``describe`` words the sentence for its reader (history user, rater); default: history.
    """
    try:
        yield
    except sqlite3.Error as err:
        described = (describe or _sentence)(err, path)
        if described is None:
            raise
        template, values = described
        raise StoreError(template, **values) from err


def is_damaged(err: BaseException) -> bool:
    """True when ``err`` (or the SQLite error behind a StoreError) says the file is damaged."""
    cause = err if isinstance(err, sqlite3.Error) else err.__cause__
    code = getattr(cause, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (_CORRUPT, _NOTADB)


def quarantine_damaged(path: Path) -> Path:
    """Move a damaged database (and its -wal/-shm) aside, so a new one can be created there.

    Nothing is deleted: IT can still try to recover the renamed file. Returns its new path.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    moved = path.with_name(f"{path.name}.damaged-{stamp}")
    # The side files first: a stale WAL must never be replayed into the new database.
    for suffix in ("-wal", "-shm", "-journal"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, moved.with_name(moved.name + suffix))
    os.replace(path, moved)
    return moved


def read_only_uri(path: Path) -> str:
    """A ``file:`` URI that opens exactly ``path``, read-only.

    ``f"file:{path}?mode=ro"`` is wrong for names with ``#``, ``?`` or ``%``: SQLite cut
    ``pilot#2.db`` at the ``#`` and created an empty ``pilot`` (issue 17), so a merge
    dropped that rater and a backup came out empty. ``as_uri`` percent-escapes them.
    """
    return Path(os.path.abspath(path)).as_uri() + "?mode=ro"


def _create_private(path: Path) -> None:
    if not path.parent.is_dir():
        # A folder RadVal creates holds nothing but this database: owner-only from the start.
        path.parent.mkdir(parents=True, exist_ok=True, mode=paths.PRIVATE_DIR_MODE)
    # O_CREAT with the mode: the file never exists with wider permissions, even briefly.
    fd = os.open(path, os.O_CREAT | os.O_RDWR, FILE_MODE)
    os.close(fd)
    os.chmod(path, FILE_MODE)


def _is_busy(err: sqlite3.Error) -> bool:
    return (getattr(err, "sqlite_errorcode", None) or 0) & 0xFF in (_BUSY, _LOCKED)


def _prepare(db: Database, busy_timeout: float) -> None:
    """WAL and migrations, safe when several RadVal processes open one new file at once.

    Two windows started together both saw the tables missing and one got "database is
    locked" at once (SQLite returns BUSY without waiting when a stale reader wants to
    write): the write lock is now taken before the check, and a BUSY start is retried.
    """
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            # WAL: readers (the history list) never block the writer saving a draft.
            db.enable_wal()
            if migrations.pending(db):
                db.execute("BEGIN IMMEDIATE")  # waits (busy timeout) for the write lock
                try:
                    migrations.apply(db)  # each migration a savepoint inside this transaction
                    db.execute("COMMIT")
                except BaseException:
                    db.conn.rollback()
                    raise
            return
        except sqlite3.OperationalError as err:
            if not _is_busy(err) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def open_database(path: Path | None = None, busy_timeout: float = BUSY_TIMEOUT_SECONDS
                  ) -> Database:
    """Open (creating owner-only if needed) and migrate the database; StoreError if it cannot."""
    path = path or database_path()
    try:
        _create_private(path)
    except OSError as err:
        raise StoreError(
            sentence("RadvalError",
                     "The history database {path} cannot be created: {strerror}."),
            path=path, strerror=err.strerror
        ) from err
    with store_errors(path):
        conn = sqlite3.connect(str(path), timeout=busy_timeout)
        try:
            # Plugins are off: a third-party sqlite-utils plugin must not see patient data.
            db = Database(conn, execute_plugins=False)
            db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            # Deleted rows are overwritten with zeros, not left in free pages where any tool
            # reading the file finds them: retention must really remove findings (issue 17).
            db.execute("PRAGMA secure_delete = ON")
            _prepare(db, busy_timeout)
        except BaseException:
            conn.close()
            raise
    return db
