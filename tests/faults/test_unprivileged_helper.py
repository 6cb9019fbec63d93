"""The helper that runs a check as an ordinary user says why it cannot, rather than failing
obscurely (issue 17: `.ci/run` as root in a fresh clone runs these checks, never skips them).

A clone in a 0700 folder (root's home, `mktemp -d`), or a venv built under umask 077, cannot be
reached by `nobody`: the child died with "Permission denied" from setpriv and the test's own
assertion showed only that.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from unprivileged import REPO, as_user, reach_problem

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="only root drops to nobody; an "
                                "ordinary account runs the command as itself")


@needs_root
def test_a_checkout_in_a_folder_nobody_can_enter_is_named_with_the_fix() -> None:
    folder = Path(tempfile.mkdtemp(prefix="radval-closed-"))  # 0700, as mktemp makes it
    try:
        checkout = folder / "radval"
        shutil.copytree(REPO / "radval_desktop", checkout / "radval_desktop",
                        ignore=shutil.ignore_patterns("__pycache__"))
        problem = reach_problem([sys.executable, "-c", "print(1)"], checkout)
        assert problem is not None
        assert f"the checkout {checkout}" in problem
        assert f"{folder} (mode 700) is closed to them" in problem
        assert f"chmod o+rx {folder}" in problem
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    # The same copy where nobody may read it is fine.
    open_folder = Path(tempfile.mkdtemp(prefix="radval-open-"))
    try:
        open_folder.chmod(0o755)
        shutil.copytree(REPO / "radval_desktop", open_folder / "radval_desktop",
                        ignore=shutil.ignore_patterns("__pycache__"))
        assert reach_problem([sys.executable, "-c", "print(1)"], open_folder) is None
    finally:
        shutil.rmtree(open_folder, ignore_errors=True)


@needs_root
def test_this_checkout_and_interpreter_are_reachable_by_nobody() -> None:
    # The suite's own unprivileged checks run from here: as_user passes them through.
    command = as_user([sys.executable, "-c", "print(1)"])
    assert command[0] in ("setpriv", "runuser")
    assert command[-3:] == [sys.executable, "-c", "print(1)"]
