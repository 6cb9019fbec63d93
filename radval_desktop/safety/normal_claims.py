"""Where an impression says something is normal, and the place a finding lies in (issue 15)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from radval_desktop.safety.terms import Lexicon, Terms, normalise

# What may stand between a negation cue and "abnormality" for it to deny everything there.
_OUTRIGHT = re.compile(r"\s*(?:明显|明确|确切)?\s*")

# English clauses run on through commas (a negation does); a claim's place does not:
# "Heart size is normal, right lower lobe opacity" says the heart is normal, not the lobe.
_EN_PART = re.compile(r"[,:：]")
# Where one English finding ends and the next begins, for the reach of "mild" or "may".
_EN_JOIN = re.compile(r"\s(?:with|and|but|while|plus)\s", re.IGNORECASE)
# What may stand before a claim word and still leave it about nothing but the study:
# "Otherwise unremarkable.", "余未见明显异常", "1. Normal." ("边缘清晰" is about margins).
_EN_FILLER = frozenset((
    "a", "all", "also", "an", "and", "appear", "appears", "appearing", "are", "as", "be",
    "been", "completely", "entirely", "essentially", "examination", "exam", "findings", "is",
    "of", "otherwise", "overall", "remainder", "remaining", "rest", "the", "there", "this",
    "was", "were", "study"))
_ZH_FILLER = re.compile(r"[余其均基本大致所见为呈显示示提像者的\s\d.、：:（）()]")
# "Right lower lobe opacity: normal", "右肺下叶见斑片影：正常", "... (normal)": the text before
# the mark is the thing called normal.
_LABEL_MARK = re.compile(r"[:：\-–—=(（]\s*$")
_ITEM_END = re.compile(r"[。；;！？!?\n]|\.(?=\s)")
_MAX_LABEL = 300  # characters: the longest finding sentence a model labels normal
# "not normal", "不正常", "欠清晰": a claim word that is itself denied.
_DENIED_BEFORE = {"en": re.compile(r"\b(?:not|no|non|never)\s*$", re.IGNORECASE),
                  "zh": re.compile(r"(?:不|非|欠|未|无)$")}
# "negative for" and "clear of" start a negation, not a claim; "clear-cell" is a tumour type.
_NOT_A_CLAIM_AFTER = re.compile(r"\s*(?:for\b|-\s*cell|\s+cell)", re.IGNORECASE)


@dataclass(frozen=True)
class Claim:
    start: int  # the item that makes the claim, for the highlight
    end: int
    places: frozenset[str] | None  # the places it calls normal, closed under covers; None: all
    label: tuple[int, int] | None  # "<label>：正常": the labelled text, which may be a finding
    acute: bool = False  # "no acute ...": says nothing of what is chronic by nature


def _parts(text: str, clause: tuple[int, int], language: str) -> list[tuple[int, int]]:
    if language != "en":
        return [clause]
    parts, start = [], clause[0]
    for mark in _EN_PART.finditer(text, clause[0], clause[1]):
        parts.append((start, mark.end()))  # the mark stays with its label ("Lungs: normal")
        start = mark.end()
    parts.append((start, clause[1]))
    return [p for p in parts if text[p[0]:p[1]].strip()]


def _item_start(text: str, end: int) -> int:
    # Looking back a bounded way keeps a pasted text without punctuation linear.
    start = max(0, end - _MAX_LABEL)
    ends = list(_ITEM_END.finditer(text, start, end))
    return ends[-1].end() if ends else start


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum() and text[end - 1] not in ")）":
        end -= 1
    return start, end


def _places_in(text: str, start: int, end: int, lex: Lexicon, terms: Terms) -> set[str]:
    found: set[str] = set()
    for match in lex.places.finditer(text, start, end):
        place = terms.places.get(lex.place_of.get(normalise(match.group(1)), ""))
        if place:
            found |= place.covers
    return found


def _denied(text: str, start: int, part: tuple[int, int], lex: Lexicon) -> bool:
    """A negation cue before ``start`` in its part, with no break word and no finding between:
    "no acute abnormality" denies everything, "without metastatic disease" only metastases."""
    head = text[part[0]:start]
    cues = list(lex.negation.finditer(head))
    if not cues:
        return False
    between = head[cues[-1].end():]
    return not (lex.breaks.search(between) or lex.concepts.search(between))


def denies_only_abnormality(text: str, clause: tuple[int, int], lex: Lexicon) -> bool:
    """Every negation cue of the clause denies "something abnormal" outright (未见异常密度影,
    "no abnormality of the pleural spaces"), none one finding ("no focal consolidation" says
    nothing of edema): such a clause calls its place normal. A word between narrows the
    denial: "no acute bony abnormalities" says nothing of an old or occult fracture, "no focal
    thoracic bony findings" nothing of the hand (both real OpenI reports); 明显/明确 do not."""
    cues = list(lex.negation.finditer(text, clause[0], clause[1]))
    nouns = list(lex.normal_nouns.finditer(text, clause[0], clause[1]))
    concepts = [(m.start(), m.end()) for m in lex.concepts.finditer(text, clause[0], clause[1])]

    def denies_a_noun(cue: re.Match[str]) -> bool:
        for noun in nouns:
            # 病变 ending 炎性病变 names a diagnosis; 异常 beginning 异常密度影 is any change.
            if noun.start() < cue.end() or any(
                    a < noun.start() and noun.end() <= b for a, b in concepts):
                continue
            return bool(_OUTRIGHT.fullmatch(text, cue.end(), noun.start()))
        return False

    return bool(cues) and all(denies_a_noun(cue) for cue in cues)


