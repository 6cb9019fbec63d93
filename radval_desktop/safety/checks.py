"""Checks of an impression against its findings: laterality, negation flip, missed, unsupported."""

from __future__ import annotations

import re
from dataclasses import dataclass

from radval_desktop.findings import detect_language
from radval_desktop.safety.terms import Lexicon, Terms, bundled_terms, normalise

LATERALITY = "laterality"
NEGATION = "negation"
MISSED = "possibly_missed"
UNSUPPORTED = "unsupported"
KINDS = (LATERALITY, NEGATION, MISSED, UNSUPPORTED)
TITLES = {LATERALITY: "Side", NEGATION: "Negation", MISSED: "Possibly missed",
          UNSUPPORTED: "Unsupported"}

# Clauses: a negation or a side reaches no further than one. Chinese commas end a clause
# (胸廓对称，右肺上叶见…); English commas do not ("no effusion, pneumothorax, or edema").
_CLAUSE_END = re.compile(r"[。；;！？!?\n，]|\.(?=\s|$)|•")
# How far after a side word its anatomy or finding may start (右侧胸腔 / right-sided pleural).
_SIDE_REACH = {"zh": 4, "en": 24}
# A clause longer than this is not report prose (the longest sentences of a CT report run to
# ~300 characters); longer runs are checked in pieces of this size.
_MAX_CLAUSE = 600


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Flag:
    kind: str  # one of KINDS
    key: str  # what the flag is about, stable across re-runs: dismissals are kept by it
    reason: str  # one line for the radiologist
    findings_spans: tuple[Span, ...]
    impression_spans: tuple[Span, ...]


@dataclass(frozen=True)
class Mention:
    concept: str
    span: Span
    negated: bool
    chronic: bool = False  # "old rib fractures", "stable granuloma", 陈旧性骨折


@dataclass(frozen=True)
class SideMention:
    side: str  # left, right, both
    anchor: str  # the anatomy (or finding) the side belongs to, normalised
    span: Span  # the side word through its anchor
    negated: bool


