"""Checks of an impression against its findings: side, negation flip, called normal, missed,
unsupported."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from radval_desktop.errors import sentence
from radval_desktop.findings import detect_language
from radval_desktop.safety.normal_claims import (
    covers,
    denies_only_abnormality,
    is_minor,
    normal_claims,
    place_of,
    place_words,
)
from radval_desktop.safety.terms import Lexicon, Terms, bundled_terms, normalise

LATERALITY = "laterality"
NEGATION = "negation"
CALLED_NORMAL = "called_normal"
CALLED_ABNORMAL = "called_abnormal"
MISSED = "possibly_missed"
UNSUPPORTED = "unsupported"
KINDS = (LATERALITY, NEGATION, CALLED_NORMAL, CALLED_ABNORMAL, MISSED, UNSUPPORTED)
# Marked for the window's translation (errors.sentence); the CLI prints the English.
TITLES = {LATERALITY: sentence("FlagTitles", "Side or lobe"),
          NEGATION: sentence("FlagTitles", "Negation"),
          CALLED_NORMAL: sentence("FlagTitles", "Called normal"),
          CALLED_ABNORMAL: sentence("FlagTitles", "Called abnormal"),
          MISSED: sentence("FlagTitles", "Possibly missed"),
          UNSUPPORTED: sentence("FlagTitles", "Unsupported")}

# A normal word denied just before it: 不清晰, 欠光整, "not clear", "not normal".
_DENIED = re.compile(r"(?:不|欠|非|\bnot\s+|\bnon-?)$", re.IGNORECASE)
# A clause with something in it besides the de-identification mask (OpenI's "XXXX").
_WORD = re.compile(r"[^\W\d_X]|[\u4e00-\u9fff]")
# Clauses: a negation or a side reaches no further than one. Chinese commas end a clause
# (胸廓对称，右肺上叶见…); English commas do not ("no effusion, pneumothorax, or edema").
_CLAUSE_END = re.compile(r"[。；;！？!?\n，]|\.(?=\s|$)|•")
# How far after a side word its anatomy or finding may start (右侧胸腔 / right-sided pleural).
_SIDE_REACH = {"zh": 4, "en": 24}
# A clause longer than this is not report prose (the longest sentences of a CT report run to
# ~300 characters); longer runs are checked in pieces of this size.
_MAX_CLAUSE = 600
# The place whose organs one statement of the impression is checked against together.
_ONE_CAVITY = "cardiopulmonary"


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Flag:
    kind: str  # one of KINDS
    key: str  # what the flag is about, stable across re-runs: dismissals are kept by it
    reason: str  # one line for the radiologist, in English (the CLI, the log, the batch)
    findings_spans: tuple[Span, ...]
    impression_spans: tuple[Span, ...]
    # The reason as a sentence() template and its values, so the window can say it in its own
    # language (ui/safety_flags.py); "written" is the concept as the report words it.
    template: str = ""
    values: tuple[tuple[str, str], ...] = ()


# The places a laterality flag names, marked for the window's translation.
SIDES = {"both": sentence("FlagReasons", "both sides"),
         "left": sentence("FlagReasons", "the left"),
         "right": sentence("FlagReasons", "the right")}


def _flag(kind: str, key: str, template: str, findings_spans: Iterable[Span],
          impression_spans: Iterable[Span], **values: str) -> Flag:
    return Flag(kind, key, template.format(**values), tuple(findings_spans),
                tuple(impression_spans), template, tuple(values.items()))


def _name(concept: str) -> str:
    return concept.replace("_", " ")


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
    chronic: bool = False  # in an old or stable finding's clause ("remote right rib fracture")


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


# How far after a cue "prior" still belongs to it: "not seen on the prior study".
_EARLIER_REACH = 16


def _negated(text: str, start: int, end: int, clause: tuple[int, int], lex: Lexicon) -> bool:
    """A cue before the term in its clause with no break word between, or a cue after it."""
    head = text[clause[0]:start]
    cues = list(lex.negation.finditer(head))
    if cues:
        between = head[cues[-1].end():]
        if not lex.breaks.search(between):
            return True
    tail = text[end:clause[1]]
    next_word = end + len(tail) - len(tail.lstrip(" ,，是为已"))
    cue = (lex.negation_after.match(text, next_word, clause[1])
           or lex.negation_after.search(text, end, min(end + 16, clause[1])))
    if cue is None:
        return False
    # "nodule, not seen on prior exams", 结节前片未见: absent before, present now.
    return not (lex.earlier.search(text, cue.end(), min(cue.end() + _EARLIER_REACH, clause[1]))
                or lex.earlier.search(text, max(clause[0], cue.start() - 3), cue.start()))


def _term_negated(text: str, match: re.Match[str], clause: tuple[int, int],
                  lex: Lexicon) -> bool:
    """A term of the list negated by a cue, or one that denies its concept itself."""
    return (normalise(match.group(1)) in lex.negated_terms
            or _negated(text, match.start(), match.end(), clause, lex))


def mentions(text: str, lex: Lexicon) -> list[Mention]:
    found = []
    for clause in _clauses(text):
        for match in lex.concepts.finditer(text, clause[0], clause[1]):
            concept = lex.concept_of.get(normalise(match.group(1)))
            if concept:
                negated = _term_negated(text, match, clause, lex)
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
        abnormal = any(not _term_negated(text, m, clause, lex)
                       for m in lex.concepts.finditer(text, clause[0], clause[1]))
        if with_finding and not abnormal:
            continue
        if not abnormal and lex.normal.search(text, clause[0], clause[1]):
            continue  # "the left lung is clear", 左肺清晰: a side said normal contradicts nothing
        for match in lex.sides.finditer(text, clause[0], clause[1]):
            side = lex.side_of.get(normalise(match.group(1)))
            reach = min(match.end() + _SIDE_REACH[lex.language], clause[1])
            # The anatomy in reach, else the finding in reach: "left effusion and right
            # pleural effusion" gives the left side to the effusion, not to "pleural".
            anchor = next((a for a in (lex.anatomy.search(text, match.end(), clause[1]),
                                       lex.concepts.search(text, match.end(), clause[1]))
                           if a is not None and a.start() <= reach), None)
            if side is None or anchor is None:
                continue
            negated = _negated(text, match.start(), match.end(), clause, lex)
            chronic = bool(lex.chronic.search(text, clause[0], clause[1]))
            name = normalise(anchor.group(1))
            found.append(SideMention(side, lex.anatomy_of.get(name, name),
                                     Span(match.start(), anchor.end()), negated, chronic))
    return found


def _same_place(a: str, b: str) -> bool:
    # 肺 and 肺上叶, lobe and upper lobe: a coarser name covers the finer one.
    return a == b or a in b or b in a


_OTHER = {"left": "right", "right": "left"}


def _sides_agree(said: str, described: set[str], finer: set[str], elsewhere: set[str],
                 exact: frozenset[str] = frozenset()) -> bool:
    """``described``: the sides the findings give this place (or a coarser or finer name of
    it); ``finer``: those of current findings at this place or a finer one (双肺 -> 肺,
    肺上叶); ``elsewhere``: every side the impression names; ``exact``: the sides of current
    findings named at exactly this place.

    Both sides said needs both described (右肺上叶 and 左肺下叶 are both lungs). One side said
    is wrong where the findings have only the other, and incomplete where they put the
    finding on both sides of this place ("双肺多发结节" -> "右肺结节") while the impression
    names no other side at all. Looser would flag OpenI's "left lung collapse; right upper
    lobe opacity" (English anatomy does not nest: "lung" and "upper lobe" never match); a
    coarser both does not count either: "双肺纹理增多，右肺上叶结节" -> "右肺上叶结节" is right."""
    if said == "both":
        return "both" in described or {"left", "right"} <= described
    if said not in described and "both" not in described:
        return False
    # Where the findings name this very place on this side on its own ("双肺上叶磨玻璃影；右肺
    # 上叶低密度影" -> "右肺上叶低密度影"), the impression may be about that finding: an
    # omission at most, which "possibly missed" is for, not a wrong side.
    on_both = ("both" in finer or _OTHER[said] in finer) and said not in exact
    return not on_both or bool({"both", _OTHER[said]} & elsewhere)


def _organ(anchor: str, lex: Lexicon, terms: Terms | None) -> str | None:
    """The organ an anchor lies in ("lower lobe", "basilar", "opacity" -> lung)."""
    if terms is None:
        return None
    place = lex.place_of.get(anchor)
    # "right lower lobe": English names a place by its last word (lobe), which the place
    # list has, where the whole name is not.
    words = anchor.split()
    if place is None and len(words) > 1:
        place = lex.place_of.get(words[-1])
    concept = lex.concept_of.get(anchor)
    if place is None and concept is not None:
        place = next((p.id for p in terms.places.values() if concept in p.concepts), None)
    return place if place in terms.places and len(terms.places[place].covers) == 1 else None


def check_laterality(findings: str, impression: str, lex: Lexicon,
                     terms: Terms | None = None) -> list[Flag]:
    described = [m for m in side_mentions(findings, lex, with_finding=True) if not m.negated]
    said_all = [m for m in side_mentions(impression, lex) if not m.negated]
    elsewhere = {m.side for m in said_all}
    # What the findings say about each place the impression names, worked out once per place:
    # per side mention it would be quadratic in a long pasted text.
    places: dict[str, tuple[set[str], set[str], frozenset[str], tuple[Span, ...]]] = {}
    flags = []
    for said in said_all:
        if said.anchor not in places:
            same = [m for m in described if _same_place(m.anchor, said.anchor)]
            finer = {m.side for m in same if said.anchor in m.anchor and not m.chronic}
            exact = frozenset(m.side for m in same if said.anchor == m.anchor and not m.chronic)
            organ = _organ(said.anchor, lex, terms) if not same else None
            if organ:
                # English anatomy does not nest by name ("lung base" vs "left lower lobe"):
                # failing the same place, the same organ; one side against the other, or
                # both against one, is still a contradiction.
                same = [m for m in described if _organ(m.anchor, lex, terms) == organ]
            places[said.anchor] = ({m.side for m in same}, finer, exact,
                                   tuple(m.span for m in same))
        sides, finer, exact, spans = places[said.anchor]
        if not spans or _sides_agree(said.side, sides, finer, elsewhere, exact):
            continue
        given = sides | finer
        where = SIDES["both" if "both" in given or {"left", "right"} <= given else min(given)]
        flags.append(_flag(
            LATERALITY, f"{LATERALITY}:{said.anchor}:{said.side}",
            sentence("FlagReasons", "The impression says {said!r}; the findings describe this "
                     "on {where}."),
            spans, (said.span,), said=impression[said.span.start:said.span.end], where=where))
    flagged = {f.impression_spans for f in flags}
    # Every lobe the findings name counts, also in a clause whose finding the term list
    # lacks ("右肺中叶支气管管径增宽"); the lung named without a lobe only with a finding.
    if not any(m.anchor in _LOBES for m in said_all):
        return flags
    named = [m for m in side_mentions(findings, lex) if not m.negated]
    return flags + [f for f in _wrong_lobes(findings, impression, named, described, said_all)
                    if f.impression_spans not in flagged]


# Lobes of the lung as Chinese reports name them: a side mention anchored on one names a lobe.
_LOBES = frozenset({"肺上叶", "肺中叶", "肺下叶"})


def _wrong_lobes(findings: str, impression: str, named: list[SideMention],
                 described: list[SideMention], said_all: list[SideMention]) -> list[Flag]:
    """A lobe the impression names where the findings put the lung findings in other lobes
    only: "左肺上叶炎性病变" over "双肺下叶见小片状磨玻璃影" (drafted by the default model,
    issue 15). Findings that name the lung without a lobe ("右肺见斑片影"), on that side or
    both, cover every lobe. Chinese only: English films say base, apex, zone as often."""
    lobes = [m for m in named if m.anchor in _LOBES]
    if not lobes:
        return []
    flags = []
    for said in said_all:
        if said.anchor not in _LOBES or any(m.anchor == said.anchor for m in lobes):
            continue
        if any(m.anchor == "肺" and (said.side == "both" or m.side in (said.side, "both"))
               for m in described):
            continue
        where = "、".join(dict.fromkeys(findings[m.span.start:m.span.end] for m in lobes))
        flags.append(_flag(
            LATERALITY, f"{LATERALITY}:{said.anchor}:{said.side}",
            sentence("FlagReasons", "The impression says {said!r}; the findings describe the "
                     "lung findings in {where} only."),
            (m.span for m in lobes), (said.span,),
            said=impression[said.span.start:said.span.end], where=where))
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
            reason = sentence("FlagReasons",
                              "The impression states {concept!r} that the findings rule out.")
        elif denied and (described or supporting) and not any(m.negated for m in described):
            described = described or supporting
            spans, reason = denied, sentence(
                "FlagReasons", "The impression rules out {concept!r} that the findings describe.")
        else:
            continue
        flags.append(_flag(NEGATION, f"{NEGATION}:{concept}", reason,
                           (m.span for m in described), (m.span for m in spans),
                           concept=_name(concept)))
    return flags


def clause_around(text: str, span: Span) -> tuple[int, int]:
    """The clause a mention lies in: how far its negation, chronic and minor cues reach."""
    return _clause_of(_clauses(text), span)


def _clause_of(clauses: list[tuple[int, int]], span: Span) -> tuple[int, int]:
    index = bisect.bisect_right(clauses, span.start, key=lambda clause: clause[0]) - 1
    if index >= 0 and clauses[index][0] <= span.start < clauses[index][1]:
        return clauses[index]
    return (span.start, span.end)


def check_called_normal(findings: str, impression: str, in_findings: list[Mention],
                        in_impression: list[Mention], lex: Lexicon,
                        terms: Terms) -> list[Flag]:
    """The impression calls normal a place (or the study) where the findings describe
    something current and abnormal, or labels such a finding normal ("斑片影：正常").

    Abnormal enough: a finding not negated, not old or stable (the chronic cues), not mild,
    prior or explained away ("may represent overlying soft tissue": the minor cues), not
    incidental (calcification), and under "no acute ..." not chronic by nature (emphysema):
    radiologists write "No acute cardiopulmonary abnormality." over exactly those
    (../shared/data OpenI; flagging them was nearly all the false flags). Where it lies
    matters: "心脏未见异常" says nothing of a lung lesion. A finding the impression names
    elsewhere is carried, not called normal: "1. No acute abnormality. 2. Right apical
    nodule." is how OpenI reports a nodule. A finding labelled normal is flagged however
    mild: no impression does that."""
    claims = normal_claims(impression, _clauses(impression), lex, terms)
    if not claims:
        return _only_normal(findings, impression, in_findings, in_impression, lex, terms)
    labelled = {id(m): c for m in in_impression if not m.negated for c in claims
                if c.label and c.label[0] <= m.span.start < c.label[1]}
    place_claims = [c for c in claims if c not in labelled.values()]
    named: set[str] = set()
    for m in in_impression:
        if not m.negated and id(m) not in labelled:
            named |= {m.concept, *terms.concepts[m.concept].supported_by}
    described = [m for m in in_findings if not m.negated and not m.chronic]
    hits: dict[str, dict[Span, set[Span]]] = {}  # concept -> finding -> claims
    # "右肺下叶见斑片影：正常": the finding itself called normal, however mild.
    for m in in_impression:
        if id(m) in labelled:
            claim = labelled[id(m)]
            support = {m.concept, *terms.concepts[m.concept].supported_by}
            for f in described:
                if f.concept in support:
                    hits.setdefault(f.concept, {}).setdefault(f.span, set()).add(
                        Span(claim.start, claim.end))
    clauses = _clauses(findings)
    words: dict[tuple[int, int], list[tuple[int, int, str]]] = {}
    for f in described:
        if f.concept in named or f.concept in terms.incidental or not place_claims:
            continue
        clause = _clause_of(clauses, f.span)
        if is_minor(findings, f.span.start, clause, lex):
            continue
        if clause not in words:
            words[clause] = place_words(findings, clause, lex, terms)
        place = place_of(f.span.start, f.span.end, words[clause], f.concept, terms)
        for claim in place_claims:
            if covers(claim, f.concept, place, terms):
                hits.setdefault(f.concept, {}).setdefault(f.span, set()).add(
                    Span(claim.start, claim.end))
    flags = []
    for concept, found in hits.items():
        said = sorted(set().union(*found.values()), key=lambda s: s.start)
        text = impression[said[0].start:said[0].end]
        flags.append(_flag(CALLED_NORMAL, f"{CALLED_NORMAL}:{concept}",
                           sentence("FlagReasons", "The impression says {said!r}; the findings "
                                    "describe {concept!r}."),
                           found, said, said=text, concept=_name(concept)))
    return flags


def _only_normal(findings: str, impression: str, in_findings: list[Mention],
                 in_impression: list[Mention], lex: Lexicon, terms: Terms) -> list[Flag]:
    """An impression of normal statements or negations only, none of them covering the
    abnormal finding ("胸廓对称，纵隔心影居中。" over ground glass in both lower lobes: the
    default model copied the findings' normal clauses and left the finding out, issue 15;
    negations only, see below). It makes no
    normal claim (正常, 未见异常, "unremarkable"), so the rule above has nothing to place; as
    a whole it still reads as a normal study. With a claim, the place rule decides: "心脏未见
    异常" says nothing of the lungs."""
    if any(not m.negated for m in in_impression):
        return []
    clauses = [c for c in _clauses(impression) if _WORD.search(impression, c[0], c[1])]
    if not clauses or not all(_reads_normal(impression, c, lex) for c in clauses):
        return []
    # A normal word (对称, clear) says "normal".
    normal_words = [m for c in clauses for m in lex.normal.finditer(impression, c[0], c[1])]
    if any(_DENIED.search(impression[:m.start()]) for m in normal_words):
        return []  # "双肺纹理不清晰" is no normal statement
    for clause in clauses:
        for match in lex.normal_nouns.finditer(impression, clause[0], clause[1]):
            if not _negated(impression, match.start(), match.end(), clause, lex):
                return []  # "右肺上叶病变" names something abnormal
    f_clauses = _clauses(findings)
    current = [m for m in in_findings
               if not m.negated and not m.chronic and m.concept not in terms.incidental
               and not is_minor(findings, m.span.start, _clause_of(f_clauses, m.span), lex)]
    if not normal_words:
        # Negations alone ("纵隔内未见肿大淋巴结。" over a lobulated mass, session 10) rule
        # things out and name nothing the study shows: read as the report's conclusion, a
        # normal study. Like "no acute ...", they say nothing of what is chronic by nature:
        # "No focal lung consolidation." over atelectasis is how OpenI reports it.
        current = [m for m in current if m.concept not in terms.not_acute]
    if not current:
        return []
    said = Span(clauses[0][0], clauses[-1][1])
    words = impression[said.start:said.end].strip()
    return [_flag(CALLED_NORMAL, f"{CALLED_NORMAL}:{current[0].concept}",
                  sentence("FlagReasons", "The impression says only {said!r}; the findings "
                           "describe {concept!r}."),
                  (m.span for m in current), (said,), said=words,
                  concept=_name(current[0].concept))]


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
        flags.append(_flag(MISSED, f"{MISSED}:{concept}",
                           sentence("FlagReasons", "The findings describe {concept!r}; the "
                                    "impression does not mention it."),
                           spans, (), concept=_name(concept)))
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
        flags.append(_flag(UNSUPPORTED, f"{UNSUPPORTED}:{concept}",
                           sentence("FlagReasons", "The impression states {concept!r}; nothing "
                                    "in the findings supports it."),
                           (), spans, concept=_name(concept)))
    return flags


