"""The one place a prompt is built: drafting, CLI, batch evaluation and training import it."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Template as Template_
from jinja2 import TemplateError
from jinja2.exceptions import SecurityError

from radval_desktop import paths
from radval_desktop.aliases import BODY_SYSTEMS as BODY_SYSTEMS  # re-exported: prompts' names
from radval_desktop.aliases import MODALITIES as MODALITIES
from radval_desktop.aliases import load_aliases
from radval_desktop.chat_template import (
    MAX_VALUE_SIZE,
    MEMORY_GROWTH_LIMIT,
    RENDER_BUILD_LIMIT,
    ChatTemplateSandbox,
    RenderTooBig,
    RenderTooLong,
    TemplateTooLarge,
    render_bounded,
)
from radval_desktop.errors import ModelFileError, RadvalError, Words, sentence

LANGUAGES = ("en", "zh")
@dataclass(frozen=True)
class Template:
    id: str
    title: str
    instruction: dict[str, str]  # language -> text


@dataclass(frozen=True)
class TemplateSet:
    version: str
    default_template: str
    system: dict[str, str]
    labels: dict[str, dict[str, str]]
    body_systems: dict[str, dict[str, str]]
    modalities: dict[str, dict[str, str]]
    templates: dict[str, Template]
    # Said on a retry after a draft that restated the findings (issue 15); a template file
    # written before it existed has none.
    strict: dict[str, str] = field(default_factory=dict)
    # Said on a retry after a draft that contradicted the findings; "{quote}" is replaced by
    # the words of the findings it contradicted.
    correct: dict[str, str] = field(default_factory=dict)
    # The template for prompts whose examples are the user's past reports (issue 15).
    corpus_template: str = ""

    def template(self, template_id: str | None) -> Template:
        key = template_id or self.default_template
        try:
            return self.templates[key]
        except KeyError:
            known = ", ".join(self.templates)
            raise RadvalError(sentence("RadvalError",
                                       "There is no prompt template '{key}'; known: {known}."),
                              key=key, known=known) from None


@dataclass(frozen=True)
class Case:
    findings: str
    body_system: str
    modality: str
    language: str


@dataclass(frozen=True)
class Example:
    """A past findings -> impression pair shown to the model before the case."""

    findings: str
    impression: str


@dataclass(frozen=True)
class Prompt:
    template_id: str
    template_version: str
    language: str
    system: str
    user: str
    # Examples as earlier (user, assistant) turns of the conversation: chat models learn a
    # task from turns they have seen answered, and copy a block of examples into their answer
    # when the examples are pasted inside one message (issue 15).
    turns: tuple[tuple[str, str], ...] = ()

    def messages(self) -> list[dict[str, str]]:
        messages = [{"role": "system", "content": self.system}]
        for user, assistant in self.turns:
            messages += [{"role": "user", "content": user},
                         {"role": "assistant", "content": assistant}]
        return [*messages, {"role": "user", "content": self.user}]


def default_templates_file() -> Path:
    return paths.resources_dir() / "prompt_templates.toml"


def load_templates(path: Path | None = None) -> TemplateSet:
    """Read the versioned template file; a broken file is a RadvalError naming it."""
    path = path or default_templates_file()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        templates = {
            t["id"]: Template(t["id"], t.get("title", t["id"]), {k: t[k] for k in LANGUAGES})
            for t in raw["templates"]
        }
        result = TemplateSet(
            version=str(raw["version"]),
            default_template=raw["default_template"],
            system={lang: raw["system"][lang]["text"] for lang in LANGUAGES},
            labels={lang: dict(raw["labels"][lang]) for lang in LANGUAGES},
            body_systems={lang: dict(raw["body_systems"][lang]) for lang in LANGUAGES},
            modalities={lang: dict(raw["modalities"][lang]) for lang in LANGUAGES},
            templates=templates,
            strict={lang: text for lang, text in raw.get("strict", {}).items()
                    if lang in LANGUAGES},
            correct={lang: text for lang, text in raw.get("correct", {}).items()
                     if lang in LANGUAGES},
            corpus_template=raw.get("corpus_template", ""),
        )
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as err:
        raise RadvalError(sentence("RadvalError",
                                   "The prompt template file {path} cannot be used: {err!r}."),
                          path=path, err=err) from err
    result.template(result.default_template)
    if result.corpus_template:
        result.template(result.corpus_template)
    return result


@cache
def bundled_templates() -> TemplateSet:
    return load_templates()


def normalize_modality(modality: str) -> str:
    """RadVal's name for a modality as written ("DR" -> "XR"), by resources/aliases.toml."""
    return load_aliases().modality(modality)


