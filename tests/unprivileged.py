"""Run a command as an ordinary user: CI runs as root, which may write any file and read any
folder, so a promise about what an ordinary account can or cannot do is checked in a child
dropped to `nobody` (setpriv, else runuser); a developer's own account runs it as itself."""

from __future__ import annotations

import os
import pwd
import shutil
from pathlib import Path


def as_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    nobody = pwd.getpwnam("nobody")
    if shutil.which("setpriv"):
        return ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}",
                "--clear-groups", *command]
    return ["runuser", "-u", "nobody", "--", *command]


def give_to_user(*paths: Path) -> None:
    """Make ``paths`` the ordinary user's own, as their files on a workstation are."""
    if os.geteuid() != 0:
        return
    nobody = pwd.getpwnam("nobody")
    for path in paths:
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