def _reads_normal(text: str, clause: tuple[int, int], lex: Lexicon) -> bool:
    """The clause says something normal or negated ("心影大小正常", "no effusion")."""
    return any(pattern.search(text, clause[0], clause[1]) for pattern in (
        lex.normal_claims, lex.normal, lex.negation, lex.negation_after))


def check_called_abnormal(findings: str, impression: str, in_findings: list[Mention],
                          in_impression: list[Mention], lex: Lexicon,
                          terms: Terms) -> list[Flag]:
    """The impression states something abnormal where the findings say all is normal: of
    the whole study ("Cardiopulmonary disease." over "Heart size normal. Lungs are clear.":
    the default model dropped the "No acute" of its examples, issue 15), or of one place
    ("胸廓炎症" over "胸廓对称，…双肺下叶见磨玻璃影"; "Cardiomegaly." over "Heart size normal."),
    or of the places it names.
    """
    flags = [] if any(not m.negated for m in in_findings) else _region_called_abnormal(
        findings, impression, in_findings, in_impression, lex, terms, scoped=False)
    # "Cardiomegaly." over a heart "within normal limits" is wrong whatever else the study
    # has, listed ("right lower lobe opacity") or not ("the sternotomy wire is fractured").
    flags = flags or _place_called_abnormal(findings, impression, in_findings, in_impression,
                                            lex, terms)
    # "Cardiopulmonary disease." over a normal heart and lungs and a changed spine: the
    # spine's clause is not normal, but it is not where the impression says disease is.
    return flags or _region_called_abnormal(findings, impression, in_findings, in_impression,
                                            lex, terms, scoped=True)


