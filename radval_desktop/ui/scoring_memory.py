"""What the Scoring tab remembers between runs: the rater's study file, study and name
(issue 19: after a restart the rater browsed for the file and picked their name again)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings

from radval_desktop import paths

FILE_NAME = "scoring.ini"


@dataclass(frozen=True)
class LastStudy:
    file: Path
    study: str
    rater: str


def _settings() -> QSettings:
    # RadVal's own config folder (0700), beside window.ini; RADVAL_HOME keeps tests apart.
    return QSettings(str(paths.config_dir() / FILE_NAME), QSettings.Format.IniFormat)


def remember(file: Path, study: str, rater: str) -> None:
    state = _settings()
    state.setValue("file", str(Path(file).resolve()))
    state.setValue("study", study)
    state.setValue("rater", rater)
    state.sync()
    # Owner-only like window.ini: it names a study file and a person. QSettings writes
    # under the umask.
    with contextlib.suppress(OSError):
        Path(state.fileName()).chmod(0o600)


def recall() -> LastStudy | None:
    """The study used last, or None when none was or its file is gone."""
    state = _settings()
    file = str(state.value("file", "") or "")
    if not file or not Path(file).is_file():
        return None
    return LastStudy(Path(file), str(state.value("study", "") or ""),
                     str(state.value("rater", "") or ""))
