"""One way to report errors at the UI boundary: a sentence in the window, detail in the log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from radval_desktop.errors import RadvalError

log = logging.getLogger(__name__)

BUG_SENTENCE = "Something went wrong; details are in the log."


class ShowsErrors(Protocol):
    def show_error(self, text: str) -> None: ...


@contextmanager
def report_errors(parent: ShowsErrors) -> Iterator[None]:
    """Wrap a slot that calls the core. PySide6 swallows exceptions raised in slots, so
    they are caught here: a RadvalError's sentence is shown, anything else is a bug.
    """
    try:
        yield
    except RadvalError as err:
        parent.show_error(str(err))
    except Exception:
        log.exception("Unexpected error in the window")
        parent.show_error(BUG_SENTENCE)
