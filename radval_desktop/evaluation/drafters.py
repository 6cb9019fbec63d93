"""How `radval batch` gets its drafts: one at a time in process, or K at once from a server.

A drafter takes jobs and yields each with its outcome as soon as it is done, in any order;
the batch runner (evaluation/batch.py) owns everything else (what is left to do, saving,
progress), so another way of drafting (issue 18's in-process ``--parallel``) plugs in here.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Protocol

from radval_desktop.drafting import (
    DraftRequest,
    DraftResult,
    DraftSteps,
    ExampleSource,
    Generated,
    draft,
    draft_steps,
    loop_in,
)
from radval_desktop.engine.llama_engine import LlamaEngine
from radval_desktop.engine.parallel import (
    PREFIX_DONORS,
    BatchDecoder,
    Request,
    fitting_slots,
    stream_cells,
)
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


class Parallel:
    """``parallel`` cases decoded together in one llama.cpp context (engine/parallel.py).

    Each case goes through the pipeline's own steps (drafting.draft_steps: the prompt, the
    guards, the safety checks, a retry with a stricter prompt, which re-enters the queue as
    a new sequence ahead of new cases); only the decoding is shared.
    """

    def __init__(self, engine: LlamaEngine, sampling: Sampling, corpus: ExampleSource | None,
                 parallel: int, say: Callable[[str], None] | None = None,
                 threads: int | None = None, flash_attn: bool | None = None) -> None:
        self.engine, self.sampling, self.corpus = engine, sampling, corpus
        self.parallel, self.say, self.threads = max(1, parallel), say, threads
        self.flash_attn = flash_attn  # None: off on a CPU, the engine's on a GPU
        self.flash_attn_type = -1  # after run() starts: llama.cpp's, as the batch uses it
        self.slots = self.parallel  # after run() starts: how many it drafts at once
        self.most_live = 0  # after run(): the most cases it decoded together
        self.thread_counts: list[int] = []  # after run(): the threads it decoded on, in order
        # After run() starts: the batch context's size, and each draft's part, in tokens.
        self.n_ctx = self.seq_ctx = 0
        # After run(): prompt tokens, and of them those taken from a shared prefix.
        self.prompt_tokens = self.shared_tokens = 0

    def run(self, jobs: Iterable[Job], cancel: threading.Event
            ) -> Iterator[tuple[Job, Outcome]]:
        assert self.engine.info is not None
        # The batch has a context of its own: as many drafts as asked, each as long as the
        # longest prompt plus max_tokens, and room for kept prompts, up to the model's
        # context length (or model.n_ctx where IT or the user set it larger).
        limit = max(self.engine.settings.n_ctx, self.engine.info.context_length or 0)
        waiting = iter(jobs)
        queue: deque[Request] = deque()
        drafts: dict[Hashable, tuple[Job, DraftSteps]] = {}
        numbers = iter(range(1 << 62))
        longest = 0

        def top_up(target: int) -> Iterator[tuple[Job, Outcome]]:
            """Prepare cases until ``target`` wait in the queue (a freed slot never waits
            for a prompt to be built); cases that cannot be drafted are given back."""
            nonlocal longest
            while len(queue) < target and not cancel.is_set():
                job = next(waiting, None)
                if job is None:
                    return
                steps = draft_steps(self.engine, job.request, self.sampling, corpus=self.corpus)
                try:
                    need = next(steps)
                except InputError as err:
                    yield job, err
                    continue
                key = next(numbers)
                drafts[key] = (job, steps)
                queue.append(Request(key, need.prompt, need.sampling, need.stops))
                longest = max(longest, self.engine.count_tokens(need.prompt))

        # The first cases' prompts say how many fit in the context at once.
        yield from top_up(max(4 * self.parallel, 32))
        self.slots = fitting_slots(self.parallel, limit, longest, self.sampling.max_tokens)
        if self.slots < self.parallel and self.say is not None:
            self.say(f"--parallel {self.parallel} is more than the context holds: its "
                     f"{limit:,} tokens hold {self.slots} draft(s) of {longest:,} prompt tokens "
                     f"(the longest of the first {len(queue)} prompts) plus "
                     f"{self.sampling.max_tokens} for the impression, so {self.slots} are "
                     f"drafted at once. Raise the context size (model.n_ctx) to draft more "
                     f"at once.")
        # Each draft has cells of its own: the longest prompt so far and a quarter more for
        # longer ones to come, plus max_tokens; so has each of the kept prompts.
        seq_ctx = min(limit, longest + longest // 4 + self.sampling.max_tokens)
        self.seq_ctx, self.n_ctx = stream_cells(seq_ctx, self.slots, PREFIX_DONORS)
        if not queue:
            return
        llm = self.engine._llm  # the loaded model: the batch context shares its weights
        adapter = self.engine.info.adapter
        # On a CPU without flash attention: its kernel spends on a step of a few tokens
        # against ~1,000 cells held 2.8x what the plain one does (bench/decode_step.py),
        # which outweighs its ~14% faster prompts (100 benched cases at 16: 2.27x -> 2.52x
        # one at a time). On a GPU the engine's setting is kept.
        flash = self.flash_attn
        if flash is None and self.engine.info.device.n_gpu_layers == 0:
            flash = False
        with BatchDecoder(llm, seq_ctx, self.slots, self.threads,
                          getattr(llm, "_radval_adapter", None) if adapter else None,
                          adapter.scale if adapter else 1.0,
                          flash_attn=flash) as decoder:
            self.flash_attn_type = decoder.flash_attn_type
            for request, decoded in decoder.run(queue, cancel, loop_in):
                job, steps = drafts.pop(request.key)
                self.most_live, self.thread_counts = decoder.most_live, decoder.thread_counts
                self.prompt_tokens = decoder.prompt_tokens
                self.shared_tokens = decoder.shared_tokens
                try:
                    need = steps.send(Generated(decoded.raw, decoded.stats, decoded.started_at,
                                                decoded.loop_detail, False,
                                                decoded.first_token_at))
                except StopIteration as finished:
                    yield job, finished.value
                    yield from top_up(2 * self.slots)
                    continue
                key = next(numbers)
                drafts[key] = (job, steps)
                queue.appendleft(Request(key, need.prompt, need.sampling, need.stops))
