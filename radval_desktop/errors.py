"""Errors that carry a sentence written for the person who reads them."""

from __future__ import annotations


class RadvalError(Exception):
    """An expected failure; ``str(err)`` is a complete sentence for a radiologist or IT.

    Anything that is not a RadvalError is a bug: logged with its traceback and shown as
    "something went wrong".
    """


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