def _clause_places(text: str, clause: tuple[int, int], lex: Lexicon,
                   terms: Terms) -> set[str]:
    """The places a clause is about: its organs where it names one ("thoracic spine",
    胸椎: the spine, not the chest), else its wide places (心肺, "chest")."""
    places = {place for _start, _end, place in place_words(text, clause, lex, terms)}
    narrow = {place for place in places if len(terms.places[place].covers) == 1}
    return narrow or places


def _region_called_abnormal(findings: str, impression: str, in_findings: list[Mention],
                            in_impression: list[Mention], lex: Lexicon, terms: Terms,
                            scoped: bool) -> list[Flag]:
    """An abnormality stated where the findings describe nothing abnormal: anywhere in the
    study, or (``scoped``) in the places the impression's clause names, the findings' other
    places set aside.

    Nothing abnormal there: no finding of the term list that is not negated, chronic ones
    included, and every clause there says something normal or negated (a finding outside the
    list is unknown: on OpenI, requiring one normal clause only flagged 3.6% of real
    impressions); a clause that names no place counts as there. Something abnormal: a finding
    of the list not negated, or one of the nouns a normal claim negates ("disease", 病变) not
    negated, unless the findings use that noun themselves ("degenerative disc disease")."""
    said_clauses = _clauses(impression)
    # What is said, with the places it is said of: a finding's own place, a noun's clause's.
    said: list[tuple[Span, set[str]]] = []
    for m in in_impression:
        if not m.negated:
            clause = _clause_of(said_clauses, m.span)
            place = place_of(m.span.start, m.span.end,
                             place_words(impression, clause, lex, terms), m.concept, terms)
            said.append((m.span, {place} if place else set()))
    own_words = {normalise(m.group(1)) for m in lex.normal_nouns.finditer(findings)}
    for clause in said_clauses:
        for match in lex.normal_nouns.finditer(impression, clause[0], clause[1]):
            if (normalise(match.group(1)) not in own_words
                    and not _negated(impression, match.start(), match.end(), clause, lex)):
                said.append((Span(match.start(), match.end()),
                             _clause_places(impression, clause, lex, terms)))
    said.sort(key=lambda item: item[0].start)
    clauses = _clauses(findings)
    for span, named in said:
        scope: frozenset[str] | None = None
        if scoped:
            if not named:
                continue
            scope = _scope(named, terms)
        normal = _normal_there(findings, clauses, in_findings, scope, lex, terms)
        if not normal:
            continue
        # The findings must call the place itself normal: "Cardiomegaly." over "Lungs are
        # clear." says what they do not say at all (unsupported, not contradicted).
        if scope is not None and not any(
                _clause_places(findings, (clause.start, clause.end), lex, terms)
                & frozenset().union(*(terms.places[place].covers for place in named))
                for clause in normal):
            continue
        key = normalise(impression[span.start:span.end])
        # The whole clause, as the radiologist reads it: "双肺炎性病变", not its "肺炎".
        start, end = clause_around(impression, span)
        words = impression[start:end].strip()
        template = (sentence("FlagReasons", "The impression says {said!r}; the findings "
                             "describe nothing abnormal there.") if scoped else
                    sentence("FlagReasons", "The impression says {said!r}; the findings "
                             "describe nothing abnormal."))
        return [_flag(CALLED_ABNORMAL, f"{CALLED_ABNORMAL}:{key}", template, normal[:2],
                      (said_span for said_span, _named in said), said=words)]
    return []


