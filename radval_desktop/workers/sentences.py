"""The core's sentences in the window's language: a template and its values, translated here.

The core stays Qt-free and English (the CLI and the log read it); it marks each sentence
with ``errors.sentence`` so lupdate puts it in the catalogue, and keeps its values apart.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from radval_desktop.errors import SENTENCES, RadvalError, Words

log = logging.getLogger(__name__)

BUG_SENTENCE = QT_TRANSLATE_NOOP("RadvalError", "Something went wrong; details are in the log.")


def translated(context: str, template: str, values: Mapping[str, object] | Iterable[
        tuple[str, object]] = (), english: str | None = None) -> str:
    """``template`` in the window's language with ``values`` filled in; the English (or
    ``english``) when a translation cannot be filled, so a slip never hides the message."""
    # A sentence inside another drops its Chinese full stop: "（…在右侧）。", not "（…在右侧。）。".
    values = {key: translated(value.context, value.template, value.values).rstrip("。")
              if isinstance(value, Words) else value for key, value in dict(values).items()}
    text = QCoreApplication.translate(context, template)
    if text != template and "written" in values:
        # A safety flag's concept as the report words it (磨玻璃影), not the term list's
        # English id: a translated window names it so (safety.checks._with_words).
        values["concept"] = values["written"]
    try:
        return text.format(**values) if values else text
    except (KeyError, IndexError, ValueError):
        log.error("The translation of %r does not fit its values; English shown.", template)
        return english if english is not None else template.format(**values)


def error_text(err: BaseException) -> str:
    """What the window shows for a RadvalError: its sentence in the window's language."""
    if isinstance(err, RadvalError):
        return translated(SENTENCES, err.template, err.values, str(err))
    return str(err)


def bug_sentence() -> str:
    return QCoreApplication.translate(SENTENCES, str(BUG_SENTENCE))
