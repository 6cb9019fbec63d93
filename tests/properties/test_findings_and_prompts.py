"""Property tests: pasted findings and the prompt built from them, over hostile text."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from property_text import ANY_TEXT, MIXED_TEXT, outcome, repeated_to

from radval_desktop.errors import InputError, ModelFileError
from radval_desktop.findings import (
    MAX_FINDINGS_CHARS,
    clean_findings,
    detect_language,
    suggest_body_system,
    suggest_modality,
)
from radval_desktop.prompts import (
    BODY_SYSTEMS,
    MODALITIES,
    Case,
    Example,
    build_prompt,
    bundled_templates,
    normalize_body_system,
    normalize_modality,
    render_prompt,
)

CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
# What a chat template in a GGUF could hold: syntax, sandbox probes, arithmetic that fails,
# loops and recursion. The GGUF is data from outside: none may crash a draft.
_ATOMS = ("messages", "messages[0]", "messages[0]['content']", "messages[9]", "m", "m.content",
          "m['role']", "bos_token", "eos_token", "add_generation_prompt", "x", "undefined_name",
          "0", "1", "10**9", "'a'", "[]", "{}", "none", "range(3)", "range(10**9)",
          "raise_exception('only user and assistant')", "''.__class__.__mro__",
          "().__class__.__subclasses__()", "lipsum.__globals__", "cycler.__init__.__globals__",
          "namespace()", "messages.append(1)", "'%s' % 1", "'{0.__class__}'.format(1)",
          "self._TemplateReference__context", "m()")
_BINARY = (" + ", " - ", " * ", " / ", " // ", " % ", " ** ", " ~ ", " and ", " or ", " in ")
_POSTFIX = ("|length", "|tojson", "|int", "|list", "|join", "|trim", "|first", ".__class__",
            "[0]", "['content']", "()", "")
_TERM = st.builds(lambda a, p: a + p, st.sampled_from(_ATOMS), st.sampled_from(_POSTFIX))
_EXPR = st.builds(lambda first, rest: first + "".join(op + t for op, t in rest), _TERM,
                  st.lists(st.tuples(st.sampled_from(_BINARY), _TERM), max_size=2))
_BLOCK = st.one_of(
    st.sampled_from(("text ", "\n", "<|im_start|>", "{{ ", " }}", "{% endfor %}", "'")),
    _EXPR.map(lambda e: "{{ " + e + " }}"),
    _EXPR.map(lambda e: "{{ " + e + " }}"),
    _EXPR.map(lambda e: "{% for m in " + e + " %}{{ m['content'] }}{% endfor %}"),
    _EXPR.map(lambda e: "{% if " + e + " %}y{% endif %}"),
    _EXPR.map(lambda e: "{% set x = " + e + " %}"),
    _EXPR.map(lambda e: "{% macro m() %}{{ " + e + " }}{% endmacro %}"),
)
CHAT_TEMPLATES = st.lists(_BLOCK, min_size=1, max_size=4).map("".join)


@settings(max_examples=600, deadline=1000)
@given(ANY_TEXT)
def test_clean_findings_returns_draftable_text_or_refuses_with_a_sentence(text: str) -> None:
    cleaned, refusal = outcome(clean_findings, text, refused=InputError)
    if refusal:
        assert refusal.endswith(".")  # a sentence for the radiologist
        return
    assert cleaned == cleaned.strip()
    assert cleaned
    assert 0 < len(cleaned) <= MAX_FINDINGS_CHARS
    assert "\x00" not in cleaned
    assert "\r" not in cleaned
    assert any(ch.isalnum() for ch in cleaned)
    cleaned.encode("utf-8")  # what llama.cpp tokenizes and SQLite stores: no lone surrogate


@settings(max_examples=200, deadline=1000)
@given(st.lists(st.characters(categories=["Cc"], exclude_characters="\n\t\r"), min_size=4,
                max_size=40).map("".join), st.text(max_size=100), st.randoms())
def test_text_with_many_control_characters_is_refused(control: str, words: str,
                                                     rng: random.Random) -> None:
    # A binary file or a terminal dump pasted by mistake is not findings: more than 1 in 100
    # characters (at least 4) that are control characters, wherever they sit.
    chars = list(words + control)
    rng.shuffle(chars)
    with pytest.raises(InputError):
        clean_findings("".join(chars))


@settings(max_examples=20, deadline=2000)
@given(repeated_to(5_000_000))
def test_five_megabytes_are_refused_at_once_with_the_length(text: str) -> None:
    # Five megabytes of whitespace are empty findings first: that is the more useful sentence.
    with pytest.raises(InputError, match="characters long" if text.strip() else "are empty"):
        clean_findings(text)


@settings(max_examples=400, deadline=1000)
@given(ANY_TEXT)
def test_hints_answer_from_their_lists_whatever_the_text(text: str) -> None:
    assert detect_language(text) in ("en", "zh")
    assert suggest_body_system(text) in (None, *BODY_SYSTEMS)
    assert suggest_modality(text) in (None, *MODALITIES)


@settings(max_examples=400, deadline=1000)
@given(ANY_TEXT)
def test_body_system_and_modality_are_known_or_refused(text: str) -> None:
    for normalize, known in ((normalize_body_system, BODY_SYSTEMS),
                             (normalize_modality, MODALITIES)):
        value, refusal = outcome(normalize, text)
        assert value in known or refusal.startswith("Unknown")


_FINDINGS = ANY_TEXT.filter(lambda t: any(ch.isalnum() for ch in t))


@settings(max_examples=400, deadline=1000)
@given(_FINDINGS, st.sampled_from(BODY_SYSTEMS), st.sampled_from(MODALITIES),
       st.sampled_from(("en", "zh", "fr", "")),
       st.sampled_from([None, *bundled_templates().templates]),
       st.lists(st.builds(Example, MIXED_TEXT, MIXED_TEXT), max_size=3))
def test_prompt_carries_the_findings_last_and_renders_both_ways(
        findings: str, system: str, modality: str, language: str, template: str | None,
        examples: list[Example]) -> None:
    try:
        findings = clean_findings(findings)
    except InputError:
        return
    prompt = build_prompt(Case(findings, system, modality, language), template, examples)
    assert prompt.language in ("en", "zh")
    assert prompt.template_version == bundled_templates().version
    assert prompt.user.endswith(findings.strip())  # the case comes after any example
    assert prompt.system
    for chat_template in (CHATML, None):
        rendered = render_prompt(prompt, chat_template, "<s>", "</s>")
        assert findings.strip() in rendered.text
        assert rendered.used_chat_template == (chat_template is not None)
    # The same case gives the same bytes: training and drafting share this builder.
    again = build_prompt(Case(findings, system, modality, language), template, examples)
    assert render_prompt(again, CHATML).text == render_prompt(prompt, CHATML).text


@settings(max_examples=500, deadline=2000)
@given(CHAT_TEMPLATES)
def test_any_chat_template_renders_falls_back_or_is_refused(chat_template: str) -> None:
    prompt = build_prompt(Case("Small right pleural effusion.", "chest", "CT", "en"))
    rendered, refusal = outcome(render_prompt, prompt, chat_template, refused=ModelFileError)
    if refusal:  # reaching out of the sandbox, or building far more than a prompt
        assert "leave its sandbox" in refusal or "larger than a prompt" in refusal
        return
    assert isinstance(rendered.text, str)
    if not rendered.used_chat_template:
        assert rendered.note  # says why the plain layout was used
        assert "Small right pleural effusion." in rendered.text


@pytest.mark.parametrize("chat_template", [
    "{{ 1/0 }}",
    "{{ 'a' | int + [] }}",
    "{% for i in range(10**9) %}x{% endfor %}",
    "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
])
def test_chat_template_that_fails_in_python_falls_back_to_the_plain_layout(
        chat_template: str) -> None:
    # Found by the property above: these raised ZeroDivisionError, TypeError, OverflowError
    # and RecursionError out of render_prompt, so every draft with such a model failed as a bug.
    prompt = build_prompt(Case("Small right pleural effusion.", "chest", "CT", "en"))
    rendered = render_prompt(prompt, chat_template)
    assert not rendered.used_chat_template
    assert "chat template failed" in rendered.note


@pytest.mark.parametrize("chat_template", [
    "{{ 'a' * 10**10 }}",  # 10 GB before the first token
    "{{ 10**9 * [1] }}",
    "{{ 2 ** (10**9) }}",  # hours of big-integer arithmetic
])
def test_chat_template_that_would_take_the_machine_is_refused(chat_template: str) -> None:
    prompt = build_prompt(Case("Small right pleural effusion.", "chest", "CT", "en"))
    with pytest.raises(ModelFileError, match="larger than a prompt"):
        render_prompt(prompt, chat_template)
