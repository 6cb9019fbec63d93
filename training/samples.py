"""Training samples: the app's own prompt as input, the impression as the only target.

The prompt text is what drafting renders for the same case (radval_desktop.prompts:
build_prompt, then render_prompt with the model's chat template and BOS/EOS texts), and it
is tokenized on its own, as llama.cpp tokenizes it before generating; the impression's
tokens and EOS follow. Only those carry a loss (prompt labels are -100).

A prompt over train.max_source_length keeps the findings' first whole sentences that fit
(issue 16: dropping long reports left out the complex cases); the impression is never cut,
so a sample whose impression (or whose prompt without findings) does not fit is dropped.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from radval_desktop.prompts import RenderedPrompt, TemplateSet, build_prompt, render_prompt
from training.records import Report

IGNORE_INDEX = -100  # the label torch's cross-entropy skips

PROMPT_TOO_LONG = ("prompt longer than train.max_source_length even with the findings cut to "
                   "their first sentence")
IMPRESSION_TOO_LONG = "impression longer than train.max_target_length"

# Where findings may be cut: after a sentence's end (Chinese stops, a newline, or an English
# full stop before a space, so "3.5 cm" is never split); failing that, after a clause (Chinese
# reports often write a whole examination as one sentence of clauses: "…增多，…条索影，…").
_SENTENCE_END = re.compile(r"[。；;！!？?\n]+|\.(?=\s)")
_CLAUSE_END = re.compile(r"[，、]+|,(?=\s)")


@dataclass(frozen=True)
class PromptStyle:
    """What render_prompt needs from the model: its chat template and BOS/EOS texts."""

    chat_template: str | None
    bos: str
    eos: str


def prompt_style(tokenizer: Any) -> PromptStyle:
    # These are the values the converter writes into the GGUF (tokenizer.chat_template and
    # the BOS/EOS tokens), which the app passes to render_prompt when drafting.
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, dict):  # several named templates: llama.cpp takes "default"
        template = template.get("default")
    return PromptStyle(template if isinstance(template, str) and template else None,
                       tokenizer.bos_token or "", tokenizer.eos_token or "")


def render(report: Report, template_id: str, templates: TemplateSet,
           style: PromptStyle) -> RenderedPrompt:
    prompt = build_prompt(report.case(), template_id, templates=templates)
    return render_prompt(prompt, style.chat_template, style.bos, style.eos)


@dataclass(frozen=True)
class Sample:
    report_id: str
    input_ids: list[int]
    labels: list[int]

    def as_features(self) -> dict[str, list[int]]:
        return {"input_ids": self.input_ids, "labels": self.labels}


def encode(tokenizer: Any, prompt_text: str, impression: str, report_id: str,
           max_source: int, max_target: int) -> Sample | str:
    """The sample, or why it cannot be one as it is (fit_sample then cuts the findings)."""
    prompt_ids = list(tokenizer(prompt_text, add_special_tokens=True)["input_ids"])
    target_ids = list(tokenizer(impression, add_special_tokens=False)["input_ids"])
    target_ids.append(tokenizer.eos_token_id)
    if len(target_ids) > max_target:  # first: no cut of the findings can mend this one
        return IMPRESSION_TOO_LONG
    if len(prompt_ids) > max_source:
        return PROMPT_TOO_LONG
    return Sample(report_id, prompt_ids + target_ids,
                  [IGNORE_INDEX] * len(prompt_ids) + target_ids)


@dataclass(frozen=True)
class SampleSet:
    samples: list[Sample]
    dropped: dict[str, int]
    used_chat_template: bool
    truncated: int = 0
    # report id -> the findings its sample was trained on, for each report whose were cut
    findings: dict[str, str] = field(default_factory=dict)


def _first_sentences(text: str, fits: Callable[[str], bool]) -> str:
    """The longest run of ``text``'s first whole sentences (else clauses) for which ``fits``
    holds; "" when not even the first clause fits."""
    for boundary in (_SENTENCE_END, _CLAUSE_END):
        kept = _longest_prefix(text, [m.end() for m in boundary.finditer(text)
                                      if m.end() < len(text)], fits)
        if kept:
            return kept
    return ""


def _longest_prefix(text: str, ends: list[int], fits: Callable[[str], bool]) -> str:
    low, high, best = 0, len(ends) - 1, ""
    while low <= high:  # prompts grow with the findings: the cut that fits is found by halving
        middle = (low + high) // 2
        candidate = text[: ends[middle]].rstrip()
        if fits(candidate):
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best


def fit_sample(report: Report, tokenizer: Any, template_id: str, templates: TemplateSet,
               style: PromptStyle, max_source: int, max_target: int
               ) -> tuple[Sample | str, str | None, bool]:
    """(the sample or why it was dropped, the findings it keeps when they were cut, whether
    the model's chat template was used)."""
    rendered = render(report, template_id, templates, style)
    result = encode(tokenizer, rendered.text, report.impression, report.id, max_source,
                    max_target)
    if result != PROMPT_TOO_LONG:
        return result, None, rendered.used_chat_template

    def prompt_of(findings: str) -> str:
        return render(dataclasses.replace(report, findings=findings), template_id, templates,
                      style).text

    def fits(findings: str) -> bool:
        ids = tokenizer(prompt_of(findings), add_special_tokens=True)["input_ids"]
        return len(ids) <= max_source

    kept = _first_sentences(report.findings, fits)
    if not kept:
        return PROMPT_TOO_LONG, None, rendered.used_chat_template
    cut = encode(tokenizer, prompt_of(kept), report.impression, report.id, max_source,
                 max_target)
    return cut, kept, rendered.used_chat_template


def build_samples(reports: Sequence[Report], tokenizer: Any, template_id: str,
                  templates: TemplateSet, max_source: int, max_target: int) -> SampleSet:
    style = prompt_style(tokenizer)
    samples: list[Sample] = []
    dropped: Counter[str] = Counter()
    cut: dict[str, str] = {}
    used_chat = False
    for report in reports:
        result, kept, chat = fit_sample(report, tokenizer, template_id, templates, style,
                                        max_source, max_target)
        used_chat = used_chat or chat
        if isinstance(result, str):
            dropped[result] += 1
            continue
        samples.append(result)
        if kept is not None:
            cut[report.id] = kept
    return SampleSet(samples, dict(dropped), used_chat, len(cut), cut)


class SampleDataset:
    """A map-style dataset of samples (torch's DataLoader needs only len and getitem)."""

    def __init__(self, samples: Sequence[Sample]) -> None:
        self.samples = list(samples)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> dict[str, list[int]]:
        return self.samples[index].as_features()


class PadCollator:
    """Right-pads a batch: pad id in the inputs, -100 in the labels, 0 in the mask."""

    def __init__(self, pad_token_id: int) -> None:
        self.pad_token_id = pad_token_id

    def __call__(self, features: list[dict[str, list[int]]]) -> dict[str, Any]:
        import torch

        width = max(len(f["input_ids"]) for f in features)
        ids, labels, mask = [], [], []
        for f in features:
            pad = width - len(f["input_ids"])
            ids.append(f["input_ids"] + [self.pad_token_id] * pad)
            labels.append(f["labels"] + [IGNORE_INDEX] * pad)
            mask.append([1] * len(f["input_ids"]) + [0] * pad)
        return {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels),
                "attention_mask": torch.tensor(mask)}
