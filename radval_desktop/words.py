"""Chinese words: one jieba tokenizer with the radiology dictionary, for ROUGE and retrieval."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from typing import Any

from radval_desktop import paths

USER_DICT_NAME = "jieba_radiology_dict.txt"
# A word counts when it holds a CJK character, a Latin letter or a digit (not punctuation).
WORD_CONTENT = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaffa-z0-9]")

_lock = threading.Lock()
_shared: Any = None


def load_jieba() -> Any:
    """A new private ``jieba.Tokenizer`` (not the global ``jieba.dt``): our dictionary must
    not change how other code in the process segments text. Loading takes ~0.7 s."""
    import jieba

    # jieba logs "Building prefix dict ..." at DEBUG on its own handler; keep it quiet.
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    # Its cache would otherwise go to the system temp folder, shared by every user.
    tokenizer.tmp_dir = str(paths.cache_dir())
    tokenizer.cache_file = "jieba.cache"
    tokenizer.initialize()
    tokenizer.load_userdict(str(paths.resources_dir() / USER_DICT_NAME))
    return tokenizer


def jieba_tokenizer() -> Any:
    """The process's one tokenizer, loaded on first use."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = load_jieba()
    return _shared


def words(text: str, tokenizer: Any = None) -> list[str]:
    """jieba words, lower-cased after cutting (the dictionary has "T2WI"-style entries)."""
    cut = (w.strip().lower() for w in (tokenizer or jieba_tokenizer()).lcut(text))
    return [w for w in cut if WORD_CONTENT.search(w)]


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence, one machine word op per token of ``b``.

    Hyyrö's bit-vector algorithm: rouge-score's O(n·m) Python table is the slow part of a
    report over thousands of pairs; this gives the same number with big-int arithmetic.
    Here, below both, because ROUGE-L and the restatement guard (safety) count with it.
    """
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for index, token in enumerate(a):
        masks[token] = masks.get(token, 0) | (1 << index)
    full = (1 << len(a)) - 1
    v = full
    for token in b:
        u = v & masks.get(token, 0)
        v = ((v + u) | (v - u)) & full
    return len(a) - v.bit_count()
