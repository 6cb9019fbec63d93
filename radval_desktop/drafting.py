"""The one drafting pipeline: findings cleaned -> examples found -> prompt -> engine -> guards
-> safety checks -> one result. The window, `radval draft`, `radval batch` and the self-test
all call it, so what is measured is what the radiologist gets (issue 15)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from radval_desktop.engine.guards import Verdict, find_loop, judge, strip_echo
from radval_desktop.engine.llama_engine import LlamaEngine, StreamStats
from radval_desktop.engine.model_card import ModelCard, loaded_card
from radval_desktop.engine.sampling import Sampling, retry_sampling
from radval_desktop.errors import InputError, Words, sentence
from radval_desktop.findings import clean_findings, detect_language
from radval_desktop.prompts import (
    Case,
    Example,
    Prompt,
    RenderedPrompt,
    TemplateSet,
    build_prompt,
    bundled_templates,
    corrected,
    normalize_body_system,
    normalize_modality,
    render_prompt,
    stricter,
)
from radval_desktop.safety.checks import (
    CALLED_ABNORMAL,
    CALLED_NORMAL,
    LATERALITY,
    NEGATION,
    UNSUPPORTED,
    Flag,
    clause_around,
    current_findings,
    mentions,
    run_checks,
)
from radval_desktop.safety.danger import dangers
from radval_desktop.safety.restatement import find_restatement
from radval_desktop.safety.retrieval import DEFAULT_BUDGET_CHARS, DEFAULT_K
from radval_desktop.safety.terms import bundled_terms
from radval_desktop.starter_examples import AGAINST, FITS, NEUTRAL, pick_starter_examples

# SPEC §5 asks for retries "before anything is shown as final"; two keep the worst case
# near three times one draft.
# A restatement is caught after it is written, not banned while decoding: forbidding the
# token that would extend a verbatim copy of the findings (runs of 6-12 tokens, tried on
# the default model) made it copy with small corruptions instead ("磨璃影", "纵间隔",
# "直径约8mm" -> "6mm"), which no guard can tell from a summary.
MAX_RETRIES = 2
# How often (in pieces) the stream is checked for a loop, so a stuck model is stopped
# early instead of running to max_tokens.
_LOOP_CHECK_EVERY = 8
_LOOP_WINDOW = 600
# An impression is shorter than its findings: of the 2,469 real ones in ../shared/data none
# runs more than 48 tokens past its findings (3 run 33-38 past them), and the longest has 88
# tokens. A draft that has not ended by then is writing something else (a MedPix draft wrote
# 512 tokens of another case history): it is stopped there and retried, instead of running
# to max_tokens (512, the paper's: ~50 s at 100 ms a token on a 2-core CPU).
RUN_ON_MARGIN = 48
RUN_ON_MOST = 256
# Where a draft's examples came from.
CORPUS, STARTER, GIVEN, NONE = "corpus", "starter", "given", "none"


class ExampleSource(Protocol):
    """A corpus of past findings -> impression pairs (safety.retrieval.ExampleCorpus)."""

    def similar(self, findings: str, body_system: str, k: int = ..., institution: str = ...,
                budget_chars: int = ..., *, exclude_near: str | None = ...) -> list[Example]: ...


STOPPED = sentence("RadvalError", "Stopped.")


@dataclass(frozen=True)
class DraftRequest:
    findings: str
    body_system: str
    modality: str
    language: str = "auto"  # "auto", "en" or "zh"
    template_id: str | None = None
    # Examples given by the caller (benches, tests): no retrieval then. None: the pipeline
    # finds them: ``examples_k`` past pairs from the corpus, else our starter examples.
    examples: Sequence[Example] | None = None
    examples_k: int = 0
    examples_chars: int = DEFAULT_BUDGET_CHARS
    institution: str = ""


@dataclass(frozen=True)
class Attempt:
    sampling: Sampling
    raw_text: str
    verdict: str  # "ok", "empty", "repetition", "ran_on", "restated", "contradicts", "copied",
    # "cancelled"
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
    examples: tuple[Example, ...] = ()
    example_source: str = NONE  # CORPUS, STARTER, GIVEN or NONE
    flags: tuple[Flag, ...] = ()  # the safety checks of ``text`` against the findings
    dangers: tuple[str, ...] = ()  # safety.danger kinds of ``text`` (SPEC §9)
    restated: bool = False  # every attempt restated the findings: not shown as a draft
    # ``message`` as a template and its values: the window shows it in its language.
    message_template: str = ""
    message_values: tuple[tuple[str, object], ...] = ()
    prompt_note_words: tuple[Words, ...] = ()  # ``prompt_note``'s parts, for the window

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
    # "\n\n": an impression is one paragraph; what follows a blank line is the model
    # starting something else (an explanation, the next case).
    return ["\nFindings:", "\n检查所见", "\nBody system:", "\n检查部位", "<|im_end|>",
            "<|endoftext|>", "\n\n"]


@dataclass(frozen=True)
class Prepared:
    """Everything about a draft decided before the model runs."""

    case: Case
    prompt: Prompt
    rendered: RenderedPrompt
    prompt_tokens: int
    examples: tuple[Example, ...]
    example_source: str
    note: str  # said once to the radiologist: examples left out, plain layout, ...
    templates: TemplateSet | None = None  # a model card's own template file, else bundled
    note_words: tuple[Words, ...] = ()  # the note's parts, for the window's translation


# The flags by which a case's findings go against a starter's conclusion. "Possibly missed"
# is not one: a one-line starter leaves most of any case's findings unsaid.
_AGAINST = (LATERALITY, NEGATION, CALLED_NORMAL, CALLED_ABNORMAL, UNSUPPORTED)


def _starter_fit(case: Case) -> Callable[[str], int]:
    """How a starter's impression fits the case (starter_examples.FITS / NEUTRAL / AGAINST):
    against when a check flags it; fits when it states something the findings describe."""
    terms = bundled_terms()
    lex = terms.lexicons[case.language]
    described = {m.concept for m in mentions(case.findings, lex) if not m.negated}

    def fit(impression: str) -> int:
        if run_checks(case.findings, impression, case.language, terms, kinds=_AGAINST):
            return AGAINST
        stated = {m.concept for m in mentions(impression, lex) if not m.negated}
        evidence = {e for c in stated for e in (c, *terms.concepts[c].supported_by)}
        return FITS if evidence & described else NEUTRAL

    return fit


def find_examples(request: DraftRequest, case: Case, corpus: ExampleSource | None,
                  card: ModelCard | None) -> tuple[tuple[Example, ...], str]:
    """The examples a draft shows the model, and where they came from.

    Past pairs of the user's corpus come first; a pair that is the case itself or a near
    copy of it is never used (it would teach nothing and, in an evaluation, leak the answer).
    Without any, a model without a card gets our starter examples: a small model restates
    its input unless it has seen what an impression looks like (issue 15). A fine-tuned
    model (it has a card) is prompted as it was trained, without them.
    """
    if request.examples is not None:
        return tuple(request.examples), GIVEN if request.examples else NONE
    # Found most similar first, shown most similar last: nearest the case, where a small
    # model looks (on 15 openi reports, R-L 0.06 -> 0.24 with the starter examples).
    if request.examples_k > 0 and corpus is not None:
        found = corpus.similar(case.findings, case.body_system, request.examples_k,
                               request.institution, request.examples_chars,
                               exclude_near=case.findings)
        if found:
            return tuple(reversed(found)), CORPUS
    if card is not None:
        return (), NONE
    starters = pick_starter_examples(case.findings, case.body_system, case.language,
                                     case.modality, DEFAULT_K, fit=_starter_fit(case))
    return tuple(reversed(starters)), STARTER if starters else NONE


def prepare_draft(engine: LlamaEngine, request: DraftRequest,
                  corpus: ExampleSource | None = None,
                  sampling: Sampling | None = None, fit: bool = True) -> Prepared:
    """Validate the request, find its examples and build the exact prompt text that fits.

    Raises InputError when the findings cannot be drafted from (empty, too long); with
    ``fit`` False the prompt is built whatever its length (to look at, not to run).
    """
    sampling = sampling or Sampling()
    findings = clean_findings(request.findings)
    language = request.language if request.language in ("en", "zh") else detect_language(findings)
    case = Case(findings, normalize_body_system(request.body_system),
                normalize_modality(request.modality), language)
    assert engine.info is not None
    template_id, templates = request.template_id, None
    # A fine-tuned model is prompted as it was trained: its card's template (and the
    # template file training used), unless the user or IT chose a template.
    card = loaded_card(engine).card  # None when IT has not approved it (issue 17)
    if not template_id and card is not None:
        template_id, templates = card.template_id, card.templates()
    examples, source = find_examples(request, case, corpus, card)
    if source == CORPUS and not request.template_id and card is None:
        template_id = bundled_templates().corpus_template or None
    bos, eos = engine.special_tokens()
    room = engine.info.n_ctx - sampling.max_tokens
    left_out = 0
    while True:
        prompt = build_prompt(case, template_id, examples, templates)
        rendered = render_prompt(prompt, engine.info.chat_template, bos, eos)
        tokens = engine.count_tokens(rendered.text)
        if tokens <= room or not examples or not fit:
            break
        # Examples too long for the context go, least similar first; the case never does.
        examples, left_out = examples[1:], left_out + 1
    if tokens > room and fit:
        raise InputError(
            sentence("RadvalError",
                     "The findings are too long for this model: the prompt is {tokens:,} tokens "
                     "and at most {room:,} fit (context {n_ctx:,} tokens, {max_tokens} kept for "
                     "the impression). Shorten the findings or raise the context size in "
                     "Settings."),
            tokens=tokens, room=room, n_ctx=engine.info.n_ctx, max_tokens=sampling.max_tokens
        )
    words = [rendered.note_words] if rendered.note_words else []
    if left_out:
        words.append(Words("PromptNotes", sentence("PromptNotes", "{count} example(s) left out: "
                                                   "too long for the context"),
                           (("count", left_out),)))
    notes = [rendered.note] if rendered.note and not rendered.note_words else []
    notes += [str(w) for w in words]
    if not examples:
        source = NONE
    return Prepared(case, prompt, rendered, tokens, tuple(examples), source, "; ".join(notes),
                    templates, tuple(words))


# The checks whose flag means the draft says the opposite of the findings (SPEC §9): such a
# draft is drafted again and, if every try does it, not shown as a draft. "Possibly missed"
# and "unsupported" only ask the radiologist to look again.
_CONTRADICTIONS = (CALLED_NORMAL, CALLED_ABNORMAL, LATERALITY, NEGATION)
# An attempt's verdict (and its flag's kind) when it copied a starter example's diagnosis.
COPIED = "copied"


def _contradiction(case: Case, text: str) -> Flag | None:
    flags = run_checks(case.findings, text, case.language, kinds=_CONTRADICTIONS)
    return flags[0] if flags else None


def _copied_from_starters(case: Case, text: str, examples: Sequence[Example]) -> Flag | None:
    """A diagnosis the findings do not support, said in one of our starter examples'
    impressions: the model copied the example, not the case ("COPD" over an enlarged heart,
    "Cardiomegaly." over "The heart is not enlarged", OpenI without a corpus). Only our
    starters: a user's own past reports may share a conclusion with the case for good
    reason, and on real pairs 7-13% of impressions name something the term list finds no
    support for."""
    lex = bundled_terms().lexicons[case.language]
    shown = {m.concept for e in examples for m in mentions(e.impression, lex) if not m.negated}
    for flag in run_checks(case.findings, text, case.language, kinds=(UNSUPPORTED,)):
        concept = flag.key.split(":", 1)[1]
        if concept in shown:
            template = sentence("FlagReasons", "The impression states {concept!r}; nothing in "
                                "the findings supports it. It is in an example's impression: "
                                "the model copied the example.")
            values = dict(flag.values)
            return Flag(COPIED, flag.key, template.format(**values), (),
                        flag.impression_spans, template, flag.values)
    return None


_QUOTE_CHARS = 160


def _quote(findings: str, flag: Flag, language: str) -> str:
    """The clauses of the findings a contradiction is about, as the findings say them.

    For an abnormality put where the findings say all is normal, the clauses that do describe
    something: quoting "胸廓对称" against "胸廓炎症" only drew the model to 胸廓 again."""
    spans = flag.findings_spans
    if flag.kind in (CALLED_ABNORMAL, COPIED):
        found = current_findings(findings, language)
        spans = tuple(m.span for m in found) or spans
    if not spans:  # a copied diagnosis over findings the term list knows nothing of
        return findings.strip()[:_QUOTE_CHARS]
    # The checks' own clauses: the reach they judged the contradiction by.
    clauses = dict.fromkeys(findings[a:b].strip() for a, b in
                            (clause_around(findings, span) for span in spans))
    sep = "；" if language == "zh" else "; "
    return sep.join(c for c in clauses if c)[:_QUOTE_CHARS]


def prepare(engine: LlamaEngine, request: DraftRequest,
            corpus: ExampleSource | None = None) -> tuple[Case, RenderedPrompt, str]:
    """The case, the rendered prompt and "version|template id" a draft would use."""
    ready = prepare_draft(engine, request, corpus, fit=False)
    prompt = ready.prompt
    return ready.case, ready.rendered, prompt.template_version + "|" + prompt.template_id


@dataclass(frozen=True)
class Generate:
    """What the pipeline asks of whoever runs the model: one attempt's completion."""

    prompt: str
    sampling: Sampling
    stops: list[str]
    attempt: int  # 0 for the first, then each retry
    reason: str  # why the attempt before was rejected ("" for the first)


