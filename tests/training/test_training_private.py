"""A training run folder is owner-only under a loose umask (issue 17, item 11).

It holds patients' reports (the splits, problems.jsonl, the data card) and checkpoints of a
model trained on them: 0600 files, 0700 folders, as tests/faults/test_private_files.py
checks for the app's own files.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from training.__main__ import main
from training.prepare import prepare
from training.recipe import build_recipe, parse_sets
from training.run_folder import RunFolder


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def not_owner_only(root: Path) -> list[str]:
    """Every path under ``root`` (and root) that others could read or enter."""
    wrong = [f"{root} {oct(_mode(root))}"] if _mode(root) != 0o700 else []
    for path in root.rglob("*"):
        want = 0o700 if path.is_dir() else 0o600
        if _mode(path) != want:
            wrong.append(f"{path.relative_to(root)} {oct(_mode(path))}")
    return wrong


@pytest.fixture(autouse=True)
def loose_umask() -> Iterator[None]:
    # A shared GPU server's umask may let the group read new files: the run must not rely on it.
    old = os.umask(0o002)
    yield
    os.umask(old)


def test_prepare_from_the_command_line_writes_owner_only_files(tmp_path: Path,
                                                               institutions_file: Path) -> None:
    run = tmp_path / "run"
    assert main(["prepare", "--run-dir", str(run), "--set",
                 f"data.institutions={institutions_file}"]) == 0
    written = {p.name for p in run.rglob("*")}
    assert {"train.jsonl", "internal_test.jsonl", "external_test.jsonl", "problems.jsonl",
            "data_card.md", "run.json"} <= written
    assert not_owner_only(run) == []
    assert os.umask(0o002) == 0o002  # the caller's umask is given back


def test_a_run_folder_that_existed_is_made_owner_only(tmp_path: Path,
                                                      institutions_file: Path) -> None:
    run = tmp_path / "run"
    run.mkdir(mode=0o775)
    run.chmod(0o775)
    # The library call, as a notebook would make it: the files are 0600 and the folder 0700.
    prepare(build_recipe(parse_sets([f"data.institutions={institutions_file}"])),
            RunFolder(run))
    assert _mode(run) == 0o700
    for name in ("train.jsonl", "problems.jsonl", "data_card.md"):
        assert _mode(run / "data" / name) == 0o600, name
