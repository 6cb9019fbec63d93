"""Whether a draft restates the findings instead of concluding (SPEC §9, issue 15)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from radval_desktop.errors import Words, sentence
from radval_desktop.findings import detect_language
from radval_desktop.words import lcs_length

COPIED = "copied"
NORMAL_LIST = "normal_list"

# Compared in units: an English word, or one Chinese character. jieba's words would shift
# under a light paraphrase (磨玻璃影 -> 磨玻璃 is cut 磨/玻璃), characters do not.
_UNIT = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[a-z0-9]+(?:['.][a-z0-9]+)*")
# Units that carry no finding: a restatement that swaps "There is" for "with" or 见 for 可见
# repeats the findings all the same.
_FUNCTION_UNITS = frozenset((
    "a", "an", "the", "is", "are", "was", "were", "be", "been", "being", "there", "of", "in",
    "on", "at", "to", "with", "and", "or", "as", "by", "for", "this", "that", "these", "those",
    "it", "its", "appear", "appears", "appearing", "seen", "noted", "identified", "present",
    "demonstrated", "also",
    "见", "可", "的", "及", "和", "与", "呈", "为", "示", "约", "内", "其", "于", "以", "之", "等"))
# Calibrated on ../shared/data (bench/safety_checks.py): the radiologists' own impressions
# repeat at most ~40% of their findings (CT: <20%), barring a few OpenI reports that paste
# or nearly paste the findings (0.4% of them, and restatements indeed); numbered, reordered
# or lightly reworded copies keep 60-100%.
COPIED_SHARE = 0.6
# Or the draft is the findings and little else (90% of its units, in their order) and
# repeats more than half of them: a restatement that leaves out a sentence or two. Lower,
# it would take a descriptive impression that keeps the one abnormal sentence of a short
# report (OpenI radiologists write those; at 0.45, 3 more of 2007 were flagged).
MOSTLY_FINDINGS = 0.9
MOSTLY_FINDINGS_SHARE = 0.55
# A short finding kept whole is a conclusion, not a restatement ("右肺上叶见一结节" ->
# "右肺上叶结节"): a partial copy counts from this many repeated units (a CT findings
# paragraph has 60-100 characters, a chest film's 15-30 content words) ...
MIN_COPIED = {"en": 8, "zh": 16}
# ... and a short findings text counts as restated only when nearly all of it is repeated.
WHOLE_COPY_SHARE = 0.9
MIN_WHOLE_COPY = {"en": 5, "zh": 12}
# A findings sentence counts as copied into a draft line when the line keeps this share of
# its units in order ("右肺下叶见小片影，边缘模糊" -> "右肺下叶小片影，边缘模糊").
SENTENCE_KEPT = 0.8
# Sentence-by-line matching is quadratic in lines; past this many pairs (a pasted worklist)
# the whole-text comparison alone decides.
_MAX_PAIRS = 20_000
# Two items labelled normal are a pattern, one may be an impression's "余未见异常".
MIN_NORMAL_ITEMS = 2

_ITEM_END = re.compile(r"[\n。；;！？!?]|\.(?=\s|$)")
_NUMBER = re.compile(r"^\s*(?:\(?\d{1,2}\s*[.、)）](?!\d)|[（(]\d{1,2}[)）]|[①-⑳]|[-•*])\s*")
_CONTENT = re.compile(r"[^\W\d_]")  # a letter or a CJK character: "1" alone is no item
# "<something>：正常", "Right lower lobe opacity: normal", "纵隔 - 未见异常", "...（正常）": the
# mark and the normal word end the item, with something named before them. Matched in the
# item's last characters only: anchored at the start, a 20,000-character item backtracked
# for minutes.
_NORMAL_END = re.compile(
    r"(?:[:：\-–—=,，]\s*|[（(]\s*)"
    r"(?:正常|未见明显异常|未见异常|无明显异常|无异常|无殊|阴性|normal|unremarkable|negative|"
    r"within normal limits|no abnormality|clear)\s*[)）]?\s*[。.]?$",
    re.IGNORECASE)
_NORMAL_TAIL = 40  # characters: the longest mark and normal word above, with spaces


@dataclass(frozen=True)
class Restatement:
    kind: str  # COPIED or NORMAL_LIST
    share: float  # of the findings repeated (copied), of the draft's items (normal_list)
    detail: str  # one sentence for the radiologist
    words: Words | None = None  # the detail for the window's translation


def items(text: str) -> list[str]:
    """The draft's lines and sentences, numbering removed."""
    found = []
    for piece in _ITEM_END.split(text):
        piece = _NUMBER.sub("", piece).strip()
        if _CONTENT.search(piece):
            found.append(piece)
    return found


def _labelled_normal(item: str) -> bool:
    end = _NORMAL_END.search(item, max(0, len(item) - _NORMAL_TAIL))
    return end is not None and bool(_CONTENT.search(item, 0, end.start()))


def content_units(text: str) -> list[str]:
    return [u for u in _UNIT.findall(text.lower()) if u not in _FUNCTION_UNITS]


_ZH = re.compile(r"[\u4e00-\u9fff]")
_ZH_CLAUSE = re.compile(r"[，,；;。\n]")


def _sentences_copied(findings: str, draft_items: list[str]) -> int:
    """Words of the findings sentences that reappear nearly whole in one draft line, in any
    order: a model that lists the findings abnormal-first is still restating them."""
    # Chinese findings run one sentence of comma clauses: a clause is their unit of copying
    # ("双肺下叶见小片状磨玻璃影，边缘不清，…" copied clause by clause, in another order).
    pieces = _ZH_CLAUSE.split(findings) if _ZH.search(findings) else items(findings)
    sentences = [units for units in map(content_units, pieces) if units]
    lines = [content_units(line) for line in draft_items]
    if len(sentences) * len(lines) > _MAX_PAIRS:
        return 0
    copied = 0
    for units in sentences:
        if len(units) >= 2 and any(
                lcs_length(units, line) >= SENTENCE_KEPT * len(units) for line in lines):
            copied += len(units)
    return copied


def find_restatement(findings: str, draft: str,
                     language: str | None = None) -> Restatement | None:
    """How ``draft`` restates ``findings``, or None when it concludes. ``language`` ("en",
    "zh"; else detected from the findings) sets how long a copy must be to count."""
    draft_items = items(draft)
    if not draft_items or not findings.strip():
        return None
    labelled = [i for i in draft_items if _labelled_normal(i)]
    if len(labelled) >= MIN_NORMAL_ITEMS:
        share = len(labelled) / len(draft_items)
        words = Words("Guards", sentence("Guards", "The draft lists {count} items as normal, "
                                         "one by one, instead of concluding."),
                      (("count", len(labelled)),))
        return Restatement(NORMAL_LIST, share, str(words), words)
    units = content_units(findings)
    if not units:
        return None
    language = language if language in ("en", "zh") else detect_language(findings)
    draft_units = content_units(draft)
    in_order = lcs_length(units, draft_units)
    copied = max(in_order, _sentences_copied(findings, draft_items))
    share = copied / len(units)
    mostly = (in_order >= MOSTLY_FINDINGS * len(draft_units)
              and share >= MOSTLY_FINDINGS_SHARE)
    partial = copied >= MIN_COPIED[language] and (share >= COPIED_SHARE or mostly)
    whole = len(units) >= MIN_WHOLE_COPY[language] and share >= WHOLE_COPY_SHARE
    if not (partial or whole):
        return None
    words = Words("Guards", sentence("Guards", "The draft repeats {share:.0%} of the findings "
                                     "instead of concluding."), (("share", share),))
    return Restatement(COPIED, share, str(words), words)
