"""Draft one impression: findings checked, prompt built, model streamed, guards applied."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from radval_desktop.engine.guards import find_loop, judge, strip_echo
from radval_desktop.engine.llama_engine import LlamaEngine
from radval_desktop.engine.model_card import read_card
from radval_desktop.engine.sampling import Sampling, retry_sampling
from radval_desktop.errors import InputError
from radval_desktop.findings import clean_findings, detect_language
from radval_desktop.prompts import (
    Case,
    Example,
    RenderedPrompt,
    build_prompt,
    normalize_body_system,
    normalize_modality,
    render_prompt,
)

# SPEC §5 asks for retries "before anything is shown as final"; two keep the worst case
# near three times one draft.
MAX_RETRIES = 2
# How often (in pieces) the stream is checked for a loop, so a stuck model is stopped
# early instead of running to max_tokens.
_LOOP_CHECK_EVERY = 8
_LOOP_WINDOW = 600


@dataclass(frozen=True)
class DraftRequest:
    findings: str
    body_system: str
    modality: str
    language: str = "auto"  # "auto", "en" or "zh"
    template_id: str | None = None
    examples: Sequence[Example] = ()


@dataclass(frozen=True)
class Attempt:
    sampling: Sampling
    raw_text: str
    verdict: str  # "ok", "empty", "repetition", "cancelled"
    detail: str
    prompt_tokens: int
    completion_tokens: int
    first_token_seconds: float | None
    seconds: float


@dataclass(frozen=True)
class DraftResult:
    text: str  # cleaned impression; "" when every attempt failed or it was cancelled
    raw_text: str  # the last attempt as the model wrote it
    ok: bool
    cancelled: bool
    message: str  # a sentence for the radiologist when not ok
    language: str
    template_id: str
    template_version: str
    prompt: str
    used_chat_template: bool
    prompt_note: str
    model_sha256: str
    sampling: Sampling
    attempts: tuple[Attempt, ...] = field(default_factory=tuple)
    first_token_seconds: float | None = None
    total_seconds: float = 0.0

    @property
    def completion_tokens(self) -> int:
        return sum(a.completion_tokens for a in self.attempts)

    @property
    def tokens_per_second(self) -> float:
        gen = sum(a.seconds - (a.first_token_seconds or 0.0) for a in self.attempts)
        tokens = sum(max(a.completion_tokens - 1, 0) for a in self.attempts)
        return tokens / gen if gen > 0 else 0.0


@dataclass(frozen=True)
class DraftToken:
    text: str


@dataclass(frozen=True)
class DraftRestarted:
    """A guard rejected the attempt; the pieces shown so far are to be cleared."""

    attempt: int
    reason: str


@dataclass(frozen=True)
class DraftDone:
    result: DraftResult


DraftEvent = DraftToken | DraftRestarted | DraftDone


def _stops(language: str) -> list[str]:
    # Chat models end on EOS; these catch a model that starts writing the next case.
    return ["\nFindings:", "\n检查所见", "<|im_end|>", "<|endoftext|>", "\n\n\n\n"]


def prepare(engine: LlamaEngine, request: DraftRequest) -> tuple[Case, RenderedPrompt, str]:
    """Validate the request and build the exact prompt text; raise InputError when unusable."""
    findings = clean_findings(request.findings)
    language = request.language if request.language in ("en", "zh") else detect_language(findings)
    case = Case(findings, normalize_body_system(request.body_system),
                normalize_modality(request.modality), language)
    assert engine.info is not None
    template_id, templates = request.template_id, None
    if not template_id:
        # A fine-tuned model is prompted as it was trained: its card's template (and the
        # template file training used), unless the user or IT chose a template.
        card = read_card(engine.path, engine.info.sha256)
        if card is not None:
            template_id, templates = card.template_id, card.templates()
    prompt = build_prompt(case, template_id, request.examples, templates)
    bos, eos = engine.special_tokens()
    rendered = render_prompt(prompt, engine.info.chat_template, bos, eos)
    return case, rendered, prompt.template_version + "|" + prompt.template_id


def check_fits(engine: LlamaEngine, prompt_text: str, sampling: Sampling) -> int:
    """Refuse findings that do not leave room for the impression, saying what is allowed."""
    assert engine.info is not None
    tokens = engine.count_tokens(prompt_text)
    room = engine.info.n_ctx - sampling.max_tokens
    if tokens > room:
        raise InputError(
            f"The findings are too long for this model: the prompt is {tokens:,} tokens and at "
            f"most {room:,} fit (context {engine.info.n_ctx:,} tokens, {sampling.max_tokens} kept "
            "for the impression). Shorten the findings or raise the context size in Settings."
        )
    return tokens


def draft_events(
    engine: LlamaEngine,
    request: DraftRequest,
    sampling: Sampling | None = None,
    cancel: threading.Event | None = None,
    max_retries: int = MAX_RETRIES,
) -> Iterator[DraftEvent]:
    """Stream a draft as events; the last event is always DraftDone.

    Raises InputError (before any token) when the findings cannot be drafted from.
    """
    sampling = sampling or Sampling()
    cancel = cancel or threading.Event()
    case, rendered, version_id = prepare(engine, request)
    template_version, template_id = version_id.split("|", 1)
    check_fits(engine, rendered.text, sampling)
    assert engine.info is not None
    started = time.perf_counter()
    attempts: list[Attempt] = []
    first_token: float | None = None
    text, raw, message = "", "", ""
    for number in range(max_retries + 1):
        current = retry_sampling(sampling, number)
        pieces: list[str] = []
        loop_detail = ""
        stream = engine.stream(rendered.text, current, cancel, _stops(case.language))
        for count, piece in enumerate(stream, 1):
            if first_token is None:
                first_token = time.perf_counter() - started
            pieces.append(piece)
            yield DraftToken(piece)
            if count % _LOOP_CHECK_EVERY == 0:
                loop = find_loop("".join(pieces)[-_LOOP_WINDOW:])
                if loop:
                    loop_detail = loop.describe()
                    break
        stats = engine.last_stats
        raw = "".join(pieces)
        if cancel.is_set():
            attempts.append(_attempt(current, raw, "cancelled", "stopped by the user", stats))
            break
        text = strip_echo(raw, case.findings)
        verdict = judge(text)
        if loop_detail and verdict.ok:
            verdict = judge(raw)
        if verdict.ok:
            attempts.append(_attempt(current, raw, "ok", "", stats))
            message = ""
            break
        attempts.append(_attempt(current, raw, verdict.reason, verdict.detail, stats))
        message = _failure_message(verdict.reason, verdict.detail, number + 1)
        text = ""
        if number < max_retries:
            yield DraftRestarted(number + 1, verdict.reason)
    cancelled = cancel.is_set()
    result = DraftResult(
        text="" if cancelled else text,
        raw_text=raw,
        ok=not cancelled and bool(text) and not message,
        cancelled=cancelled,
        message="Stopped." if cancelled else message,
        language=case.language,
        template_id=template_id,
        template_version=template_version,
        prompt=rendered.text,
        used_chat_template=rendered.used_chat_template,
        prompt_note=rendered.note,
        model_sha256=engine.info.sha256,
        sampling=sampling,
        attempts=tuple(attempts),
        first_token_seconds=first_token,
        total_seconds=time.perf_counter() - started,
    )
    yield DraftDone(result)


def _attempt(sampling: Sampling, raw: str, verdict: str, detail: str, stats: object) -> Attempt:
    from radval_desktop.engine.llama_engine import StreamStats

    assert isinstance(stats, StreamStats)
    return Attempt(sampling, raw, verdict, detail, stats.prompt_tokens, stats.completion_tokens,
                   stats.first_token_seconds, stats.total_seconds)


def _failure_message(reason: str, detail: str, tries: int) -> str:
    if reason == "empty":
        return f"The model gave no impression after {tries} tries; write this one by hand."
    return (f"The model got stuck repeating itself ({detail}) after {tries} tries; "
            "write this one by hand or try another template.")


def draft(
    engine: LlamaEngine,
    request: DraftRequest,
    sampling: Sampling | None = None,
    cancel: threading.Event | None = None,
) -> DraftResult:
    """Run a draft to the end and return its result (for the CLI and batch runs)."""
    for event in draft_events(engine, request, sampling, cancel):
        if isinstance(event, DraftDone):
            return event.result
    raise AssertionError("draft_events ended without DraftDone")
