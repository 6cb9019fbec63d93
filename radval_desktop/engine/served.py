"""A model on a serving engine (vLLM, llama.cpp's llama-server, TGI, SGLang, llama-cpp-python's
server) over the OpenAI-compatible `/v1/completions`: our prompt, the server's completion.

The prompt is rendered here by the one prompt builder, with the chat template and tokenizer of
a local GGUF of the same model (loaded vocabulary only: no weights, no context to fill), so a
greedy draft from the server is the draft the window would write. Only servers IT lists in its
settings file are used (config ``batch.servers``); the caller checks that before building one.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from radval_desktop.engine.llama_engine import EngineSettings, LlamaEngine, ModelInfo, StreamStats
from radval_desktop.engine.sampling import Sampling
from radval_desktop.engine.sealed_file import SealedFile
from radval_desktop.errors import InputError, ModelLoadError, RadvalError

T = TypeVar("T")

# The fixed question whose greedy answer fingerprints what a server runs: the same id with
# other weights (a re-quantized or swapped model) answers otherwise, and its drafts are then
# stored as another model instead of mixed with the first one's.
_PROBE = "Findings: Small right pleural effusion. Heart size normal.\nImpression:"
_PROBE_SAMPLING = Sampling(temperature=0.0, top_k=1, top_p=1.0, repeat_penalty=1.0,
                           max_tokens=16, seed=0)


class ServerError(RadvalError):
    """One request to a server failed: not reachable, too slow, an error status, a cut or
    garbled stream, or an answer from another model. Worth trying again later."""

    tries = 1  # how often it was tried before this was given up (set by with_retries)


@dataclass(frozen=True)
class Server:
    name: str  # IT's name for it (`--server NAME`)
    url: str  # base URL from IT's file; "/v1" is added unless it ends with it
    model: str = ""  # the model id to ask for; "" = the one model the server lists
    timeout: float = 120.0  # seconds without a byte before the request counts as failed


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failed request is tried again (bounded both ways)."""

    tries: int = 4
    first_wait: float = 1.0  # seconds; doubled after each failure
    max_wait: float = 30.0

    def wait(self, failures: int) -> float:
        return min(self.max_wait, self.first_wait * 2 ** max(failures - 1, 0))


def with_retries(call: Callable[[], T], policy: RetryPolicy, cancel: threading.Event,
                 ) -> T:
    """``call()``, tried again after each ServerError with a growing wait; the last error is
    raised once ``policy.tries`` are spent (or at once when ``cancel`` is set)."""
    failures = 0
    while True:
        try:
            return call()
        except ServerError as err:
            failures += 1
            if failures >= policy.tries or cancel.wait(policy.wait(failures)):
                err.tries = failures
                raise


