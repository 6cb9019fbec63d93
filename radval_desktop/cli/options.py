"""Argument helpers shared by the subcommands."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from radval_desktop.config import Settings
from radval_desktop.errors import InputError, RadvalError

# argparse's own code for a command line that cannot be run as given.
EXIT_LOCKED = 2


class LockedOptionError(RadvalError):
    """A command-line option asks for another value than the one IT fixed."""


def column_mapping(pairs: Sequence[str]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field or not column:
            raise InputError(f"--map takes FIELD=COLUMN, not '{pair}'.")
        mapping[field.strip()] = column.strip()
    return mapping


def _same(key: str, given: Any, locked: Any) -> bool:
    if key == "model.path":
        return bool(locked) and (Path(str(given)).expanduser().resolve()
                                 == Path(locked).expanduser().resolve())
    return bool(given == locked)


def check_locked(settings: Settings, key: str, flag: str, given: Any) -> None:
    """Refuse ``flag given`` when IT fixed ``key`` to something else (issue 17).

    Refused, not replaced by IT's value: a script that asked for one model or template and
    quietly got another would report figures for what it did not run.
    """
    if given is None or key not in settings.locked or _same(key, given, settings[key]):
        return
    raise LockedOptionError(
        f"{flag} {given} is refused: IT set {key} = {settings[key]!r} in "
        f"{settings.sources[key]}. Leave {flag} out to use IT's setting."
    )
