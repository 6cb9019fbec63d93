"""Many completions decoded together in one llama.cpp context (`radval batch --parallel N`).

Each completion is one sequence id in a second context on the engine's already loaded
model (no second copy of the weights). Every llama_decode call carries the next token of
each sequence that is generating plus as many prompt tokens of sequences still being read
as the batch holds, so a finished sequence's slot is refilled from the queue at once.
Sampling, stops and the end of a completion follow llama-cpp-python's create_completion,
which drafts one at a time, so a greedy completion is the same text unless batched float
sums differ in their last bits (tests/evaluation/test_batch_parallel.py measures it).

Prompts share their beginning: the system prompt, and the same starter or retrieved examples
for alike cases (on bench/batch_throughput.py's 100 cases, 41% of a prompt's tokens on
average begin a prompt among the 8 before it). Reading prompts is most of a draft's time on
a CPU, so a sequence starts from the longest prefix another holds: the prompts of running
sequences, and of the last PREFIX_DONORS finished ones, whose cells are kept (the generated
part dropped) until their sequence id is wanted. The shared part is not read again; a prompt
whose beginning a running sequence is still reading waits the step or two until it is read
(else the first prompts of a run, started together, would each read the system prompt).

Each sequence has a stream of cells of its own (llama.cpp's kv_unified off): a token attends
only to its own sequence's cells. In one unified pool every token of the batch was computed
against every cell in use, masked (8 drafts and 8 kept prompts: ~7,000 cells): measured on 2
cores, 16 drafts a step took 350 ms unified and 164-222 ms in streams. A prefix is taken by
copying its holder's stream (llama.cpp copies only whole streams across them) and dropping
what follows the shared part; ~12 KB a cell for the default model, far less than reading it.
With a stream each, llama.cpp splits a batch into passes over the weights that take the same
number of tokens from consecutive sequence ids only (split_equal): running drafts keep ids
0..slots-1 and kept prompts the ids above (a finished draft's prompt is copied there), and
the batch lists its tokens in id order. With kept prompts' ids among running ones, steps were
split into several passes (100 benched cases at 16: 26.5 -> 31.4 cases a minute).
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any

from radval_desktop.engine.llama_engine import StreamStats
from radval_desktop.engine.sampling import Sampling
from radval_desktop.engine.threads import IdleCores
from radval_desktop.errors import ModelLoadError, sentence

# llama.cpp's own limit on sequence ids in one context (LLAMA_MAX_SEQ).
MAX_SLOTS = 64
# Tokens per llama_decode call: llama-cpp-python's default n_batch.
BATCH_TOKENS = 512
# Finished prompts kept for the prefix they share with the next ones, and the least prefix
# worth sharing (below it, reading the tokens costs about what finding them saves).
PREFIX_DONORS = 8
MIN_SHARED = 16
# How often a batch looks again at the cores other programs use: a shorter window is mostly
# clock-tick noise, and a run of hours should follow a PACS viewer or a bench that starts.
RETHINK_SECONDS = 2.0


@dataclass(frozen=True)
class Request:
    key: Hashable  # the caller's name for it; given back with the result
    prompt: str
    sampling: Sampling
    stops: list[str]


@dataclass(frozen=True)
class Decoded:
    raw: str
    stats: StreamStats
    started_at: float  # time.perf_counter() when its sequence began
    first_token_at: float | None
    loop_detail: str = ""


@dataclass
class _Live:
    request: Request
    seq: int
    prompt: list[int]
    sampler: Any
    stops: list[bytes]
    max_tokens: int
    started_at: float
    fed: int = 0  # prompt tokens decoded so far
    out: list[int] = field(default_factory=list)
    text: bytes = b""
    multibyte_fix: int = 0
    first_token_at: float | None = None
    sampled: int = 0  # tokens sampled, end-of-generation included (as StreamStats counts)
    last: int = -1  # the token to feed next, once the prompt is read
    finish: str = ""
    loop_detail: str = ""


@dataclass(frozen=True)
class _Donor:
    """A finished sequence's prompt, kept in the cache for the prefix it may share."""

    seq: int
    prompt: list[int]


