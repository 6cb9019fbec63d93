"""Algorithm 1's text cleaning: report titles, repeated values, non-essential terms (SPEC §2)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from radval_desktop import paths
from training.errors import TrainingError

# Why a row changed (counted per reason in the data card).
TITLE_REMOVED = "report title removed"
REPEAT_REMOVED = "repeated sentence removed"
TERMS_REMOVED = "non-essential terms removed"

# Section titles that report systems copy into the field itself ("检查所见：检查所见：…").
# Only removed at the start of a field and only when a colon follows, so the words
# themselves ("所见" inside a sentence) are never touched.
_TITLES = (
    "检查所见", "影像所见", "影像表现", "报告描述", "所见", "表现",
    "诊断意见", "影像诊断", "诊断结果", "检查结论", "放射学诊断", "报告结果", "诊断", "印象",
    "结论", "意见", "findings", "finding", "impressions", "impression", "conclusions",
    "conclusion", "results", "result", "description", "diagnosis", "opinion", "report",
)
_TITLE = re.compile(
    r"^\s*[【\[]?\s*(?:" + "|".join(re.escape(t) for t in sorted(_TITLES, key=len, reverse=True))
    + r")\s*[】\]]?\s*[:：]\s*",
    re.IGNORECASE,
)
# A sentence with its terminator: Chinese full stops and semicolons, a newline, or an
# English full stop followed by a space (so "3.5 cm" stays whole).
_SENTENCE = re.compile(r".+?(?:[。；;！!？?\n]+|\.(?=\s|$)|$)", re.DOTALL)
_PUNCT_RUN = re.compile(r"(?:\s*[，,、；;。.:：]){2,}")
_LEADING = "，,、；;。.:： \t\n"


def default_terms_file() -> Path:
    return paths.resources_dir() / "training" / "non_essential_terms.txt"


@dataclass(frozen=True)
class TermCorpus:
    """The editable list of non-essential terms, compiled once."""

    path: Path
    patterns: tuple[re.Pattern[str], ...]

    @classmethod
    def load(cls, path: Path | None = None) -> TermCorpus:
        path = path or default_terms_file()
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as err:
            raise TrainingError(f"The non-essential terms file {path} cannot be read: "
                                f"{err}.") from err
        literals, patterns = [], []
        for number, line in enumerate(lines, 1):
            term = line.strip()
            if not term or term.startswith("#"):
                continue
            if term.startswith("re:"):
                try:
                    patterns.append(re.compile(term[3:].strip(), re.IGNORECASE))
                except re.error as err:
                    raise TrainingError(f"{path} line {number}: not a regular expression "
                                        f"({err}).") from err
            else:
                literals.append(term)
        # Longest first: "请结合临床及其他检查" goes whole, not leaving "及其他检查" behind.
        compiled = [re.compile(re.escape(t), re.IGNORECASE)
                    for t in sorted(literals, key=len, reverse=True)]
        return cls(path, tuple(compiled + patterns))

    def remove(self, text: str) -> str:
        for pattern in self.patterns:
            text = pattern.sub("", text)
        return text


def strip_titles(text: str) -> str:
    """Remove section titles (repeated ones too) from the start of a field."""
    while match := _TITLE.match(text):
        text = text[match.end():]
    return text


def drop_repeated_sentences(text: str) -> str:
    """Keep the first of sentences that occur more than once in one field."""
    seen: set[str] = set()
    kept = []
    for sentence in _SENTENCE.findall(text):
        key = sentence_key(sentence)
        if key and key in seen:
            continue
        seen.add(key)
        kept.append(sentence)
    return "".join(kept)


def sentence_key(text: str) -> str:
    """What makes two sentences (or reports) the same: width, case, spaces and stops aside."""
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\s。；;！!？?.,，、]+", "", text)


def tidy(text: str) -> str:
    """Mend what a removal leaves: doubled punctuation, loose spaces, empty lines."""
    def keep_one(match: re.Match[str]) -> str:
        run = match.group(0).strip()
        for stop in "。.；;":
            if stop in run:
                return stop
        return run[-1]

    text = _PUNCT_RUN.sub(keep_one, text)
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    return "\n".join(line for line in lines if line).lstrip(_LEADING).strip()


@dataclass(frozen=True)
class Cleaned:
    text: str
    changes: frozenset[str]


def clean_text(text: str, corpus: TermCorpus) -> Cleaned:
    """One field cleaned, with the reasons it changed (none when it did not)."""
    changes = set()
    current = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    stripped = strip_titles(current)
    if stripped != current:
        changes.add(TITLE_REMOVED)
        current = stripped
    deduped = drop_repeated_sentences(current)
    if sentence_key(deduped) != sentence_key(current):
        changes.add(REPEAT_REMOVED)
        current = deduped
    removed = corpus.remove(current)
    if removed != current:
        changes.add(TERMS_REMOVED)
        current = tidy(removed)
    return Cleaned(current.strip(), frozenset(changes))
