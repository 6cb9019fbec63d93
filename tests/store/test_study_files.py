"""Study files the user names: any file name opens that file; a shared folder stays shared.

Issue 17, item 10: SQLite read a `#` or `?` in a `file:` URI as the start of a fragment or
query, so `pilot#2.db` opened (and created) an empty `pilot`: the merge dropped that rater
without a word and the pre-upgrade backup was empty. And every open chmodded the study
file's folder to 0700, which locked colleagues out of a shared study folder.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from reader_study_data import build_scored_study, build_study
from sqlite_utils import Database

from radval_desktop.store.database import open_database
from radval_desktop.store.merge import merge_databases
from radval_desktop.store.reader_study import open_study
from radval_desktop.store.schema import migrations

# Each name is one SQLite's URI parser would cut short or read as a parameter.
ODD_NAMES = ("pilot#2.db", "pilot?mode=memory.db", "50%.db", "dr li & co.db")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o002)
    yield
    os.umask(old)


@pytest.mark.parametrize("name", ODD_NAMES)
def test_a_study_file_with_any_name_opens_that_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    build_scored_study(path)
    db = open_study(path)
    assert db["answers"].count == 3 * 6 * 7  # 3 raters x 6 candidates x 7 metrics
    db.close()
    # Nothing but the file itself, its WAL side files and the fixture's import file.
    assert sorted(p.name for p in tmp_path.iterdir()
                  if not p.name.startswith(name)) == [Path(name).with_suffix(".jsonl").name]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_merge_reads_a_rater_file_with_any_name(tmp_path: Path, name: str) -> None:
    rater_file = tmp_path / name
    build_scored_study(rater_file)
    out = tmp_path / "merged.db"
    report = merge_databases([rater_file], out)
    assert report.added["answers"] == 3 * 6 * 7
    merged = sqlite3.connect(out)
    assert merged.execute("SELECT COUNT(*) FROM raters").fetchone() == (3,)
    merged.close()
    stray = [p.name for p in tmp_path.iterdir()
             if not p.name.startswith((name, "merged.db", Path(name).stem + ".jsonl"))]
    assert stray == [], "the merge opened (and created) another file"


@pytest.mark.parametrize("name", ODD_NAMES)
def test_the_backup_before_an_upgrade_holds_the_data(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    old = sqlite3.connect(path)
    migrations.apply(Database(old), stop_before="m003_reader_study")
    old.execute("INSERT INTO cases (uuid, findings) VALUES ('c1', '右肺结节')")
    old.commit()
    old.close()
    open_study(path).close()
    [backup] = [p for p in tmp_path.iterdir() if ".before-upgrade-" in p.name]
    kept = sqlite3.connect(backup)
    assert kept.execute("SELECT findings FROM cases").fetchall() == [("右肺结节",)]
    kept.close()
    assert _mode(backup) == 0o600


@pytest.mark.usefixtures("loose_umask")
def test_a_shared_study_folder_keeps_its_mode(tmp_path: Path) -> None:
    shared = tmp_path / "department-study"
    shared.mkdir()
    shared.chmod(0o2775)  # group-writable with setgid: how a shared study folder is set up
    build_study(shared / "pilot.db")
    for name in ("rater-li.db", "rater-wang.db"):
        shutil.copy(shared / "pilot.db", shared / name)
    open_study(shared / "rater-li.db").close()
    merge_databases([shared / "rater-li.db", shared / "rater-wang.db"], shared / "merged.db")
    open_database(shared / "batch.db").close()
    assert _mode(shared) == 0o2775
    # The files themselves are owner-only: they hold findings.
    for name in ("pilot.db", "merged.db", "batch.db"):
        assert _mode(shared / name) == 0o600, name


@pytest.mark.usefixtures("loose_umask")
def test_a_folder_radval_creates_for_a_study_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new" / "study.db"
    open_study(path).close()
    assert _mode(path.parent) == 0o700
    assert _mode(path) == 0o600
