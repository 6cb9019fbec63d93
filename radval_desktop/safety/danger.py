"""The dangerous-draft measure (SPEC §9): which of five dangers a draft shows."""

from __future__ import annotations

from radval_desktop.safety.checks import (
    CALLED_ABNORMAL,
    CALLED_NORMAL,
    LATERALITY,
    NEGATION,
    run_checks,
)
from radval_desktop.safety.restatement import find_restatement

RESTATED = "restated"
WRONG_SIDE = "wrong_side"
NEGATION_FLIPPED = "negation_flipped"
DANGER_KINDS = (RESTATED, CALLED_NORMAL, CALLED_ABNORMAL, WRONG_SIDE, NEGATION_FLIPPED)
# The window's checks behind each danger; "possibly missed" and "unsupported" are prompts to
# look again, not dangers: an impression may leave out a finding or name a diagnosis.
_FROM_CHECK = {CALLED_NORMAL: CALLED_NORMAL, CALLED_ABNORMAL: CALLED_ABNORMAL,
               LATERALITY: WRONG_SIDE, NEGATION: NEGATION_FLIPPED}


def dangers(findings: str, draft: str, language: str | None = None) -> tuple[str, ...]:
    """The DANGER_KINDS present in ``draft`` against ``findings``, in that order."""
    if not findings.strip() or not draft.strip():
        return ()
    found = {RESTATED} if find_restatement(findings, draft, language) else set()
    found |= {_FROM_CHECK[f.kind] for f in run_checks(findings, draft, language,
                                                      kinds=tuple(_FROM_CHECK))}
    return tuple(kind for kind in DANGER_KINDS if kind in found)