def shared_prefix(a: list[int], b: list[int]) -> int:
    """How many tokens ``a`` and ``b`` begin with alike."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def fitting_slots(wanted: int, n_ctx: int, longest_prompt: int, max_tokens: int) -> int:
    """How many sequences of ``longest_prompt + max_tokens`` tokens one context holds at
    once, at most ``wanted`` (and MAX_SLOTS), at least 1."""
    return max(1, min(wanted, MAX_SLOTS, n_ctx // max(1, longest_prompt + max_tokens)))


def stream_cells(seq_ctx: int, slots: int, donors: int) -> tuple[int, int]:
    """Each stream's cells and the context's: llama.cpp gives each stream n_ctx // n_seq_max
    cells, and makes n_ctx a multiple of 256."""
    seq_ctx = -(-seq_ctx // 256) * 256
    return seq_ctx, seq_ctx * (slots + donors)


class BatchDecoder:
    """Decodes queued requests ``slots`` at a time in one context of ``llm``'s model.

    ``llm`` is the engine's loaded ``llama_cpp.Llama`` (LlamaEngine._llm); ``seq_ctx`` the
    cells of each sequence's stream (its prompt and max_tokens, cut to fit), for ``slots``
    running and ``donors`` kept prompts. It decodes on ``threads`` when the user set them,
    else on every core other programs leave idle, looked at again every RETHINK_SECONDS
    (threads.batch_threads): a batch has no window to keep responsive, but llama.cpp's
    threads spin-wait for each other, so one on a busy core slows them all. ``flash_attn``
    sets llama.cpp's attention kernel for the batch, else the engine's is kept. Like the
    engine, it must be used from the thread that loaded the model.
    """

    def __init__(self, llm: Any, seq_ctx: int, slots: int, threads: int | None = None,
                 adapter: Any = None, adapter_scale: float = 1.0,
                 donors: int = PREFIX_DONORS, flash_attn: bool | None = None) -> None:
        import llama_cpp
        from llama_cpp import _internals

        self.llm = llm
        self.slots = max(1, min(slots, MAX_SLOTS))
        self.donor_limit = max(0, min(donors, MAX_SLOTS - self.slots))
        self.seq_ctx, self.n_ctx = stream_cells(seq_ctx, self.slots, self.donor_limit)
        self._idle = None if threads else IdleCores()
        self.threads = self._idle.batch_threads() if self._idle else threads or 1
        self.thread_counts = [self.threads]  # each number of threads decoded on, in order
        self._decided_at = time.monotonic()
        params = llama_cpp.llama_context_params.from_buffer_copy(llm.context_params)
        params.n_ctx = self.n_ctx
        params.n_batch = params.n_ubatch = BATCH_TOKENS
        params.n_seq_max = self.slots + self.donor_limit
        params.n_threads = params.n_threads_batch = self.threads
        params.kv_unified = False  # a stream each (see above)
        if flash_attn is not None:  # else the engine's
            params.flash_attn_type = int(flash_attn)
        self.flash_attn_type = int(params.flash_attn_type)  # llama.cpp's: 1 on, 0 off, -1 auto
        try:
            self._ctx = _internals.LlamaContext(model=llm._model, params=params, verbose=False)
        except ValueError as err:
            raise ModelLoadError(sentence(
                "RadvalError", "llama.cpp could not make a context for {slots} drafts at once "
                "({err}). Use a smaller --parallel or a smaller context size."),
                slots=self.slots, err=err) from err
        if adapter is not None:  # a LoRA adapter is set per context, not per model
            adapters = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(adapter)
            scales = (ctypes.c_float * 1)(adapter_scale)
            llama_cpp.llama_set_adapters_lora(self._ctx.ctx, adapters, 1, scales)
        self._batch = llama_cpp.llama_batch_init(BATCH_TOKENS, 0, 1)
        # Running drafts on ids 0..slots-1, kept prompts above them: llama.cpp puts only
        # consecutive ids in one pass over the weights (split_equal), so a kept prompt's id
        # between running ones would split every step in two.
        self._free_run = list(range(self.slots))
        self._free_donor = list(range(self.slots, self.slots + self.donor_limit))
        self._donors: deque[_Donor] = deque()  # oldest first
        self.most_live = 0  # the most sequences decoded together so far
        self.prompt_tokens = 0  # prompt tokens of the sequences started so far
        self.shared_tokens = 0  # of which taken from another sequence's cells, not read

    def close(self) -> None:
        import llama_cpp

        if self._batch is not None:
            llama_cpp.llama_batch_free(self._batch)
            self._batch = None
        self._ctx.close()

    def __enter__(self) -> BatchDecoder:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _sampler(self, sampling: Sampling) -> Any:
        # llama-cpp-python's own chain, built as create_completion builds it (penalties over
        # the generated tokens, then greedy, or top-k/top-p/temperature with the seed).
        self.llm.set_seed(sampling.seed)
        return self.llm._init_sampler(
            top_k=sampling.top_k, top_p=sampling.top_p, min_p=0.0, typical_p=1.0,
            temp=sampling.temperature, repeat_penalty=sampling.repeat_penalty,
            frequency_penalty=0.0, presence_penalty=0.0, mirostat_mode=0)

    def _start(self, request: Request, tokens: list[int], live: list[_Live]) -> _Live:
        import llama_cpp

        max_tokens = min(request.sampling.max_tokens, self.seq_ctx - len(tokens))
        started = _Live(request, self._take_seq(), tokens,
                        self._sampler(request.sampling),
                        [s.encode("utf-8") for s in request.stops], max_tokens,
                        time.perf_counter())
        # Where its prompt begins as one already in the cache, take those cells; the last
        # token is always read, for the logits of the first one sampled.
        holders = [(s.seq, s.prompt[:s.fed]) for s in live] + [
            (d.seq, d.prompt) for d in self._donors]
        seq, common = max(((h, shared_prefix(tokens, held)) for h, held in holders),
                          key=lambda pair: pair[1], default=(-1, 0))
        common = min(common, len(tokens) - 1)
        if common >= MIN_SHARED:
            # The whole stream is copied at the next llama_decode, before the batch runs (so
            # from the holder's cells as they are now); only its first ``common`` are kept.
            llama_cpp.llama_memory_seq_cp(self._ctx.memory, seq, started.seq, -1, -1)
            llama_cpp.llama_memory_seq_rm(self._ctx.memory, started.seq, common, -1)
            started.fed = common
            self.shared_tokens += common
        self.prompt_tokens += len(tokens)
        return started

    def _wait_for_prefix(self, tokens: list[int], live: list[_Live]) -> bool:
        """Whether ``tokens`` should start after a step or two: a sequence still being read
        will hold MIN_SHARED more of its beginning than any cells held now (the first
        prompts of a run, and alike cases started together, would each read it again)."""
        reading = [shared_prefix(tokens, s.prompt) for s in live if s.fed < len(s.prompt)]
        if not reading:
            return False
        held = max([shared_prefix(tokens, s.prompt[:s.fed]) for s in live]
                   + [shared_prefix(tokens, d.prompt) for d in self._donors])
        return min(max(reading), len(tokens) - 1) - held >= MIN_SHARED

    def _take_seq(self) -> int:
        """The lowest free running id: running ones stay consecutive (see run)."""
        seq = min(self._free_run)
        self._free_run.remove(seq)
        return seq

    def _end(self, live: _Live, keep: bool) -> None:
        """Free ``live``'s sequence; ``keep``: its prompt's cells stay, for later prompts."""
        import llama_cpp

        live.sampler.close()
        memory = self._ctx.memory
        if keep and self.donor_limit and live.fed == len(live.prompt):
            if not self._free_donor:
                self._drop_donor()
            donor = min(self._free_donor)
            self._free_donor.remove(donor)
            # The cells' bookkeeping moves now, their data at the next llama_decode, before
            # anything is written over them (as a prefix taken in _start).
            llama_cpp.llama_memory_seq_cp(memory, live.seq, donor, -1, -1)
            llama_cpp.llama_memory_seq_rm(memory, donor, len(live.prompt), -1)
            self._donors.append(_Donor(donor, live.prompt))
        llama_cpp.llama_memory_seq_rm(memory, live.seq, -1, -1)
        self._free_run.append(live.seq)

    def _drop_donor(self) -> None:
        import llama_cpp

        donor = self._donors.popleft()
        llama_cpp.llama_memory_seq_rm(self._ctx.memory, donor.seq, -1, -1)
        self._free_donor.append(donor.seq)

    def run(self, queue: deque[Request], cancel: threading.Event,
            watch: Callable[[str], str] | None = None, watch_every: int = 8
            ) -> Iterator[tuple[Request, Decoded]]:
        """Decode ``queue``'s requests, taken from its left as slots free up, and yield
        each as soon as it is finished; on ``cancel`` the unfinished ones are dropped. The
        caller may add to ``queue`` between two results (a retry on the left goes next).
        ``watch(text so far)`` every ``watch_every`` tokens: a non-empty answer (a loop in
        words) ends that completion there."""
        live: list[_Live] = []
        next_up: tuple[Request, list[int]] | None = None  # queue[0], tokenized
        try:
            while not cancel.is_set():
                while queue and len(live) < self.slots:
                    if next_up is None or next_up[0] is not queue[0]:
                        next_up = (queue[0], self.llm.tokenize(
                            queue[0].prompt.encode("utf-8"), add_bos=True, special=True))
                    if self._wait_for_prefix(next_up[1], live):
                        break
                    live.append(self._start(queue.popleft(), next_up[1], live))
                    # llama.cpp puts consecutive sequence ids of a batch in one pass over the
                    # weights (one stream each): the batch lists them in id order.
                    live.sort(key=lambda s: s.seq)
                if not live:
                    return
                self.most_live = max(self.most_live, len(live))
                rows = self._fill(live)
                self._rethink()
                self._decode()
                finished = [s for s, row in zip(live, rows, strict=True)
                            if row >= 0 and self._sample(s, row, watch, watch_every)]
                for done in finished:
                    live.remove(done)
                    self._end(done, keep=True)
                    yield done.request, self._decoded(done)
        finally:
            for left in live:
                self._end(left, keep=False)
            while self._donors:
                self._drop_donor()

    def _fill(self, live: list[_Live]) -> list[int]:
        """Put this step's tokens in the batch; each sequence's row whose logits are
        sampled, or -1 while its prompt is still being read."""
        batch = self._batch
        n = 0
        rows = [-1] * len(live)

        def add(token: int, pos: int, seq: int, logits: bool) -> None:
            nonlocal n
            batch.token[n], batch.pos[n], batch.n_seq_id[n] = token, pos, 1
            batch.seq_id[n][0], batch.logits[n] = seq, logits
            n += 1

        # In id order (llama.cpp takes a pass's sequences in the batch's order, consecutive
        # ids only): one token of each sequence generating, the room left to those reading.
        room = BATCH_TOKENS - sum(s.fed == len(s.prompt) for s in live)
        for i, s in enumerate(live):
            if s.fed == len(s.prompt):
                rows[i] = n
                add(s.last, len(s.prompt) + len(s.out) - 1, s.seq, True)
                continue
            chunk = s.prompt[s.fed: s.fed + max(0, room)]
            for j, token in enumerate(chunk):
                add(token, s.fed + j, s.seq, s.fed + j == len(s.prompt) - 1)
            s.fed += len(chunk)
            room -= len(chunk)
            if s.fed == len(s.prompt):
                rows[i] = n - 1
        batch.n_tokens = n
        return rows

    def _rethink(self) -> None:
        """Follow the cores other programs leave idle, unless the user set the threads."""
        if self._idle is None or time.monotonic() - self._decided_at < RETHINK_SECONDS:
            return
        self._decided_at = time.monotonic()
        threads = self._idle.batch_threads()
        if threads != self.threads:
            self._ctx.set_n_threads(threads, threads)
            self.threads = threads
            self.thread_counts.append(threads)

    def _decode(self) -> None:
        import llama_cpp

        code = llama_cpp.llama_decode(self._ctx.ctx, self._batch)
        if code != 0:
            raise ModelLoadError(sentence(
                "RadvalError", "llama.cpp could not decode the drafts in progress (code "
                "{code}: no room left in the context). Use a smaller --parallel or a larger "
                "context size; drafts already saved are kept."), code=code)

    def _sample(self, s: _Live, row: int, watch: Callable[[str], str] | None,
                watch_every: int) -> bool:
        """Sample ``s``'s next token from batch row ``row``; whether ``s`` is finished.
        Ends it as create_completion does: on end-of-generation, a stop string (the text
        cut before it), max_tokens."""
        import llama_cpp

        token = s.sampler.sample(self._ctx, row)
        s.sampled += 1
        if s.first_token_at is None:
            s.first_token_at = time.perf_counter()
        if llama_cpp.llama_vocab_is_eog(self.llm._model.vocab, token):
            s.finish = "stop"
            return True
        s.out.append(token)
        s.last = token
        s.text = self.llm.detokenize(s.out, prev_tokens=s.prompt)
        for k, char in enumerate(s.text[-3:]):  # an unfinished UTF-8 character: no stop yet
            k = 3 - k
            for num, pattern in ((2, 192), (3, 224), (4, 240)):
                if num > k and pattern & char == pattern:
                    s.multibyte_fix = num - k
        if s.multibyte_fix > 0:
            s.multibyte_fix -= 1
        else:
            hits = [stop for stop in s.stops if stop in s.text]
            if hits:
                s.text, s.finish = s.text[: s.text.index(hits[0])], "stop"
                return True
        if len(s.out) >= s.max_tokens:
            s.finish = "length"
            return True
        if watch is not None and len(s.out) % watch_every == 0:
            s.loop_detail = watch(s.text.decode("utf-8", "ignore"))
            if s.loop_detail:
                s.finish = "guard"
                return True
        return False

    def _decoded(self, s: _Live) -> Decoded:
        now = time.perf_counter()
        stats = StreamStats(
            prompt_tokens=len(s.prompt), completion_tokens=s.sampled,
            first_token_seconds=None if s.first_token_at is None
            else s.first_token_at - s.started_at,
            prompt_threads=self.threads, total_seconds=now - s.started_at,
            finish_reason=s.finish)
        return Decoded(s.text.decode("utf-8", "ignore"), stats, s.started_at,
                       s.first_token_at, s.loop_detail)
