"""Opening the database: migrations, WAL, owner-only file, SQLite failures as sentences."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from radval_desktop.errors import StoreError
from radval_desktop.store.database import migrations, open_database, store_errors


def test_blank_database_is_migrated_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "radval.db"
    db = open_database(path)
    assert db.journal_mode == "wal"
    assert "drafts" in db.table_names()
    applied = [m.name for m in migrations.applied(db)]
    assert applied[:2] == ["m001_drafts", "m002_evaluation"]
    assert applied == sorted(applied)  # numbered, applied in order
    assert not migrations.pending(db)
    assert {"cases", "models", "candidates"} <= set(db.table_names())
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    db.close()


def test_reopening_applies_no_migration_twice_and_keeps_rows(tmp_path: Path) -> None:
    path = tmp_path / "radval.db"
    db = open_database(path)
    first = [(m.name, m.applied_at) for m in migrations.applied(db)]
    db["drafts"].insert({"uuid": "u1", "created_at": "2026-01-01T00:00:00+00:00",
                         "findings": "x"})
    db.close()
    db = open_database(path)
    assert db["drafts"].count == 1
    assert [(m.name, m.applied_at) for m in migrations.applied(db)] == first
    db.close()


def test_existing_file_with_wider_mode_is_made_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "radval.db"
    sqlite3.connect(path).close()
    path.chmod(0o644)
    open_database(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "radval.db"
    path.write_bytes(b"this is not sqlite " * 200)
    with pytest.raises(StoreError, match="damaged or is not a RadVal database"):
        open_database(path)


def test_locked_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "radval.db"
    open_database(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        db = sqlite3.connect(path, timeout=0.05)
        with pytest.raises(StoreError, match="locked by another program"), store_errors(path):
            db.execute("INSERT INTO drafts (uuid, created_at, findings) VALUES ('u', 'c', 'f')")
        db.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.parametrize(
    ("code", "sentence"),
    [(8, "read-only"), (13, "is full"), (11, "damaged"), (26, "damaged"), (5, "locked")],
)
def test_sqlite_result_codes_become_sentences(code: int, sentence: str) -> None:
    err = sqlite3.OperationalError("boom")
    err.sqlite_errorcode = code
    with pytest.raises(StoreError, match=sentence), store_errors(Path("h.db")):
        raise err


def test_other_sqlite_errors_stay_bugs() -> None:
    with pytest.raises(sqlite3.OperationalError), store_errors():
        raise sqlite3.OperationalError("no such column: nope")


def test_folder_that_cannot_be_created_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot be created"):
        open_database(blocker / "sub" / "radval.db")
