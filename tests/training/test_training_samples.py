"""Training samples: the app's prompt, loss on the impression only, long findings cut."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from radval_desktop.prompts import build_prompt, load_templates, render_prompt
from training.records import Report
from training.samples import (
    IGNORE_INDEX,
    IMPRESSION_TOO_LONG,
    PROMPT_TOO_LONG,
    PadCollator,
    build_samples,
    prompt_style,
    render,
)

REPORT = Report(id="H1:x.csv:2", institution="H1", source="x.csv", line=2,
                language="zh", body_system="chest", modality="CT", age=45.0, sex="F",
                findings="双肺纹理清晰，右肺上叶见一磨玻璃结节。",
                impression="右肺上叶磨玻璃结节。")


@pytest.fixture(scope="module")
def tokenizer(tiny_base: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tiny_base), local_files_only=True)


def test_training_prompt_is_the_app_s_prompt(tokenizer: Any) -> None:
    templates = load_templates()
    for template_id in templates.templates:
        app = render_prompt(build_prompt(REPORT.case(), template_id),
                            tokenizer.chat_template, tokenizer.bos_token, tokenizer.eos_token)
        trained = render(REPORT, template_id, templates, prompt_style(tokenizer))
        assert trained.text == app.text
        assert trained.used_chat_template
        assert REPORT.findings in trained.text


def test_loss_is_on_the_impression_and_eos_only(tokenizer: Any) -> None:
    samples = build_samples([REPORT], tokenizer, "t1_terse", load_templates(), 512, 512)
    (sample,) = samples.samples
    prompt_len = sum(label == IGNORE_INDEX for label in sample.labels)
    assert sample.labels[:prompt_len] == [IGNORE_INDEX] * prompt_len
    target = sample.labels[prompt_len:]
    assert target == sample.input_ids[prompt_len:]
    assert target[-1] == tokenizer.eos_token_id
    assert tokenizer.decode(target, skip_special_tokens=True).strip() == REPORT.impression
    # The prompt part is the prompt tokenized alone, as llama.cpp tokenizes it to draft.
    text = render(REPORT, "t1_terse", load_templates(), prompt_style(tokenizer)).text
    assert sample.input_ids[:prompt_len] == tokenizer(text)["input_ids"]
    assert sample.input_ids[0] == tokenizer.bos_token_id


LONG = Report(id="H1:x.csv:3", institution="H1", source="x.csv", line=3,
              language="zh", body_system="chest", modality="CT", age=60.0, sex="M",
              findings="双肺纹理清晰。右肺上叶见一磨玻璃结节，大小约6mm。纵隔未见肿大淋巴结。"
                       "心影不大。双侧胸腔未见积液。所见骨质未见异常。",
              impression="右肺上叶磨玻璃结节。")


def _prompt_tokens(tokenizer: Any, report: Report) -> int:
    text = render(report, "t1_terse", load_templates(), prompt_style(tokenizer)).text
    return len(tokenizer(text)["input_ids"])


def test_long_findings_are_cut_at_a_sentence_and_the_impression_kept_whole(
        tokenizer: Any) -> None:
    templates = load_templates()
    whole = _prompt_tokens(tokenizer, LONG)
    limit = whole - 8  # the last sentence or two no longer fit
    cut = build_samples([LONG], tokenizer, "t1_terse", templates, limit, 512)
    assert cut.dropped == {}
    assert cut.truncated == 1
    (sample,) = cut.samples
    prompt_len = sum(1 for label in sample.labels if label == IGNORE_INDEX)
    assert prompt_len <= limit
    # The findings in the prompt are the first whole sentences of the report's findings.
    kept = cut.findings[LONG.id]
    assert LONG.findings.startswith(kept)
    assert kept.endswith("。")
    assert len(kept) < len(LONG.findings)
    shorter = Report(**{**LONG.__dict__, "findings": kept})
    assert sample.input_ids[:prompt_len] == tokenizer(
        render(shorter, "t1_terse", templates, prompt_style(tokenizer)).text)["input_ids"]
    # The impression and EOS are the target, whole.
    target = tokenizer(LONG.impression, add_special_tokens=False)["input_ids"]
    assert sample.labels[prompt_len:] == [*target, tokenizer.eos_token_id]
    # What fits is not touched.
    untouched = build_samples([LONG], tokenizer, "t1_terse", templates, whole, 512)
    assert (untouched.truncated, untouched.findings) == (0, {})


def test_samples_that_cannot_keep_the_impression_whole_are_dropped(tokenizer: Any) -> None:
    templates = load_templates()
    # Not even the prompt without findings fits: dropped, not cut to nothing.
    short_source = build_samples([REPORT], tokenizer, "t1_terse", templates, 10, 512)
    assert not short_source.samples
    assert short_source.dropped == {PROMPT_TOO_LONG: 1}
    # The impression alone is longer than the target budget: dropped, never cut.
    short_target = build_samples([REPORT], tokenizer, "t1_terse", templates, 512, 2)
    assert short_target.dropped == {IMPRESSION_TOO_LONG: 1}


def test_padding_is_masked(tokenizer: Any) -> None:
    collate = PadCollator(pad_token_id=0)
    batch = collate([{"input_ids": [5, 6, 7], "labels": [-100, 6, 7]},
                     {"input_ids": [5], "labels": [5]}])
    assert batch["input_ids"].tolist() == [[5, 6, 7], [5, 0, 0]]
    assert batch["labels"].tolist() == [[-100, 6, 7], [5, -100, -100]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
