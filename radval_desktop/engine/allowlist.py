"""IT's list of approved model files (sha256): a model not on a non-empty list is refused."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Protocol

from radval_desktop.errors import ModelFileError, sentence

ALLOWLIST_KEY = "model.allowed_sha256"
_SHA256 = re.compile(r"[0-9a-f]{64}")


class _HasSettings(Protocol):
    """What ``is_allowed`` needs of config.Settings (the engine layer cannot import config)."""

    def __getitem__(self, key: str, /) -> Any: ...


def normalize(values: Iterable[str]) -> tuple[str, ...]:
    """The digests lower-case, blanks dropped; a malformed entry stays (it matches nothing)."""
    return tuple(value.strip().lower() for value in values if value.strip())


def is_valid_digest(value: str) -> bool:
    return _SHA256.fullmatch(value.strip().lower()) is not None


def allowed_by(sha256: str, allowed: Iterable[str]) -> bool | None:
    """True/False for a file on/off the list; None when there is no list (every model allowed)."""
    digests = normalize(allowed)
    if not digests:
        return None
    return sha256.strip().lower() in digests


def is_allowed(sha256: str, settings: _HasSettings) -> bool | None:
    """Whether a model with this sha256 may be loaded under ``settings`` (config.Settings).

    None = IT set no allowlist (``model.allowed_sha256`` empty): any model loads.
    """
    return allowed_by(sha256, settings[ALLOWLIST_KEY])


def check_allowed(name: str, sha256: str, allowed: Iterable[str]) -> None:
    """Refuse a model that is not on a non-empty allowlist, with a sentence for the user."""
    if allowed_by(sha256, allowed) is False:
        raise ModelFileError(
            sentence("RadvalError",
                     "The model file {name} is not on IT's list of approved models (sha256 "
                     "{sha256_short}…); ask IT to approve it, or choose an approved model."),
            name=name, sha256_short=sha256[:12]
        )


def approves_addition(sha256: str, allowed: Iterable[str], pinned: bool) -> bool:
    """Whether IT approves an adapter or model card with this sha256 on top of the model.

    Both change what the model writes as much as another model does, so IT's controls hold
    for them too: under an allowlist the file must be on it; under a pin alone (one exact
    model, ``model.sha256``) it must be listed as well, else the pinned model could be given
    any adapter or prompt. With neither, IT approves nothing, and everything loads.
    """
    verdict = allowed_by(sha256, allowed)
    return verdict if verdict is not None else not pinned