def _claim_word(text: str, part: tuple[int, int], lex: Lexicon) -> re.Match[str] | None:
    """The word that makes ``part`` a claim; one after a label mark first, so that
    "双侧胸腔内未见异常密度影：正常" labels the whole item rather than the pleura."""
    found = []
    for match in lex.normal_claims.finditer(text, part[0], part[1]):
        if not (_DENIED_BEFORE[lex.language].search(text, part[0], match.start())
                or _NOT_A_CLAIM_AFTER.match(text, match.end())):
            found.append(match)
    concepts = [(m.start(), m.end()) for m in lex.concepts.finditer(text, part[0], part[1])]
    for match in lex.normal_nouns.finditer(text, part[0], part[1]):
        # 病变 inside 炎性病变 is a named diagnosis, not "no disease".
        inside = any(a <= match.start() and match.end() <= b for a, b in concepts)
        if not inside and _denied(text, match.start(), part, lex):
            found.append(match)
    labelled = [m for m in found if _label_mark(text, m.start())]
    return next(iter(labelled or found), None)


def _is_noun(claim: re.Match[str], lex: Lexicon) -> bool:
    return bool(lex.normal_nouns.fullmatch(claim.group(0)))


def _label_mark(text: str, start: int) -> re.Match[str] | None:
    return _LABEL_MARK.search(text, max(0, start - 8), start)


def _about_the_study(text: str, part: tuple[int, int], claim: re.Match[str],
                     lex: Lexicon) -> bool:
    """A claim that names no place is about the whole study only when the item says nothing
    else ("Normal.", "未见明显异常", "Unremarkable study"): "边缘清晰" claims nothing."""
    if lex.study.search(text, part[0], part[1]):
        return True
    rest = text[part[0]:claim.start()] + " " + text[claim.end():part[1]]
    if lex.language == "zh":
        return len(_ZH_FILLER.sub("", rest)) == 0
    words = re.findall(r"[a-z]+", rest.lower())
    return all(w in _EN_FILLER or lex.negation.fullmatch(w) for w in words)


def normal_claims(text: str, clauses: list[tuple[int, int]], lex: Lexicon,
                  terms: Terms) -> list[Claim]:
    """Each item of ``text`` that calls a place (or the whole study, or a finding) normal."""
    claims = []
    for clause in clauses:
        parts = _parts(text, clause, lex.language)
        for part in parts:
            claim = _claim_word(text, part, lex)
            if claim is None:
                continue
            label = None
            start = part[0]
            mark = _label_mark(text, claim.start())
            if mark:
                # The label is the whole item before the mark, across the commas that end a
                # clause: "双肺纹理清晰，右肺上叶见斑片影，边缘不清：正常".
                start = _item_start(text, mark.start())
                end = mark.start()
                while end > start and text[end - 1].isspace():
                    end -= 1
                label = (start, end)
            places = _places_in(text, start, part[1], lex, terms)
            if places and label is None and lex.study.search(text, part[0], part[1]):
                # "胸腔CT平扫未见明显异常": a place named with the study names the study (a
                # small model calls the chest CT 胸腔CT or 胸廓CT): the whole study is normal.
                places = set()
            finding = label and lex.concepts.search(text, label[0], label[1])
            # "No acute abnormality." names no place: the whole study; "Clear." alone too.
            if not (places or finding or _is_noun(claim, lex)
                    or _about_the_study(text, part, claim, lex)):
                continue
            span = _trimmed(text, start, part[1])
            if span[1] <= span[0]:
                continue
            acute = bool(lex.acute.search(text, part[0], part[1]))
            claims.append(Claim(span[0], span[1], frozenset(places) or None, label, acute))
    return claims