def normalize_body_system(body_system: str) -> str:
    """RadVal's name for a body system as written ("胸部" -> "chest"), by the same list."""
    return load_aliases().body_system(body_system)


# Chat markup of the model families we run (ChatML/Qwen, Llama 3, Llama 2, Gemma, Mistral,
# DeepSeek's full-width bars, Qwen's user-defined <tool_call> and <think>). The rendered
# prompt is tokenized with special tokens parsed, so this text pasted in findings or
# imported in an example would act as a control token: "<|im_start|>system ..." inside the
# findings would open a new system turn (issue 17). No report needs it: it is removed.
_MARKUP = re.compile(
    r"<\|[^<>|\n]{0,64}\|>|<｜[^<>｜\n]{0,64}｜>|</?s>|<(?:start|end)_of_(?:turn|image)>"
    r"|<(?:bos|eos|pad|unk)>|</?(?:tool_call|tool_response|think)>|<</?SYS>>"
    r"|\[/?(?:INST|TOOL_CALLS|AVAILABLE_TOOLS|TOOL_RESULTS|TOOL_CONTENT|SYSTEM_PROMPT|THINK"
    r"|IMG|IMG_BREAK|IMG_END)\]", re.IGNORECASE)


def plain_text(text: str) -> str:
    """``text`` without chat markup, stripped: what a prompt may quote of the user's text."""
    # Removing can join the pieces around it into new markup ("<|im_<|x|>start|>"). A second
    # pass puts a space where markup is left: the space is inside whatever a third pass
    # would find, and no special token holds a space. Two passes: linear, unlike a loop.
    return _MARKUP.sub(" ", _MARKUP.sub("", text)).strip()


def build_prompt(
    case: Case,
    template_id: str | None = None,
    examples: Sequence[Example] = (),
    templates: TemplateSet | None = None,
) -> Prompt:
    """System description + expert instruction + input (SPEC §3).

    Examples, when given, are earlier turns: each example's findings as a user message, its
    impression as the assistant's answer. The instruction, body system and modality (the same
    for every turn) are said once, in the first user message, so a prompt without examples is
    unchanged and each example costs only its own words (prompt time on a CPU).
    """
    ts = templates or bundled_templates()
    lang = case.language if case.language in LANGUAGES else "en"
    template = ts.template(template_id)
    labels = ts.labels[lang]
    system_name = ts.body_systems[lang][normalize_body_system(case.body_system)]
    modality_name = ts.modalities[lang][normalize_modality(case.modality)]
    # Plain replacement of the two known fields, never str.format: a template can come from a
    # model card, and "{modality:>8000000000}" made format allocate 8 GB, "{x}" raised in
    # every draft (issue 17). Any other brace is kept as written.
    instruction = (template.instruction[lang].replace("{body_system}", system_name)
                   .replace("{modality}", modality_name))
    sep = "：" if lang == "zh" else ": "

    header = (f"{instruction}\n\n{labels['body_system']}{sep}{system_name}\n"
              f"{labels['modality']}{sep}{modality_name}\n")
    turns = [(f"{labels['findings']}{sep}{plain_text(e.findings)}", plain_text(e.impression))
             for e in examples]
    user = f"{labels['findings']}{sep}{plain_text(case.findings)}"
    if turns:
        turns[0] = (header + turns[0][0], turns[0][1])
    else:
        user = header + user
    return Prompt(
        template_id=template.id,
        template_version=ts.version,
        language=lang,
        system=ts.system[lang],
        user=user,
        turns=tuple(turns),
    )


def stricter(prompt: Prompt, templates: TemplateSet | None = None) -> Prompt:
    """The same prompt with the template file's warning against restating the findings.

    The warning ends the case's message: everything before it is the prompt already
    evaluated, which llama.cpp keeps, so a retry costs only the warning's tokens.
    """
    ts = templates or bundled_templates()
    warning = ts.strict.get(prompt.language, "")
    return replace(prompt, user=f"{prompt.user}\n\n{warning}") if warning else prompt


def corrected(prompt: Prompt, quote: str, templates: TemplateSet | None = None) -> Prompt:
    """The same prompt ending on the words of the findings that the last draft contradicted.

    A small model copies the side or the "normal" of its examples; pointing at the very
    words it went against is what changes its answer (sampling alone gave the same draft
    three times). ``quote`` goes in by plain replacement, never ``str.format``: it is the
    user's text.
    """
    ts = templates or bundled_templates()
    hint = ts.correct.get(prompt.language, "")
    if not hint or not quote:
        return stricter(prompt, templates)
    quoted = hint.replace("{quote}", plain_text(quote))  # the user's words: no chat markup
    return replace(prompt, user=f"{prompt.user}\n\n{quoted}")