def _scope(named: set[str], terms: Terms) -> frozenset[str]:
    """The places an impression's statement about ``named`` is checked in. The heart, lungs,
    pleura and mediastinum are read together (heart failure shows in the lungs, a
    "pleural-based process" at a lung base): only a change outside them (the spine, the soft
    tissues, the abdomen) is set aside."""
    scope = frozenset().union(*(terms.places[place].covers for place in named))
    cavity = terms.places.get(_ONE_CAVITY)
    if cavity is not None and scope & cavity.covers:
        scope |= cavity.covers
    return scope


def _normal_there(findings: str, clauses: list[tuple[int, int]], in_findings: list[Mention],
                  scope: frozenset[str] | None, lex: Lexicon, terms: Terms) -> list[Span]:
    """The findings' clauses that read normal in ``scope`` (None: the whole study), or
    nothing when anything there does not."""
    for m in in_findings:
        if m.negated:
            continue
        if scope is None:
            return []
        clause = _clause_of(clauses, m.span)
        place = place_of(m.span.start, m.span.end, place_words(findings, clause, lex, terms),
                         m.concept, terms)
        if place is None or place in scope:
            return []
    normal = []
    for clause in clauses:
        if not _WORD.search(findings, clause[0], clause[1]):
            continue
        if scope is not None:
            places = _clause_places(findings, clause, lex, terms)
            if places and not places & scope:
                continue
        # An abnormality the term list lacks ("heart size is enlarged", "hyperexpanded
        # lungs") leaves a clause that reads neither normal nor negated.
        # Set apart from the rest of the study, a place must read plainly normal: "mildly
        # hyperexpanded but clear" is not.
        if not _reads_normal(findings, clause, lex) or (
                scope is not None and lex.minor.search(findings, clause[0], clause[1])):
            # "Frontal and lateral views of the chest": says nothing either way. But "the lungs
            # are underinflated ... than on the exam" names an organ: it says something.
            if lex.study.search(findings, clause[0], clause[1]) and not any(
                    len(terms.places[place].covers) == 1
                    for place in _clause_places(findings, clause, lex, terms)):
                continue
            return []
        normal.append(Span(clause[0], clause[1]))
    return normal