@dataclass(frozen=True)
class Generated:
    """An attempt's completion as the model wrote it, and how it went."""

    raw: str
    stats: StreamStats
    started_at: float  # time.perf_counter() when the attempt began
    loop_detail: str = ""  # the loop that stopped it early, if one did
    cancelled: bool = False
    first_token_at: float | None = None  # time.perf_counter() of its first piece


def loop_in(text: str) -> str:
    """The loop at the end of ``text`` in words, or "" (checked every _LOOP_CHECK_EVERY
    pieces while a draft is written)."""
    loop = find_loop(text[-_LOOP_WINDOW:])
    return loop.describe() if loop else ""


DraftSteps = Generator[Generate, Generated, DraftResult]


def impression_room(findings_tokens: int, max_tokens: int) -> int:
    """The most tokens an attempt may write for findings of ``findings_tokens`` tokens."""
    return min(max_tokens, findings_tokens + RUN_ON_MARGIN, RUN_ON_MOST)


def _ran_on(tokens: int) -> Verdict:
    words = Words("Guards", sentence("Guards", "the draft ran past {tokens} tokens without "
                                     "ending, longer than an impression"),
                  (("tokens", tokens),))
    return Verdict(False, "ran_on", str(words), words)


def draft_steps(
    engine: LlamaEngine,
    request: DraftRequest,
    sampling: Sampling | None = None,
    max_retries: int = MAX_RETRIES,
    corpus: ExampleSource | None = None,
) -> DraftSteps:
    """The pipeline without the model: it yields each attempt to generate, is sent what the
    model wrote, judges it (guards, safety checks, retries with a stricter prompt) and
    returns the DraftResult. One draft at a time (draft_events) or many decoded together
    (engine/parallel.py) drive it, so both judge drafts the same way.

    Raises InputError (before the first attempt) when the findings cannot be drafted from.
    """
    sampling = sampling or Sampling()
    ready = prepare_draft(engine, request, corpus, sampling)
    case, rendered = ready.case, ready.rendered
    assert engine.info is not None
    started: float | None = None
    attempts: list[Attempt] = []
    first_token: float | None = None
    text, raw, message, restated, reason, cancelled = "", "", "", False, "", False
    template, values = "", dict[str, object]()
    findings_tokens = engine.count_tokens(case.findings)
    for number in range(max_retries + 1):
        current = retry_sampling(sampling, number)
        room = impression_room(findings_tokens, current.max_tokens)
        got = yield Generate(rendered.text, replace(current, max_tokens=room),
                             _stops(case.language), number, reason)
        started = got.started_at if started is None else started
        if first_token is None and got.first_token_at is not None:
            first_token = got.first_token_at - started
        stats, raw, loop_detail = got.stats, got.raw, got.loop_detail
        if got.cancelled:
            cancelled = True
            attempts.append(_attempt(current, raw, "cancelled", "stopped by the user", stats))
            break
        text = strip_echo(raw, case.findings)
        verdict = judge(text)
        if loop_detail and verdict.ok:
            verdict = judge(raw)
        if verdict.ok and room < current.max_tokens and stats.finish_reason == "length":
            verdict = _ran_on(room)
        reason, detail = verdict.reason, verdict.detail
        words: Words | None = verdict.words  # the detail in the window's language
        copy = find_restatement(case.findings, text, case.language) if verdict.ok else None
        unsafe = _contradiction(case, text) if verdict.ok and copy is None else None
        if unsafe is None and verdict.ok and copy is None and ready.example_source == STARTER:
            unsafe = _copied_from_starters(case, text, ready.examples)
        if copy is not None:
            reason, detail, words = "restated", copy.detail, copy.words
        elif unsafe is not None:
            reason = COPIED if unsafe.kind == COPIED else "contradicts"
            detail = unsafe.reason
            # The flag's place words ("the left") are sentences of their own.
            words = (Words("FlagReasons", unsafe.template, tuple(
                (key, Words("FlagReasons", value) if key == "where" else value)
                for key, value in unsafe.values)) if unsafe.template else None)
        restated = copy is not None
        if verdict.ok and copy is None and unsafe is None:
            attempts.append(_attempt(current, raw, "ok", "", stats))
            message, template, values = "", "", {}
            break
        attempts.append(_attempt(current, raw, reason, detail, stats))
        template, values = _failure_message(reason, words or detail, number + 1,
                                            ready.example_source)
        message = template.format(**values)
        text = ""
        if number < max_retries:
            if restated:
                # The model copied its input: say plainly, in the prompt, not to.
                rendered = render_prompt(stricter(ready.prompt, ready.templates),
                                         engine.info.chat_template, *engine.special_tokens())
            elif unsafe is not None:
                # It went against the findings: show it the words it went against.
                hint = _quote(case.findings, unsafe, case.language)
                rendered = render_prompt(corrected(ready.prompt, hint, ready.templates),
                                         engine.info.chat_template, *engine.special_tokens())
    text = "" if cancelled else text
    ok = not cancelled and bool(text) and not message
    return DraftResult(
        text=text,
        raw_text=raw,
        ok=ok,
        cancelled=cancelled,
        message=STOPPED if cancelled else message,
        message_template=STOPPED if cancelled else template,
        message_values=() if cancelled else tuple(values.items()),
        language=case.language,
        template_id=ready.prompt.template_id,
        template_version=ready.prompt.template_version,
        prompt=rendered.text,
        used_chat_template=rendered.used_chat_template,
        prompt_note=ready.note,
        prompt_note_words=ready.note_words,
        model_sha256=engine.info.sha256,
        sampling=sampling,
        attempts=tuple(attempts),
        first_token_seconds=first_token,
        total_seconds=time.perf_counter() - (started or time.perf_counter()),
        examples=ready.examples,
        example_source=ready.example_source,
        flags=tuple(run_checks(case.findings, text, case.language)) if ok else (),
        dangers=dangers(case.findings, text, case.language) if ok else (),
        restated=restated and not cancelled,
    )


