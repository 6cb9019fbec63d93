"""One way to report errors at the UI boundary: a sentence in the window, detail in the log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from radval_desktop.errors import RadvalError
from radval_desktop.workers.sentences import bug_sentence, error_text

log = logging.getLogger(__name__)


class ShowsErrors(Protocol):
    def show_error(self, text: str) -> None: ...


@contextmanager
def report_errors(parent: ShowsErrors) -> Iterator[None]:
    """Wrap a slot that calls the core. PySide6 swallows exceptions raised in slots, so
    they are caught here: a RadvalError's sentence is shown in the window's language,
    anything else is a bug.
    """
    try:
        yield
    except RadvalError as err:
        parent.show_error(error_text(err))
    except Exception:
        log.exception("Unexpected error in the window")
        parent.show_error(bug_sentence())
