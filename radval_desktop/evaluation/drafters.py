"""How `radval batch` gets its drafts: one at a time in process, or K at once from a server.

A drafter takes jobs and yields each with its outcome as soon as it is done, in any order;
the batch runner (evaluation/batch.py) owns everything else (what is left to do, saving,
progress), so another way of drafting (issue 18's in-process ``--parallel``) plugs in here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Protocol

from radval_desktop.drafting import DraftRequest, DraftResult, ExampleSource, draft
from radval_desktop.engine.llama_engine import LlamaEngine
from radval_desktop.engine.sampling import Sampling
from radval_desktop.engine.served import RetryPolicy, ServedEngine, ServerError, with_retries
from radval_desktop.errors import InputError, RadvalError
from radval_desktop.findings import clean_findings
from radval_desktop.prompts import Example, normalize_body_system
from radval_desktop.store.evaluation_runs import NewCase


@dataclass(frozen=True)
class Job:
    case: NewCase
    case_id: str
    request: DraftRequest


# A draft (ok or refused by the guards), or why there is none: InputError = the case cannot
# be drafted (too long), ServerError = the server failed it, tries spent (left for next run).
Outcome = DraftResult | RadvalError


class Drafter(Protocol):
    def run(self, jobs: Iterable[Job], cancel: threading.Event
            ) -> Iterator[tuple[Job, Outcome]]: ...


class OneAtATime:
    """The window's way: one case after the other on one in-process engine."""

    def __init__(self, engine: LlamaEngine, sampling: Sampling,
                 corpus: ExampleSource | None) -> None:
        self.engine, self.sampling, self.corpus = engine, sampling, corpus

    def run(self, jobs: Iterable[Job], cancel: threading.Event
            ) -> Iterator[tuple[Job, Outcome]]:
        for job in jobs:
            if cancel.is_set():
                return
            try:
                yield job, draft(self.engine, job.request, self.sampling, cancel, self.corpus)
            except InputError as err:
                yield job, err


class _Prefetched:
    """The corpus's examples for the jobs in flight, looked up in the thread that owns the
    corpus's SQLite connection and handed to the drafting threads by the same arguments."""

    def __init__(self, corpus: ExampleSource) -> None:
        self.corpus = corpus
        self._found: dict[tuple[object, ...], list[Example]] = {}
        self._lock = threading.Lock()

    def prefetch(self, request: DraftRequest) -> tuple[object, ...] | None:
        # The arguments drafting.find_examples passes, computed as it computes them.
        try:
            findings = clean_findings(request.findings)
            system = normalize_body_system(request.body_system)
        except InputError:
            return None  # the draft refuses it before looking for examples
        key = (findings, system, request.examples_k, request.institution,
               request.examples_chars, findings)
        found = self.corpus.similar(findings, system, request.examples_k, request.institution,
                                    request.examples_chars, exclude_near=findings)
        with self._lock:
            self._found[key] = found
        return key

    def forget(self, key: tuple[object, ...] | None) -> None:
        with self._lock:
            self._found.pop(key, None)  # type: ignore[arg-type]

    def similar(self, findings: str, body_system: str, k: int = 3, institution: str = "",
                budget_chars: int = 0, *, exclude_near: str | None = None) -> list[Example]:
        # Read, not taken: a draft the server failed is drafted again from the start.
        with self._lock:
            return self._found[(findings, body_system, k, institution, budget_chars,
                                exclude_near)]


class Concurrent:
    """K requests in flight to one server, each a whole draft (guards and their retries
    included); a draft the server fails is tried again per ``policy``, then given up."""

    def __init__(self, engine: ServedEngine, sampling: Sampling, corpus: ExampleSource | None,
                 requests: int, policy: RetryPolicy) -> None:
        self.engine, self.sampling, self.policy = engine, sampling, policy
        self.requests = max(1, requests)
        self.corpus = _Prefetched(corpus) if corpus is not None else None

    def _one(self, job: Job, stop: threading.Event) -> Outcome:
        def attempt() -> DraftResult:
            return draft(self.engine, job.request, self.sampling, stop, self.corpus)

        try:
            return with_retries(attempt, self.policy, stop)
        except (ServerError, InputError) as err:
            return err

    def run(self, jobs: Iterable[Job], cancel: threading.Event
            ) -> Iterator[tuple[Job, Outcome]]:
        stop = threading.Event()  # set on cancel or when the caller stops reading
        waiting = iter(jobs)
        pending: dict[Future[Outcome], Job] = {}
        keys: dict[Future[Outcome], tuple[object, ...] | None] = {}
        with ThreadPoolExecutor(self.requests, thread_name_prefix="radval-server") as pool:
            try:
                while True:
                    while len(pending) < self.requests and not cancel.is_set():
                        job = next(waiting, None)
                        if job is None:
                            break
                        key = None
                        if self.corpus is not None and job.request.examples_k > 0:
                            key = self.corpus.prefetch(job.request)
                        future = pool.submit(self._one, job, stop)
                        pending[future], keys[future] = job, key
                    if cancel.is_set():
                        stop.set()
                    if not pending:
                        return
                    done, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                    for future in done:
                        key = keys.pop(future)
                        if self.corpus is not None:
                            self.corpus.forget(key)
                        yield pending.pop(future), future.result()
            finally:
                stop.set()