class _Http:
    """One base URL; a new connection per request (a failed one leaves nothing behind)."""

    def __init__(self, server: Server) -> None:
        parts = urlsplit(server.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(f"The server {server.name} = {server.url} is not an http or https "
                             "URL; ask IT to correct it in the settings file.")
        self.server = server
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        path = parts.path.rstrip("/")
        self._base = path if path.endswith("/v1") else path + "/v1"

    def where(self) -> str:
        return f"the server {self.server.name} ({self.server.url})"

    def open(self, method: str, path: str, body: dict[str, Any] | None = None
             ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        conn_type = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
        conn = conn_type(self._host, self._port, timeout=self.server.timeout)
        data = json.dumps(body).encode("utf-8") if body is not None else None
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        try:
            conn.request(method, self._base + path, body=data, headers=headers)
            response = conn.getresponse()
        except (OSError, http.client.HTTPException) as err:
            conn.close()
            raise ServerError(f"{self.where()} could not be reached or did not answer in time "
                              f"({_describe(err)}).") from err
        if response.status != 200:
            try:
                detail = response.read(300).decode("utf-8", "replace").strip()
            except (OSError, http.client.HTTPException):
                detail = ""
            conn.close()
            raise ServerError(f"{self.where()} answered HTTP {response.status} "
                              f"{response.reason}{': ' + detail if detail else ''}.")
        return conn, response

    def get_json(self, path: str) -> Any:
        conn, response = self.open("GET", path)
        try:
            return json.loads(response.read())
        except (OSError, http.client.HTTPException, ValueError) as err:
            raise ServerError(f"{self.where()} sent a reply to {path} that is not JSON "
                              f"({_describe(err)}).") from err
        finally:
            conn.close()


def _describe(err: BaseException) -> str:
    return f"{type(err).__name__}: {err}" if str(err) else type(err).__name__


class ServedEngine(LlamaEngine):
    """Drafts through a server; builds and measures prompts with a local GGUF's vocabulary.

    Unlike LlamaEngine it may be called from several threads at once: each request has its
    own connection, tokenizer calls are serialized, and ``last_stats`` is per thread.
    """

    def __init__(self, tokenizer: Path | str, server: Server,
                 settings: EngineSettings | None = None) -> None:
        self._local = threading.local()  # before LlamaEngine sets last_stats
        super().__init__(tokenizer, replace(settings or EngineSettings(), vocab_only=True,
                                            n_gpu_layers=0))
        self.server = server
        self.http = _Http(server)
        self.model_id = ""
        self.fingerprint = ""  # sha256 of the server's greedy answer to _PROBE
        self._tokenizer_lock = threading.Lock()

    @property
    def last_stats(self) -> StreamStats:
        return getattr(self._local, "stats", None) or StreamStats()

    @last_stats.setter
    def last_stats(self, stats: StreamStats) -> None:
        self._local.stats = stats

    @property
    def model_key(self) -> str:
        """What the outputs are stored under (the models table's sha256 column): the model id
        and the fingerprint of its answers, so another model behind the same id is kept apart."""
        key = f"openai-server\x1f{self.model_id}\x1f{self.fingerprint}"
        return hashlib.sha256(key.encode("utf-8")).hexdigest()

    def load(self, model: SealedFile | None = None, policy: RetryPolicy | None = None,
             cancel: threading.Event | None = None) -> ModelInfo:
        info = super().load(model)  # IT's pin and allowlist judge the tokenizer's file too
        policy, cancel = policy or RetryPolicy(), cancel or threading.Event()
        try:
            self.model_id = with_retries(self._choose_model, policy, cancel)
            answer = with_retries(
                lambda: "".join(self.stream(_PROBE, _PROBE_SAMPLING, cancel)), policy, cancel)
        except ServerError:
            self.close()
            raise
        self.fingerprint = hashlib.sha256(answer.encode("utf-8")).hexdigest()
        return info

    def _choose_model(self) -> str:
        listed = self.http.get_json("/models")
        try:
            ids = [str(item["id"]) for item in listed["data"]]
        except (KeyError, TypeError) as err:
            raise ServerError(f"{self.http.where()} listed its models in an unknown form "
                              f"({_describe(err)}).") from err
        if self.server.model:
            if self.server.model not in ids:
                raise InputError(f"{self.http.where()} does not serve {self.server.model}; it "
                                 f"serves {', '.join(ids) or 'nothing'}.")
            return self.server.model
        if len(ids) != 1:
            raise InputError(f"{self.http.where()} serves {len(ids)} models "
                             f"({', '.join(ids) or 'none'}); name one with --server-model.")
        return ids[0]

    def _check_owner(self) -> Any:
        # A vocabulary-only model has no context or KV cache that a second thread could
        # corrupt; its tokenizer calls go through the lock below.
        if self._llm is None:
            raise ModelLoadError("The model's vocabulary is not loaded yet.")
        return self._llm

    def count_tokens(self, text: str) -> int:
        with self._tokenizer_lock:
            return super().count_tokens(text)

    def special_tokens(self) -> tuple[str, str]:
        with self._tokenizer_lock:
            return super().special_tokens()

    def stream(self, prompt: str, sampling: Sampling, cancel: threading.Event | None = None,
               stop: list[str] | None = None, fresh: bool = True) -> Iterator[str]:
        """Yield the server's pieces as they come. Raises ServerError when the server fails,
        the stream ends without its end, or a piece comes from another model."""
        cancel = cancel or threading.Event()
        stats = self.last_stats = StreamStats()
        stats.prompt_tokens = self.count_tokens(prompt)
        start = time.perf_counter()
        # The fields llama.cpp's own completion takes in process, so greedy drafts match.
        body = {"model": self.model_id or self.server.model or None, "prompt": prompt,
                "max_tokens": sampling.max_tokens, "temperature": sampling.temperature,
                "top_k": sampling.top_k, "top_p": sampling.top_p, "min_p": 0.0,
                "repeat_penalty": sampling.repeat_penalty, "seed": sampling.seed,
                "stop": stop or [], "stream": True}
        conn, response = self.http.open("POST", "/completions", body)
        # Complete only when a piece says why it stopped (stop, length): a stream that just
        # ends, even with [DONE], was cut (llama-cpp-python's server ends one that way when
        # another request interrupts it).
        ended = False
        try:
            while not cancel.is_set():
                line = self._line(response, stats.completion_tokens)
                if not line:
                    break
                if not line.startswith(b"data:"):
                    continue  # SSE comments and keep-alives
                payload = line[5:].strip()
                if payload == b"[DONE]":
                    break
                piece, finish = self._piece(payload)
                if piece:
                    stats.completion_tokens += 1
                    if stats.first_token_seconds is None:
                        stats.first_token_seconds = time.perf_counter() - start
                    yield piece
                if finish:
                    stats.finish_reason, ended = finish, True
        finally:
            conn.close()
            stats.total_seconds = time.perf_counter() - start
            if cancel.is_set():
                stats.finish_reason = "cancelled"
        if not ended and not cancel.is_set():
            raise ServerError(f"{self.http.where()} cut the answer off after "
                              f"{stats.completion_tokens} pieces.")

    def _line(self, response: http.client.HTTPResponse, pieces: int) -> bytes:
        try:
            return response.readline()
        except (OSError, http.client.HTTPException) as err:
            raise ServerError(f"{self.http.where()} stopped answering after {pieces} pieces "
                              f"({_describe(err)}).") from err

    def _piece(self, payload: bytes) -> tuple[str, str]:
        try:
            chunk = json.loads(payload)
            if "error" in chunk:
                raise ServerError(f"{self.http.where()} reported an error while answering: "
                                  f"{str(chunk['error'])[:300]}.")
            answered_by = chunk.get("model")
            choice = chunk["choices"][0]
            piece, finish = str(choice.get("text") or ""), str(choice.get("finish_reason") or "")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as err:
            raise ServerError(f"{self.http.where()} sent a garbled piece of its answer "
                              f"({_describe(err)}).") from err
        if self.model_id and answered_by is not None and answered_by != self.model_id:
            raise ServerError(f"{self.http.where()} answered as the model {answered_by}, not "
                              f"{self.model_id}: the answer was not used.")
        return piece, finish
