"""`radval batch`: run models over a case file, each output saved as soon as it exists."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from sqlite_utils import Database

from radval_desktop.case_files import Row
from radval_desktop.drafting import DraftRequest, ExampleSource
from radval_desktop.engine.llama_engine import EngineSettings, LlamaEngine
from radval_desktop.engine.model_card import loaded_card
from radval_desktop.engine.sampling import Sampling
from radval_desktop.engine.served import RetryPolicy, ServedEngine, Server, ServerError
from radval_desktop.errors import InputError
from radval_desktop.evaluation.aggregates import candidate_model_name
from radval_desktop.evaluation.drafters import Concurrent, Drafter, Job, OneAtATime, Parallel
from radval_desktop.evaluation.tables import Output
from radval_desktop.findings import detect_language
from radval_desktop.prompts import bundled_templates
from radval_desktop.store.evaluation_runs import (
    ModelRecord,
    NewCandidate,
    NewCase,
    has_candidate,
    iter_outputs,
    record_problem,
    save_candidate,
    save_model,
)

BATCH_REQUIRED = ("findings", "impression", "body_system", "modality")


@dataclass(frozen=True)
class BatchProgress:
    model: str
    done: int  # cases finished for this model: drafted, already done, refused or left
    total: int
    generated: int  # cases generated in this run (not skipped)
    skipped: int
    last_seconds: float
    failed: int = 0  # too long for the model
    left: int = 0  # a server failed them: left for the next run
    elapsed: float = 0.0  # seconds since this model's run started

    @property
    def cases_per_second(self) -> float:
        """Drafts finished per second in this run (cases already done are not counted)."""
        drafted = self.generated + self.failed
        return drafted / self.elapsed if self.elapsed > 0 and drafted else 0.0

    @property
    def eta_seconds(self) -> float | None:
        rate = self.cases_per_second
        return (self.total - self.done) / rate if rate > 0 else None


@dataclass(frozen=True)
class ModelSummary:
    model: str
    sha256: str
    generated: int
    skipped: int
    failed: int  # rows whose findings the engine refused (too long for the context)
    seconds: float
    left: int = 0  # cases a server failed after its retries; drafted by the next run
    problems: tuple[str, ...] = ()  # why, one sentence a case
    # --parallel: prompt tokens decoded, and of them those a shared prefix spared reading.
    prompt_tokens: int = 0
    shared_prompt_tokens: int = 0


def cases_from_rows(rows: Sequence[Row], source_file: str, default_institution: str = "1"
                    ) -> list[NewCase]:
    return [
        NewCase(
            institution=row["institution"] or default_institution,
            body_system=row["body_system"],
            modality=row["modality"],
            language=detect_language(row["findings"]),
            findings=row["findings"],
            reference_impression=row["impression"],
            source_id=row["case_id"],
            source_file=row.source(source_file),
            source_line=row.line,
            age=row["age"],
            sex=row["sex"],
        )
        for row in rows
    ]


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` -> (i, n), 1 <= i <= n."""
    index, sep, count = text.partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i = n = 0
    if not sep or not 1 <= i <= n:
        raise InputError(f"--shard takes i/n with 1 <= i <= n (e.g. 2/4), not '{text}'.")
    return i, n