def draft_events(
    engine: LlamaEngine,
    request: DraftRequest,
    sampling: Sampling | None = None,
    cancel: threading.Event | None = None,
    max_retries: int = MAX_RETRIES,
    corpus: ExampleSource | None = None,
) -> Iterator[DraftEvent]:
    """Stream a draft as events; the last event is always DraftDone.

    Raises InputError (before any token) when the findings cannot be drafted from.
    """
    cancel = cancel or threading.Event()
    steps = draft_steps(engine, request, sampling, max_retries, corpus)
    need = next(steps)
    while True:
        if need.attempt:
            yield DraftRestarted(need.attempt, need.reason)
        pieces: list[str] = []
        loop_detail = ""
        first_at: float | None = None
        started_at = time.perf_counter()
        # The first attempt reads the prompt afresh (a draft never depends on the one
        # before it); a retry reuses it.
        stream = engine.stream(need.prompt, need.sampling, cancel, need.stops,
                               fresh=need.attempt == 0)
        for count, piece in enumerate(stream, 1):
            if first_at is None:
                first_at = time.perf_counter()
            pieces.append(piece)
            yield DraftToken(piece)
            if count % _LOOP_CHECK_EVERY == 0:
                loop_detail = loop_in("".join(pieces))
                if loop_detail:
                    break
        got = Generated("".join(pieces), engine.last_stats, started_at, loop_detail,
                        cancel.is_set(), first_at)
        try:
            need = steps.send(got)
        except StopIteration as finished:
            yield DraftDone(finished.value)
            return