def _clauses(text: str) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for match in _CLAUSE_END.finditer(text):
        bounds.extend(_pieces(text, start, match.start()))
        start = match.end()
    bounds.extend(_pieces(text, start, len(text)))
    return [(a, b) for a, b in bounds if b > a]


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A clause, cut (at a space where there is one) into pieces of at most _MAX_CLAUSE.

    Every mention looks through its whole clause: a pasted text with no punctuation would
    make that quadratic (a minute for 100,000 characters, on the GUI thread)."""
    pieces = []
    while end - start > _MAX_CLAUSE:
        cut = text.rfind(" ", start + _MAX_CLAUSE // 2, start + _MAX_CLAUSE)
        cut = cut if cut > start else start + _MAX_CLAUSE
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def _negated(text: str, start: int, end: int, clause: tuple[int, int], lex: Lexicon) -> bool:
    """A cue before the term in its clause with no break word between, or a cue after it."""
    head = text[clause[0]:start]
    cues = list(lex.negation.finditer(head))
    if cues:
        between = head[cues[-1].end():]
        if not lex.breaks.search(between):
            return True
    return bool(lex.negation_after.match(text[end:clause[1]].lstrip(" ,，是为已")) or
                lex.negation_after.search(text[end:min(end + 16, clause[1])]))


def mentions(text: str, lex: Lexicon) -> list[Mention]:
    found = []
    for clause in _clauses(text):
        for match in lex.concepts.finditer(text, clause[0], clause[1]):
            concept = lex.concept_of.get(normalise(match.group(1)))
            if concept:
                negated = _negated(text, match.start(), match.end(), clause, lex)
                # Anywhere in the clause: "calcified granuloma", "granulomas are stable".
                chronic = bool(lex.chronic.search(text, clause[0], clause[1]))
                found.append(Mention(concept, Span(match.start(), match.end()), negated,
                                     chronic))
    return found


def side_mentions(text: str, lex: Lexicon, with_finding: bool = False) -> list[SideMention]:
    """Sides with their anatomy; ``with_finding`` keeps only clauses that describe something
    abnormal, so "双肺纹理清晰" or "both lungs are clear" do not count as a side."""
    found = []
    for clause in _clauses(text):
        abnormal = any(not _negated(text, m.start(), m.end(), clause, lex)
                       for m in lex.concepts.finditer(text, clause[0], clause[1]))
        if with_finding and not abnormal:
            continue
        if not abnormal and lex.normal.search(text, clause[0], clause[1]):
            continue  # "the left lung is clear", 左肺清晰: a side said normal contradicts nothing
        for match in lex.sides.finditer(text, clause[0], clause[1]):
            side = lex.side_of.get(normalise(match.group(1)))
            reach = min(match.end() + _SIDE_REACH[lex.language], clause[1])
            anchor = (lex.anatomy.search(text, match.end(), clause[1])
                      or lex.concepts.search(text, match.end(), clause[1]))
            if side is None or anchor is None or anchor.start() > reach:
                continue
            negated = _negated(text, match.start(), match.end(), clause, lex)
            found.append(SideMention(side, normalise(anchor.group(1)),
                                     Span(match.start(), anchor.end()), negated))
    return found


def _same_place(a: str, b: str) -> bool:
    # 肺 and 肺上叶, lobe and upper lobe: a coarser name covers the finer one.
    return a == b or a in b or b in a


def _sides_agree(said: str, described: set[str]) -> bool:
    if said in described:
        return True
    if said == "both":
        return {"left", "right"} <= described
    return "both" in described


_SIDE_WORDS = {"left": "left", "right": "right", "both": "both sides"}


def check_laterality(findings: str, impression: str, lex: Lexicon) -> list[Flag]:
    described = [m for m in side_mentions(findings, lex, with_finding=True) if not m.negated]
    # What the findings say about each place the impression names, worked out once per place:
    # per side mention it would be quadratic in a long pasted text.
    places: dict[str, tuple[set[str], tuple[Span, ...]]] = {}
    flags = []
    for said in side_mentions(impression, lex):
        if said.negated:
            continue
        if said.anchor not in places:
            same = [m for m in described if _same_place(m.anchor, said.anchor)]
            places[said.anchor] = ({m.side for m in same}, tuple(m.span for m in same))
        sides, spans = places[said.anchor]
        if not spans or _sides_agree(said.side, sides):
            continue
        where = " and ".join(sorted(_SIDE_WORDS[s] for s in sides))
        flags.append(Flag(
            LATERALITY, f"{LATERALITY}:{said.anchor}:{said.side}",
            f"The impression says {impression[said.span.start:said.span.end]!r}; the findings "
            f"describe this on the {where}.",
            spans, (said.span,)))
    return flags


def check_negation(findings: list[Mention], impression: list[Mention],
                   terms: Terms) -> list[Flag]:
    flags = []
    for concept in dict.fromkeys(m.concept for m in impression):
        said = [m for m in impression if m.concept == concept]
        described = [m for m in findings if m.concept == concept]
        # Ruling out a diagnosis also contradicts the findings that would support it
        # ("未见炎性病变" after "右肺上叶见磨玻璃影").
        support = set(terms.concepts[concept].supported_by)
        supporting = [m for m in findings if m.concept in support and not m.negated]
        denied = [m for m in said if m.negated]
        if described and all(m.negated for m in described) and len(denied) < len(said):
            spans = [m for m in said if not m.negated]
            reason = "states {t} that the findings rule out"
        elif denied and (described or supporting) and not any(m.negated for m in described):
            described = described or supporting
            spans, reason = denied, "rules out {t} that the findings describe"
        else:
            continue
        name = repr(concept.replace("_", " "))
        flags.append(Flag(NEGATION, f"{NEGATION}:{concept}",
                          "The impression " + reason.format(t=name) + ".",
                          tuple(m.span for m in described), tuple(m.span for m in spans)))
    return flags


def check_missed(findings: list[Mention], impression: list[Mention], terms: Terms) -> list[Flag]:
    named = {m.concept for m in impression}
    covered = set(named)
    for concept in named:
        covered.update(terms.concepts[concept].supported_by)
    # Old, stable or healed findings are routinely left out of an impression ("No acute
    # disease." over "old rib fractures"): flagging them was most of the false flags.
    current = [m for m in findings if not m.negated and not m.chronic]
    flags = []
    for concept in dict.fromkeys(m.concept for m in current):
        if terms.concepts[concept].kind != "finding" or concept in covered:
            continue
        spans = tuple(m.span for m in current if m.concept == concept)
        flags.append(Flag(MISSED, f"{MISSED}:{concept}",
                          f"The findings describe {concept.replace('_', ' ')!r}; "
                          "the impression does not mention it.", spans, ()))
    return flags


def check_unsupported(findings: list[Mention], impression: list[Mention], terms: Terms,
                      already: set[str]) -> list[Flag]:
    described = {m.concept for m in findings if not m.negated}
    flags = []
    for concept in dict.fromkeys(m.concept for m in impression if not m.negated):
        if concept in already:
            continue  # a negation flip says more about it
        support = {concept, *terms.concepts[concept].supported_by}
        if support & described:
            continue
        spans = tuple(m.span for m in impression if m.concept == concept and not m.negated)
        flags.append(Flag(UNSUPPORTED, f"{UNSUPPORTED}:{concept}",
                          f"The impression states {concept.replace('_', ' ')!r}; nothing in "
                          "the findings supports it.", (), spans))
    return flags


def run_checks(findings: str, impression: str, language: str | None = None,
               terms: Terms | None = None, kinds: tuple[str, ...] = KINDS) -> list[Flag]:
    """Every flag of ``impression`` against ``findings``, in the order of KINDS."""
    if not findings.strip() or not impression.strip():
        return []
    terms = terms or bundled_terms()
    language = language if language in ("en", "zh") else detect_language(findings)
    lex = terms.lexicons[language]
    in_findings, in_impression = mentions(findings, lex), mentions(impression, lex)
    flags: list[Flag] = []
    if LATERALITY in kinds:
        flags += check_laterality(findings, impression, lex)
    negation = check_negation(in_findings, in_impression, terms) if NEGATION in kinds else []
    flags += negation
    if MISSED in kinds:
        flags += check_missed(in_findings, in_impression, terms)
    if UNSUPPORTED in kinds:
        flipped = {f.key.split(":", 1)[1] for f in negation}
        flags += check_unsupported(in_findings, in_impression, terms, flipped)
    return flags