def _still_denied(place: str, elsewhere: dict[str, set[str]],
                  denied: dict[str, set[str]]) -> bool:
    """Whether no clause without a finding undoes the place's normal: none names it, or
    those that do name it by other words than a denial of both sides ("双侧胸腔内未见异常
    密度影" stands beside "病灶与邻近胸膜分界不清", a lung mass touching the pleura; not
    "双肺未见异常密度影" beside "双肺纹理增强", the same lungs)."""
    if place not in elsewhere:
        return True
    return place in denied and not any(_same_place(a, b) for a in elsewhere[place]
                                       for b in denied[place])


def _place_called_abnormal(findings: str, impression: str, in_findings: list[Mention],
                           in_impression: list[Mention], lex: Lexicon,
                           terms: Terms) -> list[Flag]:
    """A finding of the impression in one place (the heart, 胸廓) that the findings name only
    in clauses that read normal, with no finding of theirs there. Only a place of one organ:
    "chest" or 心肺 spans the abnormal lung too."""
    clauses = _clauses(findings)
    abnormal: set[str | None] = set()
    for m in in_findings:
        if not m.negated:
            clause = _clause_of(clauses, m.span)
            abnormal.add(place_of(m.span.start, m.span.end,
                                  place_words(findings, clause, lex, terms), m.concept, terms))
    normal_at: dict[str, list[Span]] = {}
    # Places named in clauses neither normal nor with a finding, and the words that name
    # them there; places a clause denies anything abnormal in on every side, by its words.
    elsewhere: dict[str, set[str]] = {}
    denied: dict[str, set[str]] = {}
    for clause in clauses:
        # "top normal", "mildly enlarged but normal in contour": not a plain normal.
        # A negation of one finding is no normal: "no focal consolidation" says nothing of
        # interstitial edema; but 胸腔内未见异常密度影 denies any abnormality there.
        claim = bool(lex.normal_claims.search(findings, clause[0], clause[1])
                     or lex.normal.search(findings, clause[0], clause[1]))
        minor = lex.minor.search(findings, clause[0], clause[1])
        denial = not minor and denies_only_abnormality(findings, clause, lex)
        plain = denial or (not minor and claim
                           and not lex.negation.search(findings, clause[0], clause[1]))
        one_side = any(lex.side_of.get(normalise(m.group(1))) in _OTHER
                       for m in lex.sides.finditer(findings, clause[0], clause[1]))
        for start, end, place in place_words(findings, clause, lex, terms):
            word = normalise(findings[start:end])
            if plain:
                normal_at.setdefault(place, []).append(Span(*clause))
                if denial and not one_side:
                    denied.setdefault(place, set()).add(word)
            else:
                elsewhere.setdefault(place, set()).add(word)
    said_clauses = _clauses(impression)
    flags: list[Flag] = []
    for m in in_impression:
        if m.negated:
            continue
        clause = _clause_of(said_clauses, m.span)
        where = place_of(m.span.start, m.span.end, place_words(impression, clause, lex, terms),
                         m.concept, terms)
        if (where is None or len(terms.places[where].covers) > 1 or where in abnormal
                or not _still_denied(where, elsewhere, denied) or where not in normal_at
                or any(f.key.endswith(f":{where}") for f in flags)):
            continue
        words = impression[clause[0]:clause[1]].strip()
        quote = findings[normal_at[where][0].start:normal_at[where][0].end].strip()
        flags.append(_flag(CALLED_ABNORMAL, f"{CALLED_ABNORMAL}:{m.concept}:{where}",
                           sentence("FlagReasons", "The impression says {said!r}; the findings "
                                    "call it normal there: {quote!r}."),
                           normal_at[where][:2], (m.span,), said=words, quote=quote))
    return flags