def _attempt(sampling: Sampling, raw: str, verdict: str, detail: str, stats: StreamStats
             ) -> Attempt:
    return Attempt(sampling, raw, verdict, detail, stats.prompt_tokens, stats.completion_tokens,
                   stats.first_token_seconds, stats.total_seconds)


def _failure_message(reason: str, detail: str | Words, tries: int, example_source: str
                     ) -> tuple[str, dict[str, object]]:
    """Why no draft is shown: a sentence template and its values."""
    values: dict[str, object] = {"detail": detail, "tries": tries}
    if reason == "empty":
        return sentence("RadvalError", "The model gave no impression after {tries} tries; write "
                        "this one by hand."), values
    if reason == COPIED:
        return sentence("RadvalError", "Not usable: every draft copied a diagnosis from RadVal's "
                        "built-in examples that the findings do not support ({detail}) after "
                        "{tries} tries. Write this impression by hand, or import past reports "
                        "(Draft tab) so the model sees your department's impressions."), values
    if reason == "contradicts":
        return sentence("RadvalError", "Not usable: every draft contradicted the findings "
                        "({detail}) after {tries} tries. Write this impression by hand."), values
    if reason == "restated":
        if example_source != CORPUS:
            return sentence(
                "RadvalError", "Not usable: the model restated the findings instead of "
                "concluding ({detail}) after {tries} tries. Write this impression by hand, or "
                "import past reports (Draft tab) so the model sees your department's "
                "impressions."), values
        return sentence(
            "RadvalError", "Not usable: the model restated the findings instead of concluding "
            "({detail}) after {tries} tries. Write this impression by hand, or try another "
            "template."), values
    if reason == "ran_on":
        return sentence("RadvalError", "Not usable: every draft ran on longer than an "
                        "impression ({detail}) after {tries} tries. Write this impression by "
                        "hand, or try another template."), values
    return sentence("RadvalError", "The model got stuck repeating itself ({detail}) after "
                    "{tries} tries; write this one by hand or try another template."), values


def draft(
    engine: LlamaEngine,
    request: DraftRequest,
    sampling: Sampling | None = None,
    cancel: threading.Event | None = None,
    corpus: ExampleSource | None = None,
) -> DraftResult:
    """Run a draft to the end and return its result (for the CLI and batch runs)."""
    for event in draft_events(engine, request, sampling, cancel, corpus=corpus):
        if isinstance(event, DraftDone):
            return event.result
    raise AssertionError("draft_events ended without DraftDone")