# The checks ask for the same clause's places once per finding in it: a pasted worklist of
# 100,000 characters took 10 s, 9 of them here. Entries hold their lexicon and terms, so an
# id is never reused while cached.
_PLACES_SEEN: dict[tuple[int, int, str, tuple[int, int]],
                   tuple[Lexicon, Terms, list[tuple[int, int, str]]]] = {}
_PLACES_KEPT = 4096


def place_words(text: str, clause: tuple[int, int], lex: Lexicon,
                terms: Terms) -> list[tuple[int, int, str]]:
    """(start, end, place) of each place word in the clause; found once per clause."""
    key = (id(lex), id(terms), text, clause)
    seen = _PLACES_SEEN.get(key)
    if seen is not None and seen[0] is lex and seen[1] is terms:
        return list(seen[2])
    found = []
    for match in lex.places.finditer(text, clause[0], clause[1]):
        place = lex.place_of.get(normalise(match.group(1)))
        if place in terms.places:
            found.append((match.start(), match.end(), place))
    if len(_PLACES_SEEN) >= _PLACES_KEPT:
        _PLACES_SEEN.clear()
    _PLACES_SEEN[key] = (lex, terms, found)
    return list(found)


def place_of(start: int, end: int, words: list[tuple[int, int, str]], concept: str,
             terms: Terms) -> str | None:
    """The place of the finding at ``start:end``, given the place ``words`` of its clause:
    its concept's own place (pneumothorax), else the nearest place word (the term's own
    first: 胸腔积液, "pericardial effusion"), else its concept's usual place."""
    for own in terms.places.values():
        if concept in own.always:
            return own.id
    best: tuple[int, int, int, str] | None = None
    for word_start, word_end, place in words:
        distance = max(word_start - end, start - word_end, 0)
        # A named part before a region ("双肺上叶胸膜下", "chest ... right lower lobe"); then
        # the nearest; Chinese names the place first (右肺上叶见结节): a tie goes before.
        wide = len(terms.places[place].covers) > 1
        key = (int(wide), distance, int(word_start >= start), place)
        best = key if best is None or key < best else best
    if best is not None:
        return best[3]
    for usual in terms.places.values():
        if concept in usual.concepts:
            return usual.id
    return None


def is_minor(text: str, start: int, clause: tuple[int, int], lex: Lexicon) -> bool:
    """The finding at ``start`` is mild, prior, resolved or explained away: no normal
    impression contradicts it. English clauses run long: a cue counts within the finding's
    own part of it ("Acute hematoma with mild edema": the edema is mild, not the hematoma)."""
    if lex.language == "en":
        cuts = list(_EN_JOIN.finditer(text, clause[0], start))
        after = _EN_JOIN.search(text, start, clause[1])
        clause = (cuts[-1].end() if cuts else clause[0], after.start() if after else clause[1])
    return any(not _names_a_finding(text, cue, clause[1], lex)
               for cue in lex.minor.finditer(text, clause[0], clause[1]))


# Hedges: minor when they explain a finding away ("may represent overlying soft tissue"), not
# when what they take it for is itself a finding ("may represent infiltrate": a possible
# pneumonia, which belongs in the impression; issue 16's adapter drafted it normal). "Could
# obscure a small nodule" says what the film cannot show: still minor.
_HEDGE = re.compile(r"\s+(?:represent|reflect|be|indicate|suggest)\b", re.IGNORECASE)
_HEDGES = frozenset({"may", "might", "could"})


def _names_a_finding(text: str, cue: re.Match[str], end: int, lex: Lexicon) -> bool:
    return (normalise(cue.group(1)) in _HEDGES and _HEDGE.match(text, cue.end(), end)
            is not None and lex.concepts.search(text, cue.end(), end) is not None)


def covers(claim: Claim, concept: str, place: str | None, terms: Terms) -> bool:
    """Whether ``claim`` calls normal a finding of ``concept`` at ``place``."""
    if claim.acute and concept in terms.not_acute:
        return False
    if claim.places is None:
        return True
    if place is None:
        # A finding named with no place ("interstitial edema") lies in a region, not in one
        # organ: a claim about a region ("Normal chest.") covers it, one about the heart not.
        return any(len(terms.places[p].covers) > 1 for p in claim.places if p in terms.places)
    inside = terms.places[place].covers if place in terms.places else {place}
    return place in claim.places or inside <= claim.places
