"""`radval batch`: run models over a case file, each output saved as soon as it exists."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlite_utils import Database

from radval_desktop.case_files import Row
from radval_desktop.drafting import DraftRequest, ExampleSource, draft
from radval_desktop.engine.llama_engine import EngineSettings, LlamaEngine
from radval_desktop.engine.model_card import loaded_card
from radval_desktop.engine.sampling import Sampling
from radval_desktop.errors import InputError
from radval_desktop.evaluation.aggregates import candidate_model_name
from radval_desktop.evaluation.tables import Output
from radval_desktop.findings import detect_language
from radval_desktop.prompts import bundled_templates
from radval_desktop.store.evaluation_runs import (
    ModelRecord,
    NewCandidate,
    NewCase,
    has_candidate,
    iter_outputs,
    save_candidate,
    save_model,
)

BATCH_REQUIRED = ("findings", "impression", "body_system", "modality")


@dataclass(frozen=True)
class BatchProgress:
    model: str
    done: int  # cases finished for this model, skipped ones included
    total: int
    generated: int  # cases generated in this run (not skipped)
    skipped: int
    last_seconds: float


@dataclass(frozen=True)
class ModelSummary:
    model: str
    sha256: str
    generated: int
    skipped: int
    failed: int  # rows whose findings the engine refused (too long for the context)
    seconds: float


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
            source_file=source_file,
            source_line=row.line,
            age=row["age"],
            sex=row["sex"],
        )
        for row in rows
    ]


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
) -> ModelSummary:
    """Generate every case not yet done by this model and template version; resumable.

    Each case is drafted by the app's own pipeline: with ``examples_k`` past pairs of
    ``corpus`` (never the case itself or a near copy of it), else the starter examples.
    """
    cancel = cancel or threading.Event()
    sampling = sampling or Sampling()
    engine = LlamaEngine(model_path, engine_settings)
    info = engine.load()
    # A fine-tuned model is evaluated with the prompt it was trained on (its card), as the
    # app drafts with it, unless a template was asked for.
    card = None if template_id else loaded_card(engine).card
    templates = card.templates() if card else bundled_templates()
    template = templates.template(card.template_id if card else template_id)
    save_model(db, ModelRecord(info.sha256, info.name, model_path.name, info.architecture,
                               info.parameters, info.quantization, info.file_size))
    # Drafts with retrieved examples are other candidates than drafts without.
    with_examples = examples_k > 0 and corpus is not None
    if with_examples and not template_id and card is None:
        # The key of this run's drafts: the pipeline prompts a case whose examples come from
        # the corpus with the file's corpus template (and with the default one otherwise).
        template = templates.template(templates.corpus_template or None)
    prompt_id = template.id + (f"+{examples_k}ex" if with_examples else "")
    generated = skipped = failed = 0
    started = time.perf_counter()
    try:
        for index, (case, cid) in enumerate(zip(cases, case_ids, strict=True), 1):
            if cancel.is_set():
                break
            last = 0.0
            if has_candidate(db, cid, info.sha256, prompt_id, templates.version):
                skipped += 1
            else:
                request = DraftRequest(case.findings, case.body_system, case.modality,
                                       case.language, template_id,
                                       examples_k=examples_k, institution=case.institution)
                try:
                    result = draft(engine, request, sampling, cancel, corpus)
                except InputError:
                    failed += 1
                    continue
                if result.cancelled:
                    break
                last = result.total_seconds
                save_candidate(db, NewCandidate(
                    case_uuid=cid, model_sha256=info.sha256, model_name=info.label,
                    source="batch", template_id=prompt_id,
                    template_version=result.template_version, text=result.text,
                    raw_text=result.raw_text, ok=result.ok, attempts=len(result.attempts),
                    empty_attempts=sum(a.verdict == "empty" for a in result.attempts),
                    repetition_attempts=sum(a.verdict == "repetition" for a in result.attempts),
                    prompt_tokens=result.attempts[0].prompt_tokens if result.attempts else 0,
                    completion_tokens=result.completion_tokens,
                    first_token_seconds=result.first_token_seconds,
                    seconds=result.total_seconds, sampling=asdict(sampling),
                ))
                generated += 1
            if on_progress:
                on_progress(BatchProgress(info.label, index, len(cases), generated, skipped, last))
    finally:
        engine.close()
    return ModelSummary(info.label, info.sha256, generated, skipped, failed,
                        time.perf_counter() - started)


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
