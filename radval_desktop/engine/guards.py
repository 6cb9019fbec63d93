"""Output guards (SPEC §5): empty drafts, drafts stuck repeating, echoed labels and findings."""

from __future__ import annotations

import re
from dataclasses import dataclass

from radval_desktop.errors import Words, sentence

# A unit repeated back to back this often is a loop, not style. Short units need more
# repeats: "。。" or "1. 1." happen in real text; ten in a row do not.
_LOOP = re.compile(r"(.{1,80}?)\1{2,}", re.DOTALL)

_LABELS = (
    r"impressions?", r"conclusions?", r"diagnosis", r"summary", r"印象", r"诊断意见", r"诊断",
    r"结论", r"影像诊断", r"影像学诊断", r"意见",
)
_LABEL = re.compile(
    r"^\s*(?:[#*>\-]+\s*)?(?:\*\*)?(?:" + "|".join(_LABELS) + r")(?:\*\*)?\s*[:：]\s*(?:\*\*)?",
    re.IGNORECASE,
)
# The model starting a new report section: everything from here is not the impression.
_NEXT_SECTION = re.compile(
    r"\n\s*(?:\*\*)?(?:findings|body system|modality|example \d+"
    r"|检查所见|检查部位|检查方式|示例\s*\d+)(?:\*\*)?\s*[:：]",
    re.IGNORECASE,
)
# A first line that only announces the impression ("The impression for this CT would be:",
# "诊断意见如下：") is preamble, not content.
_PREAMBLE = re.compile(
    r"^[^\n]{0,80}(?:impression|conclusion|diagnos\w*|summary|印象|诊断|意见|结论)[^\n]{0,40}"
    r"[:：]\s*(?:\n|$)",
    re.IGNORECASE,
)
# "胸部CT检查的诊断意见：右肺炎症" / "The impression is: …": a short lead-in naming the
# impression before a colon on the same line.
_LEAD_IN = re.compile(
    r"^(?:[^\n:：]{0,20}(?:诊断意见|印象|结论)|(?:the\s+)?impression[^\n:：.]{0,40})[:：]\s*",
    re.IGNORECASE,
)
_FENCE = re.compile(r"^```[a-z]*\s*|\s*```\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Loop:
    unit: str
    repeats: int
    start: int

    def describe(self) -> str:
        return str(self.words())

    def words(self) -> Words:
        unit = self.unit if len(self.unit) <= 20 else self.unit[:20] + "…"
        return Words("Guards", sentence("Guards", "'{unit}' repeated {repeats} times"),
                     (("unit", unit), ("repeats", self.repeats)))


def find_loop(text: str) -> Loop | None:
    """The first run of a unit repeated back to back often enough to be a loop."""
    for match in _LOOP.finditer(text):
        unit = match.group(1)
        repeats = len(match.group(0)) // len(unit)
        if not unit.strip():
            continue
        if (
            (len(unit) == 1 and repeats >= 10)
            or (len(unit) < 8 and repeats >= 4 and len(unit) * repeats >= 12)
            or (len(unit) >= 8 and repeats >= 3)
        ):
            return Loop(unit, repeats, match.start())
    return _repeated_line(text)


def _repeated_line(text: str) -> Loop | None:
    """The same sentence-long line three times, even with other lines between."""
    seen: dict[str, int] = {}
    for line in text.splitlines():
        key = re.sub(r"^\s*\d+[.、)]\s*", "", line).strip()
        if len(key) >= 6:
            seen[key] = seen.get(key, 0) + 1
            if seen[key] >= 3:
                return Loop(key, seen[key], text.find(key))
    return None


def strip_echo(text: str, findings: str = "") -> str:
    """Remove what the model echoed rather than wrote: fences, labels, the findings copied."""
    cut = _NEXT_SECTION.search("\n" + text)
    if cut:
        text = ("\n" + text)[: cut.start()]
    text = _FENCE.sub("", text.strip())
    # Markdown emphasis would land as literal asterisks in the reporting system.
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)
    previous = None
    while previous != text:
        previous = text
        text = _LABEL.sub("", text).strip()
        text = _PREAMBLE.sub("", text, count=1).strip()
        text = _LEAD_IN.sub("", text, count=1).strip()
        text = _drop_copied_findings(text, findings)
    return text.strip()


def _drop_copied_findings(text: str, findings: str) -> str:
    body = findings.strip()
    if len(body) < 20:
        return text
    if text.startswith(body):
        return text[len(body) :].strip()
    lines = [line for line in text.splitlines() if line.strip() and line.strip() not in body]
    # Only whole lines copied from the findings go; a short phrase shared with them stays.
    kept = [line for line in text.splitlines() if line.strip()]
    if lines and len(lines) < len(kept):
        long_copies = [
            line for line in kept if line.strip() in body and len(line.strip()) >= 20
        ]
        if long_copies:
            return "\n".join(line for line in kept if line not in long_copies)
    return text


def is_empty(text: str) -> bool:
    """True when nothing a radiologist could use is left: no letter, digit or CJK character."""
    return not any(ch.isalnum() for ch in text)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str  # "", "empty" or "repetition" (drafting adds "ran_on")
    detail: str
    words: Words | None = None  # the detail for the window's translation


def judge(text: str) -> Verdict:
    if is_empty(text):
        words = Words("Guards", sentence("Guards", "the model returned no text"))
        return Verdict(False, "empty", str(words), words)
    loop = find_loop(text)
    if loop:
        return Verdict(False, "repetition", loop.describe(), loop.words())
    return Verdict(True, "", "")
