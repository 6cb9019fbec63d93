"""Damaged SQLite files are caught at open with a way out; the history starts afresh, once."""

from __future__ import annotations

import functools
import random
import sqlite3
from pathlib import Path

import pytest
from faults_data import SAMPLE_DRAFT

from radval_desktop.errors import StoreError
from radval_desktop.store.database import database_path, open_database, quarantine_damaged
from radval_desktop.store.history import History
from radval_desktop.store.reader_study import open_study

WAY_OUT = "move it away (RadVal starts a new one)"


def _random_bytes(path: Path, size: int = 64 * 1024) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(random.Random(9).randbytes(size))
    return path


def _truncated_history(path: Path) -> Path:
    """A real history with enough drafts to span many pages, then cut to a third."""
    history = History(path=path)
    for _ in range(300):
        history.save_draft(SAMPLE_DRAFT)
    db = history.database()
    assert db is not None
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    history.close()
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 3)
    return path


@pytest.mark.parametrize("damage", ["random", "truncated", "header-only"])
def test_damaged_file_is_refused_at_open_with_what_to_do(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "radval.db"
    if damage == "random":
        _random_bytes(path)
    elif damage == "truncated":
        _truncated_history(path)
    else:
        _truncated_history(path)
        with path.open("r+b") as handle:
            handle.truncate(50)  # half of SQLite's 100-byte header
    with pytest.raises(StoreError, match="damaged") as raised:
        open_database(path)
    assert WAY_OUT in str(raised.value)
    assert str(path) in str(raised.value)


def test_damaged_study_file_is_refused_with_a_sentence(tmp_path: Path) -> None:
    path = _random_bytes(tmp_path / "study.db")
    with pytest.raises(StoreError) as raised:
        open_study(path)
    assert str(path) in str(raised.value)
    assert path.read_bytes()[:16] == random.Random(9).randbytes(16)  # a study is never moved


def test_quarantine_moves_the_file_and_its_wal_aside(tmp_path: Path) -> None:
    path = _random_bytes(tmp_path / "radval.db")
    wal = path.with_name("radval.db-wal")
    wal.write_bytes(b"stale wal")
    moved = quarantine_damaged(path)
    assert not path.exists()
    assert not wal.exists()
    assert moved.name.startswith("radval.db.damaged-")
    assert moved.read_bytes() == random.Random(9).randbytes(64 * 1024)
    assert moved.with_name(moved.name + "-wal").read_bytes() == b"stale wal"


@pytest.mark.parametrize("damage", ["random", "truncated"])
def test_damaged_history_starts_afresh_and_says_so(radval_home: Path, damage: str) -> None:
    path = database_path()
    _random_bytes(path) if damage == "random" else _truncated_history(path)
    history = History()
    assert history.recent() == []  # no exception: the app starts
    assert history.save_draft(SAMPLE_DRAFT) is not None
    assert history.recovered_from is not None
    assert history.recovered_from.is_file()  # kept for IT, never deleted
    assert history.notice is not None
    assert str(history.recovered_from) in history.notice
    history.close()
    # The next start finds a healthy file: no second move, no notice, the draft is there.
    again = History()
    assert len(again.recent()) == 1
    assert again.notice is None
    again.close()
    damaged = [p for p in path.parent.iterdir() if ".damaged-" in p.name
               and not p.name.endswith(("-wal", "-shm"))]
    assert len(damaged) == 1


def test_locked_history_is_reported_not_moved(radval_home: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    history = History()
    history.recent()
    history.close()
    path = database_path()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA locking_mode=EXCLUSIVE")  # as another program holding the file
    other.execute("BEGIN EXCLUSIVE")
    # The real 5 s busy timeout would only slow the test down; the verdict is the same.
    monkeypatch.setattr("radval_desktop.store.history.open_database",
                        functools.partial(open_database, busy_timeout=0.2))
    try:
        locked = History()
        with pytest.raises(StoreError, match="locked by another program"):
            locked.recent()
        assert locked.recovered_from is None
        assert sorted(p.name for p in path.parent.iterdir() if ".damaged-" in p.name) == []
    finally:
        other.close()
