"""Errors that carry a sentence written for the person who reads them."""

from __future__ import annotations

from dataclasses import dataclass

# lupdate's context for the core's sentences: the window translates them under it.
SENTENCES = "RadvalError"


def sentence(context: str, text: str) -> str:
    """Mark ``text`` for the window's translation file and return it unchanged.

    The core imports no Qt; lupdate reads calls of this name as QT_TRANSLATE_NOOP
    (packaging/translations.py passes the alias), so a sentence raised here is in the
    Chinese catalogue. ``context`` is always SENTENCES: lupdate needs it written out.
    """
    return text


@dataclass(frozen=True)
class Words:
    """A sentence given as a value of another ("Not usable: … ({detail}) …"): its context,
    template and values are kept, so the window (and catalogue.render) translate it too;
    formatted into an English template it is its English."""

    context: str
    template: str
    values: tuple[tuple[str, object], ...] = ()

    def __str__(self) -> str:
        return self.template.format(**dict(self.values)) if self.values else self.template

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


class RadvalError(Exception):
    """An expected failure; ``str(err)`` is a complete sentence for a radiologist or IT.

    Raised as a template and its values, ``InputError(sentence(SENTENCES, "… {path} …"),
    path=path)``, the sentence can be shown in the window's language: ``template`` and
    ``values`` are kept, ``str(err)`` is the English (the CLI and the log). A sentence given
    already filled in stays English everywhere.

    Anything that is not a RadvalError is a bug: logged with its traceback and shown as
    "something went wrong".
    """

    def __init__(self, text: str, /, **values: object) -> None:
        self.template = text
        self.values = values
        super().__init__(text.format(**values) if values else text)


class InputError(RadvalError):
    """The findings (or another user input) cannot be drafted from as they are."""


class ModelFileError(RadvalError):
    """The model file is missing, unreadable, not a GGUF, truncated or not the expected one."""


class ModelLoadError(RadvalError):
    """llama.cpp refused to load a model file that looked valid."""


class ConfigError(RadvalError):
    """A configuration file cannot be read."""


class StoreError(RadvalError):
    """The database cannot be opened, read or written."""
