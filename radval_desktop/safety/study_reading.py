"""Whether an impression reads as a normal study: the one reading the fine-tuning bench uses
for class balance and for "abnormal study drafted as normal" (issue 16)."""

from __future__ import annotations

from radval_desktop.findings import detect_language
from radval_desktop.safety.checks import _WORD, _clauses, _negated, _reads_normal, mentions
from radval_desktop.safety.terms import Terms, bundled_terms


def reads_normal(impression: str, language: str | None = None,
                 terms: Terms | None = None) -> bool:
    """True when the impression names no finding of the term list (or only negated ones),
    every clause says something normal or negated, and no clause names an abnormal noun
    ("右肺上叶病变"): the reading "called normal" applies to a whole impression."""
    if not impression.strip():
        return False
    terms = terms or bundled_terms()
    language = language if language in ("en", "zh") else detect_language(impression)
    lex = terms.lexicons[language]
    if any(not m.negated for m in mentions(impression, lex)):
        return False
    clauses = [c for c in _clauses(impression) if _WORD.search(impression, c[0], c[1])]
    if not clauses or not all(_reads_normal(impression, c, lex) for c in clauses):
        return False
    return not any(not _negated(impression, m.start(), m.end(), c, lex)
                   for c in clauses for m in lex.normal_nouns.finditer(impression, c[0], c[1]))