def impression_label(language: str, templates: TemplateSet | None = None) -> str:
    ts = templates or bundled_templates()
    return ts.labels[language if language in LANGUAGES else "en"]["impression"]


@dataclass(frozen=True)
class RenderedPrompt:
    text: str
    used_chat_template: bool
    note: str  # why the plain layout was used, when it was
    note_words: Words | None = None  # the note for the window's translation


def _plain(prompt: Prompt, template: str, **values: object) -> RenderedPrompt:
    words = Words("PromptNotes", template, tuple(values.items()))
    return RenderedPrompt(render_plain(prompt), False, str(words), words)


def render_plain(prompt: Prompt) -> str:
    """The layout for models without a chat template (and base models in training)."""
    sep = "：" if prompt.language == "zh" else ": "
    label = impression_label(prompt.language)
    shown = "".join(f"{user}\n{label}{sep}{answer}\n\n" for user, answer in prompt.turns)
    return f"{prompt.system}\n\n{shown}{prompt.user}\n{label}{sep}"


_jinja = ChatTemplateSandbox(trim_blocks=True, lstrip_blocks=True)


@lru_cache(maxsize=8)
def _compiled(chat_template: str) -> Template_:
    # Compiling Qwen's template costs ~18 ms: once per model, not once per draft.
    return _jinja.from_string(chat_template)


def _raise_exception(message: str) -> None:
    raise TemplateError(message)


# A chat template renders in milliseconds; one still running after this is looping on
# purpose or by mistake ({% for a in range(99999) %}{% for b in range(99999) %}...).
RENDER_BUDGET_SECONDS = 2.0


def render_prompt(
    prompt: Prompt,
    chat_template: str | None,
    bos_token: str = "",
    eos_token: str = "",
    extra: dict[str, Any] | None = None,
) -> RenderedPrompt:
    """Render with the model's own chat template when it has one, else the plain layout.

    The template runs in Jinja's immutable sandbox: a GGUF is data from outside and its
    template must not reach Python objects, nor build more than a prompt (chat_template.py).
    """
    if not chat_template:
        return _plain(prompt, sentence("PromptNotes", "the model has no chat template"))
    try:
        text = render_bounded(
            _compiled(chat_template), RENDER_BUDGET_SECONDS,
            messages=prompt.messages(),
            add_generation_prompt=True,
            bos_token=bos_token,
            eos_token=eos_token,
            raise_exception=_raise_exception,
            **(extra or {}),
        )
    except RenderTooLong as err:
        raise ModelFileError(
            sentence("RadvalError",
                     "The model's chat template was still running after {render_budget_seconds:g} "
                     "s (a template loops for ever) and was refused; ask IT for a trustworthy "
                     "model file."),
            render_budget_seconds=RENDER_BUDGET_SECONDS
        ) from err
    except (TemplateTooLarge, RenderTooBig) as err:
        raise ModelFileError(
            sentence("RadvalError",
                     "The model's chat template builds a text far larger than a prompt (a value "
                     "over {max_value_size:,} characters, or {render_build_limit:,} in all, or "
                     "{megabytes} MB of memory) and was refused; ask IT for a trustworthy model "
                     "file."),
            max_value_size=MAX_VALUE_SIZE, render_build_limit=RENDER_BUILD_LIMIT,
            megabytes=MEMORY_GROWTH_LIMIT // 2**20
        ) from err
    except SecurityError as err:
        raise ModelFileError(
            sentence("RadvalError",
                     "The model's chat template tries to leave its sandbox and was refused; ask "
                     "IT for a trustworthy model file.")
        ) from err
    except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError,
            RecursionError, MemoryError) as err:
        # The template is the GGUF's, not ours: one that fails in Python ({{ 1/0 }}, a range
        # the sandbox refuses, endless recursion) is a bad model file, not a RadVal bug.
        return _plain(prompt, sentence("PromptNotes", "the model's chat template failed "
                                       "({error}); plain layout"), error=err)
    if prompt.user.strip() not in text:
        # A template that drops or garbles the user's message would draft from no findings.
        return _plain(prompt, sentence("PromptNotes", "the model's chat template leaves out the "
                                       "findings; plain layout"))
    return RenderedPrompt(text, True, "")
