"""Run a command as an ordinary user: CI runs as root, which may write any file and read any
folder, so a promise about what an ordinary account can or cannot do is checked in a child
dropped to `nobody` (setpriv, else runuser); a developer's own account runs it as itself."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _prefix(nobody: pwd.struct_passwd) -> list[str]:
    if shutil.which("setpriv"):
        return ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                "--clear-groups"]
    return ["runuser", "-u", "nobody", "--"]


def _closed(prefix: list[str], path: Path) -> Path:
    """The first folder above ``path``, or above where its links lead (a venv's python into
    /root/.pyenv), that nobody cannot pass through; else ``path``."""
    for real in dict.fromkeys([path, path.resolve()]):
        for folder in reversed(real.parents):
            if subprocess.run([*prefix, "test", "-x", str(folder)], check=False).returncode:
                return folder
    return path


def reach_problem(command: list[str], repo: Path = REPO) -> str | None:
    """Why ``nobody`` cannot run ``command`` from ``repo``, or None when they can.

    A clone in a 0700 folder (root's home, mktemp -d) or a venv built under umask 077 is out
    of nobody's reach: the child died of "Permission denied" with no word of why. Tried for
    real, as nobody (ACLs, mounts and sandboxes decide, not only mode bits): the program
    starts and, when it is Python, imports radval_desktop from ``repo``.
    """
    prefix = _prefix(pwd.getpwnam("nobody"))
    probe = [command[0], "-c", "import radval_desktop, sys; sys.exit(not radval_desktop"
             f".__file__.startswith({str(repo / 'radval_desktop')!r}))"] \
        if command[1:2] == ["-c"] else [command[0], "--version"]
    done = subprocess.run([*prefix, *probe], cwd=repo, capture_output=True, text=True,
                          check=False, timeout=120)
    if done.returncode == 0:
        return None
    closed = _closed(prefix, repo / "radval_desktop" / "__init__.py")
    if closed == repo / "radval_desktop" / "__init__.py" and os.sep in command[0]:
        closed = _closed(prefix, Path(command[0]))
    said = (done.stderr.strip().splitlines() or ["no message"])[-1]
    return (f"This check runs as the ordinary user nobody, who cannot run {command[0]} with "
            f"the checkout {repo} ({said}): {closed} (mode "
            f"{closed.stat().st_mode & 0o777:o}) is closed to them. Clone and build the "
            "checkout under a folder others may pass through (e.g. /srv or /opt), or run: "
            f"chmod o+rx {closed}")


def as_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    problem = reach_problem(command)
    if problem:
        import pytest

        pytest.fail(problem, pytrace=False)
    return [*_prefix(pwd.getpwnam("nobody")), *command]


def give_to_user(*paths: Path) -> None:
    """Make ``paths`` the ordinary user's own, as their files on a workstation are."""
    if os.geteuid() != 0:
        return
    nobody = pwd.getpwnam("nobody")
    for path in paths:
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
