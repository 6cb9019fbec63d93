"""Hypothesis strategies for hostile report text: any Unicode, control characters, mixed
scripts, medical words that trigger the checks, and inputs far past any real report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from radval_desktop.errors import RadvalError

# Every code point, lone surrogates and private-use included: a paste from another program
# (or a file decoded with errors="surrogateescape") can carry any of them.
ANY_CHAR = st.characters(codec=None, categories=None)
CONTROL = st.characters(categories=["Cc", "Cf", "Zl", "Zp"])
# Words the prompt builder, the guards and the safety checks react to, in both languages,
# with the punctuation that ends a clause: random text alone almost never hits them.
REPORT_WORDS = (
    "右", "左", "双", "两", "肺", "右肺上叶", "胸腔", "结节", "积液", "未见", "无", "未", "但",
    "见", "磨玻璃影", "肺炎", "诊断意见：", "印象：", "检查所见：", "，", "。", "；", "、",
    "right", "left", "bilateral", "both", "lung", "upper lobe", "no", "not", "without",
    "but", "with", "nodule", "nodules", "effusion", "pneumonia", "mass", "ruled out",
    "Impression:", "Findings:", "**", "```", "1.", ". ", ", ", "; ", "\n", "\r\n", "\t", " ",
    "CT", "MRI", "T2WI", "3.5 cm", "İ", "ß", "ﬁ", "é", "😀", "\u200b", "\u2028", "\x85",
    "\ud83d",  # half an emoji: a lone surrogate
)
WORD = st.sampled_from(REPORT_WORDS)
# Mixed-script text: report words, arbitrary characters and control characters together.
MIXED_TEXT = st.lists(st.one_of(WORD, WORD, st.text(ANY_CHAR, max_size=6), CONTROL),
                      max_size=60).map("".join)
ANY_TEXT = st.one_of(st.text(ANY_CHAR, max_size=300), MIXED_TEXT)


def repeated_to(size: int) -> st.SearchStrategy[str]:
    """A piece of hostile text repeated to ``size`` characters (hypothesis itself would
    spend seconds drawing megabytes one character at a time)."""
    piece = st.text(ANY_CHAR, min_size=1, max_size=40) | MIXED_TEXT.filter(bool)
    return piece.map(lambda s: (s * (size // len(s) + 1))[:size])


def outcome(call: Callable[..., Any], *args: Any,
            refused: type[RadvalError] = RadvalError) -> tuple[Any, str]:
    """(result, "") or (None, the sentence it was refused with); anything else propagates."""
    try:
        return call(*args), ""
    except refused as err:
        return None, str(err)
