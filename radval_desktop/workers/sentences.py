"""The core's sentences in the window's language: a template and its values, translated here.

The core stays Qt-free and English (the CLI and the log read it); it marks each sentence
with ``errors.sentence`` so lupdate puts it in the catalogue, and keeps its values apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from radval_desktop.catalogue import render
from radval_desktop.errors import SENTENCES, RadvalError

BUG_SENTENCE = QT_TRANSLATE_NOOP("RadvalError", "Something went wrong; details are in the log.")


def translated(context: str, template: str, values: Mapping[str, object] | Iterable[
        tuple[str, object]] = (), english: str | None = None) -> str:
    """``template`` in the window's language with ``values`` filled in; the English (or
    ``english``) when a translation cannot be filled, so a slip never hides the message."""
    return render(QCoreApplication.translate, context, template, values, english)


def error_text(err: BaseException) -> str:
    """What the window shows for a RadvalError: its sentence in the window's language."""
    if isinstance(err, RadvalError):
        return translated(SENTENCES, err.template, err.values, str(err))
    return str(err)


def bug_sentence() -> str:
    return QCoreApplication.translate(SENTENCES, str(BUG_SENTENCE))
