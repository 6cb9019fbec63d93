"""ROUGE-1/2/L of a drafted impression against the reference, right for English and Chinese.

The n-gram and LCS maths is always Google's ``rouge-score`` (its replication of
ROUGE-1.5.5); only the tokenizer changes. Its default tokenizer keeps [a-z0-9] and drops
every Chinese character, so identical Chinese texts would score 0: Chinese goes through
jieba (word level, with our radiology dictionary) or one token per character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from radval_desktop.evaluation.rouge_math import rouge_l, rouge_n
from radval_desktop.findings import detect_language
from radval_desktop.words import words

EN_ROUGE_SCORE = "en-rouge-score"
ZH_JIEBA_WORD = "zh-jieba-word"
ZH_CHAR = "zh-char"
TOKENIZATIONS = (EN_ROUGE_SCORE, ZH_JIEBA_WORD, ZH_CHAR)

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")

_CJK_CHAR = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# One CJK character, or a run of Latin letters/digits ("CT", "T2WI", "3.5" -> "3", "5"
# as rouge-score splits numbers too).
_CHAR_TOKEN = re.compile(rf"[{_CJK_CHAR}]|[a-z0-9]+")
# A jieba token counts when it holds a letter, digit or CJK character: punctuation and
# spaces are dropped, as rouge-score drops them in English.


@dataclass(frozen=True)
class RougeScore:
    precision: float
    recall: float
    f1: float


@dataclass(frozen=True)
class RougeResult:
    rouge1: RougeScore
    rouge2: RougeScore
    rougeL: RougeScore  # noqa: N815 - rouge-score's and the paper's name
    tokenization: str  # one of TOKENIZATIONS: every figure says how it was counted
    language: str


class CharTokenizer:
    """Chinese at character level: each CJK character one token, Latin runs one token."""

    def tokenize(self, text: str) -> list[str]:
        return _CHAR_TOKEN.findall(text.lower())


class JiebaTokenizer:
    """Chinese at word level: the shared jieba tokenizer with the radiology dictionary."""

    def tokenize(self, text: str) -> list[str]:
        return words(text)


_JIEBA = JiebaTokenizer()
_CHAR = CharTokenizer()
_EN_TOKENIZERS: dict[bool, Any] = {}


def tokenizer_for(tokenization: str) -> Any:
    """The tokenizer object behind a tokenization name (None: rouge-score's own)."""
    if tokenization == ZH_JIEBA_WORD:
        return _JIEBA
    if tokenization == ZH_CHAR:
        return _CHAR
    if tokenization == EN_ROUGE_SCORE:
        return None
    raise ValueError(f"unknown tokenization {tokenization!r}; known: {', '.join(TOKENIZATIONS)}")


def _tokenizer(tokenization: str, use_stemmer: bool) -> Any:
    tokenizer = tokenizer_for(tokenization)
    if tokenizer is None:
        if use_stemmer not in _EN_TOKENIZERS:
            from rouge_score import tokenizers

            _EN_TOKENIZERS[use_stemmer] = tokenizers.DefaultTokenizer(use_stemmer=use_stemmer)
        tokenizer = _EN_TOKENIZERS[use_stemmer]
    return tokenizer


def default_tokenization(language: str) -> str:
    return ZH_JIEBA_WORD if language == "zh" else EN_ROUGE_SCORE


def score(
    candidate: str,
    reference: str,
    language: str | None = None,
    tokenization: str | None = None,
    use_stemmer: bool = False,
) -> RougeResult:
    """ROUGE of ``candidate`` against ``reference``; empty texts score 0.

    ``language`` defaults to what the reference is written in (the candidate may be
    garbage); ``tokenization`` defaults to jieba words for Chinese, rouge-score for English.
    ``use_stemmer`` is rouge-score's Porter stemming, English only.
    """
    candidate = candidate or ""
    reference = reference or ""
    if language is None:
        language = detect_language(reference or candidate)
    tokenization = tokenization or default_tokenization(language)
    # Counted as rouge-score counts (tests hold them equal to 1e-6), tokenizing each text
    # once for all three and with a faster LCS.
    tokenizer = _tokenizer(tokenization, use_stemmer)
    cand, ref = tokenizer.tokenize(candidate), tokenizer.tokenize(reference)
    r1, r2, rl = rouge_n(cand, ref, 1), rouge_n(cand, ref, 2), rouge_l(cand, ref)
    return RougeResult(RougeScore(r1.precision, r1.recall, r1.f1),
                       RougeScore(r2.precision, r2.recall, r2.f1),
                       RougeScore(rl.precision, rl.recall, rl.f1), tokenization, language)


def tokenize(text: str, tokenization: str, use_stemmer: bool = False) -> list[str]:
    """The tokens ROUGE counts for ``text`` (to show a user why a score is what it is)."""
    return list(_tokenizer(tokenization, use_stemmer).tokenize(text))