def current_findings(text: str, language: str | None = None,
                     terms: Terms | None = None) -> list[Mention]:
    """The findings of the term list that ``text`` describes, not negated."""
    terms = terms or bundled_terms()
    language = language if language in ("en", "zh") else detect_language(text)
    return [m for m in mentions(text, terms.lexicons[language]) if not m.negated]


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
        flags += check_laterality(findings, impression, lex, terms)
    negation = check_negation(in_findings, in_impression, terms) if NEGATION in kinds else []
    flags += negation
    called = (check_called_normal(findings, impression, in_findings, in_impression, lex, terms)
              if CALLED_NORMAL in kinds else [])
    flags += called
    over = (check_called_abnormal(findings, impression, in_findings, in_impression, lex, terms)
            if CALLED_ABNORMAL in kinds else [])
    flags += over
    if MISSED in kinds:
        # A finding called normal is said more plainly by that flag than by "possibly missed".
        said_normal = {f.key.split(":", 1)[1] for f in called}
        flags += [f for f in check_missed(in_findings, in_impression, terms)
                  if f.key.split(":", 1)[1] not in said_normal]
    if UNSUPPORTED in kinds:
        flipped = {f.key.split(":", 1)[1] for f in negation}
        if over:  # "called abnormal" says it more plainly
            flipped |= {m.concept for m in in_impression}
        flags += check_unsupported(in_findings, in_impression, terms, flipped)
    return [_with_words(flag, findings, impression) for flag in flags]


def _with_words(flag: Flag, findings: str, impression: str) -> Flag:
    """Add the concept as the report words it ("磨玻璃影", not "ground glass"): the Chinese
    window names it so. Missed and called-normal findings are in the findings; an
    unsupported or ruled-out concept is in the impression."""
    values = dict(flag.values)
    if "concept" not in values:
        return flag
    in_findings = flag.kind in (MISSED, CALLED_NORMAL) and flag.findings_spans
    text, spans = ((findings, flag.findings_spans) if in_findings
                   else (impression, flag.impression_spans))
    if not spans:
        return flag
    values["written"] = text[spans[0].start:spans[0].end].strip()
    return replace(flag, values=tuple(values.items()))
