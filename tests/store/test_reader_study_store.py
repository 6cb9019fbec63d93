"""The reader-study tables: the upgrade keeps a backup; locked, read-only, damaged files."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from reader_study_data import build_study
from sqlite_utils import Database

from radval_desktop.errors import StoreError
from radval_desktop.store.database import open_database
from radval_desktop.store.reader_study import (
    Answer,
    list_studies,
    open_study,
    save_answer,
    save_rater,
)
from radval_desktop.store.schema import migrations


def test_an_older_file_is_upgraded_after_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    migrations.apply(Database(old), stop_before="m003_reader_study")
    old.execute("INSERT INTO cases (uuid, findings) VALUES ('c1', '右肺结节')")
    old.commit()
    old.close()
    db = open_study(path)
    assert "answers" in db.table_names()
    assert db["cases"].count == 1
    backups = list(tmp_path.glob("old.db.before-upgrade-*.bak"))
    assert len(backups) == 1
    kept = sqlite3.connect(backups[0])
    assert "answers" not in {r[0] for r in kept.execute("SELECT name FROM sqlite_master")}
    assert kept.execute("SELECT findings FROM cases").fetchone() == ("右肺结节",)
    kept.close()
    db.close()
    open_study(path).close()  # current now: no second backup
    assert len(list(tmp_path.glob("*.bak"))) == 1


def test_read_only_file_is_refused_with_the_reason_for_an_ordinary_user() -> None:
    # Issue 17: root (as on CI) writes to read-only files, so this once always skipped; the
    # check now runs as an ordinary user, never skipped.
    import subprocess
    import sys
    import tempfile

    from unprivileged import as_user, give_to_user

    folder = Path(tempfile.mkdtemp(prefix="radval-ro-"))  # not pytest's 0700 folder
    try:
        folder.chmod(0o755)
        path = folder / "study.db"
        open_database(path).close()
        path.chmod(0o400)
        give_to_user(folder, path)
        child = ("import sys\n"
                 "from pathlib import Path\n"
                 "from radval_desktop.errors import StoreError\n"
                 "from radval_desktop.store.reader_study import open_study\n"
                 "try:\n"
                 "    open_study(Path(sys.argv[1]))\n"
                 "    print('opened')\n"
                 "except StoreError as err:\n"
                 "    print(err)\n")
        done = subprocess.run(as_user([sys.executable, "-c", child, str(path)]),
                              cwd=Path(__file__).resolve().parents[2], capture_output=True,
                              text=True, timeout=120)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "read-only; scoring needs write access" in done.stdout


def test_file_the_account_cannot_write_is_refused(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Root (as on this CI) may write anything, so the account's rights are simulated.
    path = tmp_path / "study.db"
    open_database(path).close()
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != path)
    with pytest.raises(StoreError, match=r"study.db is read-only; scoring needs write access"):
        open_study(path)


def test_damaged_file_says_study_database(tmp_path: Path) -> None:
    path = tmp_path / "study.db"
    path.write_bytes(b"garbage " * 500)
    with pytest.raises(StoreError, match="study database .* is damaged"):
        open_study(path)


def test_locked_file_fails_a_write_with_a_sentence_and_writes_later(tmp_path: Path) -> None:
    path = tmp_path / "study.db"
    build_study(path)
    db = open_study(path)
    db.execute("PRAGMA busy_timeout = 50")
    study, rater = list_studies(db)[0], save_rater(db, "Dr Li", "junior")
    candidate = db.execute("SELECT uuid FROM candidates").fetchone()[0]
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreError, match="locked by another program.*kept on screen"):
        save_answer(db, study.uuid, rater.uuid, candidate, Answer("coherence", 80), path)
    holder.execute("ROLLBACK")
    holder.close()
    save_answer(db, study.uuid, rater.uuid, candidate, Answer("coherence", 80), path)
    assert db["answers"].count == 1


def test_saving_again_keeps_given_at_and_moves_changed_at(tmp_path: Path) -> None:
    path = tmp_path / "study.db"
    build_study(path)
    db = open_study(path)
    study, rater = list_studies(db)[0], save_rater(db, "Dr Li", "junior")
    candidate = db.execute("SELECT uuid FROM candidates").fetchone()[0]
    save_answer(db, study.uuid, rater.uuid, candidate, Answer("relevance", 30))
    first = db.execute("SELECT given_at, changed_at FROM answers").fetchone()
    save_answer(db, study.uuid, rater.uuid, candidate, Answer("relevance", 70))
    second = db.execute("SELECT given_at, changed_at, score FROM answers").fetchone()
    assert second[0] == first[0]
    assert second[1] > first[1]
    assert second[2] == 70
    assert db["answers"].count == 1