def in_shard(case_id: str, shard: tuple[int, int]) -> bool:
    """Whether shard i of n takes this case: by a hash of the case's content-derived id, so
    every machine splits any copy of the file, in any order, the same way."""
    index, count = shard
    digest = hashlib.sha256(case_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count == index - 1


@dataclass(frozen=True)
class _Run:
    """What one model's outputs are stored under, and how its requests are built."""

    sha256: str
    name: str
    prompt_id: str
    template_version: str
    template_id: str | None
    examples_k: int
    sampling: Sampling
    zero_shot: bool = False  # no examples at all, not even the starter examples


def _prompt_key(engine: LlamaEngine, template_id: str | None, examples_k: int,
                corpus: ExampleSource | None, zero_shot: bool = False) -> tuple[str, str]:
    """The template id (with "+Kex") and version the drafts of this run are stored under."""
    # A fine-tuned model is evaluated with the prompt it was trained on (its card), as the
    # app drafts with it, unless a template was asked for.
    card = None if template_id else loaded_card(engine).card
    templates = card.templates() if card else bundled_templates()
    template = templates.template(card.template_id if card else template_id)
    # Drafts with retrieved examples are other candidates than drafts without.
    with_examples = examples_k > 0 and corpus is not None
    if with_examples and not template_id and card is None:
        # The key of this run's drafts: the pipeline prompts a case whose examples come from
        # the corpus with the file's corpus template (and with the default one otherwise).
        template = templates.template(templates.corpus_template or None)
    if zero_shot:
        return template.id + "+0shot", templates.version
    return template.id + (f"+{examples_k}ex" if with_examples else ""), templates.version


def _draft_all(db: Database, drafter: Drafter, run: _Run, cases: Sequence[NewCase],
               case_ids: Sequence[str], cancel: threading.Event,
               on_progress: Callable[[BatchProgress], None] | None) -> ModelSummary:
    """The per-case flow, whatever drafts: skip what is done, save each draft the moment it
    is done, leave a case a server failed with its reason, report progress."""
    generated = skipped = failed = left = 0
    problems: list[str] = []
    started = time.perf_counter()

    def progress(last: float) -> None:
        if on_progress:
            on_progress(BatchProgress(run.name, generated + skipped + failed + left,
                                      len(cases), generated, skipped, last, failed, left,
                                      time.perf_counter() - started))

    def jobs() -> Iterator[Job]:
        nonlocal skipped
        for case, cid in zip(cases, case_ids, strict=True):
            if has_candidate(db, cid, run.sha256, run.prompt_id, run.template_version):
                skipped += 1
                progress(0.0)
                continue
            yield Job(case, cid, DraftRequest(
                case.findings, case.body_system, case.modality, case.language, run.template_id,
                examples_k=run.examples_k, institution=case.institution,
                examples=() if run.zero_shot else None))

    for job, outcome in drafter.run(jobs(), cancel):
        if isinstance(outcome, InputError):
            failed += 1
        elif isinstance(outcome, ServerError):
            left += 1
            problems.append(f"line {job.case.source_line}: left for the next run after "
                            f"{outcome.tries} tries: {outcome}")
            record_problem(db, job.case_id, run.sha256, run.name, run.prompt_id,
                           run.template_version, str(outcome), outcome.tries)
        elif isinstance(outcome, Exception):
            raise outcome
        elif outcome.cancelled:
            continue
        else:
            result = outcome
            save_candidate(db, NewCandidate(
                case_uuid=job.case_id, model_sha256=run.sha256, model_name=run.name,
                source="batch", template_id=run.prompt_id,
                template_version=result.template_version, text=result.text,
                raw_text=result.raw_text, ok=result.ok, attempts=len(result.attempts),
                empty_attempts=sum(a.verdict == "empty" for a in result.attempts),
                repetition_attempts=sum(a.verdict == "repetition" for a in result.attempts),
                prompt_tokens=result.attempts[0].prompt_tokens if result.attempts else 0,
                completion_tokens=result.completion_tokens,
                first_token_seconds=result.first_token_seconds,
                seconds=result.total_seconds, sampling=asdict(run.sampling),
            ))
            generated += 1
            progress(result.total_seconds)
            continue
        progress(0.0)
    return ModelSummary(run.name, run.sha256, generated, skipped, failed,
                        time.perf_counter() - started, left, tuple(problems))


def run_model(
    db: Database,
    model_path: Path,
    cases: Sequence[NewCase],
    case_ids: Sequence[str],
    *,
    engine_settings: EngineSettings | None = None,
    sampling: Sampling | None = None,
    template_id: str | None = None,
    examples_k: int = 0,
    corpus: ExampleSource | None = None,
    cancel: threading.Event | None = None,
    on_progress: Callable[[BatchProgress], None] | None = None,
    parallel: int = 0,
    on_note: Callable[[str], None] | None = None,
    zero_shot: bool = False,
) -> ModelSummary:
    """Generate every case not yet done by this model and template version; resumable.

    Each case is drafted by the app's own pipeline: with ``examples_k`` past pairs of
    ``corpus`` (never the case itself or a near copy of it), else the starter examples.
    ``parallel`` > 0: that many cases decoded together in one context, on every core
    (fewer when the context cannot hold them; ``on_note`` is told why). ``zero_shot``: no
    examples at all, not even the starters (the paper's setting for its baselines; the
    fine-tuning bench's "base without examples"), stored apart as "<template>+0shot".
    """
    if zero_shot and examples_k > 0:
        raise InputError("Zero-shot drafting shows no examples: leave out the example count.")
    cancel = cancel or threading.Event()
    sampling = sampling or Sampling()
    engine = LlamaEngine(model_path, engine_settings)
    info = engine.load()
    try:
        sha, label, name = info.sha256, info.label, info.name
        if info.adapter is not None:
            # The model with an adapter is another model: its drafts must not count as the
            # base's done (or the base's as its own). Named so reports tell them apart.
            sha = hashlib.sha256(f"{info.sha256}+{info.adapter.sha256}".encode()).hexdigest()
            label = f"{info.label} + {info.adapter.name}"
            name = f"{info.name} + {info.adapter.name}"
        save_model(db, ModelRecord(sha, name, model_path.name, info.architecture,
                                   info.parameters, info.quantization, info.file_size))
        prompt_id, version = _prompt_key(engine, template_id, examples_k, corpus, zero_shot)
        # Named by file and quantization (issue 19): the default's header says "AWQ".
        run = _Run(sha, label, prompt_id, version, template_id, examples_k, sampling,
                   zero_shot)
        # Threads the user set (--threads, model.n_threads) are kept; else the cores idle.
        drafter: Drafter = (Parallel(engine, sampling, corpus, parallel, on_note,
                                     engine.settings.n_threads or None) if parallel
                            else OneAtATime(engine, sampling, corpus))
        summary = _draft_all(db, drafter, run, cases, case_ids, cancel, on_progress)
        if isinstance(drafter, Parallel):
            summary = replace(summary, prompt_tokens=drafter.prompt_tokens,
                              shared_prompt_tokens=drafter.shared_tokens)
        return summary
    finally:
        engine.close()


def run_server(
    db: Database,
    server: Server,
    tokenizer_path: Path,
    cases: Sequence[NewCase],
    case_ids: Sequence[str],
    *,
    requests: int = 4,
    policy: RetryPolicy | None = None,
    engine_settings: EngineSettings | None = None,
    sampling: Sampling | None = None,
    template_id: str | None = None,
    examples_k: int = 0,
    corpus: ExampleSource | None = None,
    cancel: threading.Event | None = None,
    on_progress: Callable[[BatchProgress], None] | None = None,
) -> ModelSummary:
    """As run_model, but each draft's completions come from ``server`` (``requests`` drafts
    at once); the prompt is built with ``tokenizer_path``'s chat template and vocabulary.

    Outputs are stored under the server's model id and the fingerprint of its answers. A
    case the server fails after ``policy``'s tries is left, with its reason, for the next run.
    """
    cancel = cancel or threading.Event()
    sampling = sampling or Sampling()
    policy = policy or RetryPolicy()
    engine = ServedEngine(tokenizer_path, server, engine_settings)
    info = engine.load(policy=policy, cancel=cancel)
    try:
        save_model(db, ModelRecord(engine.model_key, engine.model_id,
                                   f"{server.name}: {engine.model_id}", info.architecture,
                                   info.parameters, "served", 0))
        prompt_id, version = _prompt_key(engine, template_id, examples_k, corpus)
        run = _Run(engine.model_key, engine.model_id, prompt_id, version, template_id,
                   examples_k, sampling)
        drafter = Concurrent(engine, sampling, corpus, requests, policy)
        return _draft_all(db, drafter, run, cases, case_ids, cancel, on_progress)
    finally:
        engine.close()


def outputs_from_db(db: Database) -> list[Output]:
    return [
        Output(
            model=candidate_model_name(row["model_name"], row["model_file"],
                                       row["quantization"]), institution=row["institution"],
            body_system=row["body_system"], language=row["language"],
            candidate=row["text"] or "", reference=row["reference_impression"] or "",
            seconds=row["seconds"] or 0.0, ok=bool(row["ok"]), attempts=row["attempts"] or 1,
            empty_attempts=row["empty_attempts"] or 0,
            repetition_attempts=row["repetition_attempts"] or 0, parameters=row["parameters"],
        )
        for row in iter_outputs(db)
        if row["source"] == "batch"
    ]
