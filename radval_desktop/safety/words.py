"""Words for the example index: jieba for Chinese (radiology dictionary), lower-case English."""

from __future__ import annotations

import re
import threading
from typing import Any

from radval_desktop import paths

USER_DICT_NAME = "jieba_radiology_dict.txt"
_WORD = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaffa-z0-9]")
_lock = threading.Lock()
_jieba: Any = None


def _tokenizer() -> Any:
    # A private jieba.Tokenizer (not jieba.dt), cached in RadVal's cache folder like the
    # ROUGE tokenizer's: our dictionary must not change how other code segments text.
    global _jieba
    with _lock:
        if _jieba is None:
            import logging

            import jieba

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.tmp_dir = str(paths.cache_dir())
            tokenizer.cache_file = "jieba.cache"
            tokenizer.initialize()
            tokenizer.load_userdict(str(paths.resources_dir() / USER_DICT_NAME))
            _jieba = tokenizer
    return _jieba


def words(text: str) -> list[str]:
    """Index words: jieba cuts Chinese and leaves Latin runs whole; all lower case."""
    cut = (w.strip().lower() for w in _tokenizer().lcut(text))
    return [w for w in cut if _WORD.search(w)]
