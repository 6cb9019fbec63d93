"""A GGUF model loaded through llama-cpp-python, owned by one thread, streaming tokens."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from radval_desktop.engine.adapters import AdapterInfo, attach_adapter, inspect_adapter
from radval_desktop.engine.allowlist import check_allowed
from radval_desktop.engine.backends import llama_build, load_backends, weights_in_plain_memory
from radval_desktop.engine.device import DeviceChoice, choose_device
from radval_desktop.engine.gguf_file import GGUFInfo, read_gguf
from radval_desktop.engine.reading_copy import make_bf16_copy, wants_bf16_copy
from radval_desktop.engine.sampling import Sampling
from radval_desktop.engine.sealed_file import SealedFile
from radval_desktop.engine.threads import IdleCores
from radval_desktop.errors import ModelFileError, ModelLoadError, sentence


@dataclass(frozen=True)
class EngineSettings:
    # llama-cpp-python's default of 512 tokens does not hold a long CT report plus its
    # impression; 4096 does, and costs ~50 MB of KV cache on a 0.5B model.
    n_ctx: int = 4096
    n_gpu_layers: int = -1  # -1 = all layers when CUDA is there
    # 0 = generate on all cores but one (at most 8, see _default_threads) and read each prompt
    # on the cores idle at that moment (engine/threads.py); any other value is used for both.
    n_threads: int = 0
    expected_sha256: str | None = None  # IT's pin: a different file is refused
    allowed_sha256: tuple[str, ...] = ()  # IT's allowlist; empty = any model
    adapter_path: str | None = None  # issue 11: a GGUF LoRA adapter (one per institution)
    adapter_scale: float = 1.0  # llama.cpp's LoRA scale; 1 = as trained
    # Reading the prompt is most of a draft's time on a CPU; flash attention reads it ~9%
    # faster here (500 tokens on 2 cores: 232 -> 254 tokens/s; bench/quality.py MedPix with
    # examples: median draft 2.40 -> 2.30 s), and GPUs run it best. Tried and dropped: the
    # default model requantized to Q4_0 (llama_model_quantize) reads ~22% faster (245 -> 300
    # tokens/s), but on 30 cov_ctr cases with 3 examples R-L fell 0.644 -> 0.613 and 10 of 30
    # drafts changed: below the nearest-neighbour copy. Speed is not bought with the model.
    flash_attn: bool = True
    # Issue 18: the tokenizer and chat template alone, for prompts completed by a server.
    vocab_only: bool = False
    # A small quantized model on a CPU with BF16 arithmetic reads prompts from a BF16 copy
    # in memory (engine/reading_copy.py: MedPix drafts 2.18 -> 1.88 s median, same ROUGE).
    bf16_copy: bool = True


@dataclass(frozen=True)
class ModelInfo:
    path: Path
    name: str
    architecture: str
    parameters: int
    quantization: str
    file_size: int
    sha256: str
    chat_template: str | None
    context_length: int | None
    n_ctx: int
    device: DeviceChoice
    load_seconds: float
    threads: int = 0
    adapter: AdapterInfo | None = None  # the LoRA adapter applied, recorded with each draft
    label: str = ""  # file name and quantization (GGUFInfo.label): how reports name it
    # "BF16" when llama.cpp computes from a BF16 copy of the file (reading_copy.py); the
    # file, its digest and its quantization stay what IT approved and reports name.
    compute_type: str = ""


@dataclass
class StreamStats:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    first_token_seconds: float | None = None
    prompt_threads: int = 0
    total_seconds: float = 0.0
    finish_reason: str = ""  # "stop", "length", "cancelled", "guard"

    @property
    def tokens_per_second(self) -> float:
        gen = self.total_seconds - (self.first_token_seconds or 0.0)
        return (self.completion_tokens - 1) / gen if gen > 0 and self.completion_tokens > 1 else 0.0


def _default_threads() -> int:
    # llama.cpp's threads spin-wait for each other: when another program (the PACS viewer,
    # a second RadVal) takes one core, using every core collapses decoding. Measured on 2
    # cores: 2 threads 56 tok/s idle but 18 tok/s with one core busy (and <1 tok/s under
    # heavier load); 1 thread 47 tok/s idle and 48 tok/s with one core busy.
    return max(1, min(8, (os.cpu_count() or 2) - 1))


class LlamaEngine:
    """Wraps one ``llama_cpp.Llama``. Every call must come from the thread that loaded it:
    a llama.cpp context is not thread-safe, and a second thread would corrupt its KV cache.
    """

    def __init__(self, path: Path | str, settings: EngineSettings | None = None) -> None:
        self.path = Path(path)
        self.settings = settings or EngineSettings()
        self._llm: Any = None
        self._owner: int | None = None
        self.info: ModelInfo | None = None
        self.last_stats = StreamStats()
        self._idle: IdleCores | None = None

    def inspect(self, model: SealedFile | None = None) -> tuple[GGUFInfo, str]:
        """Check the file before llama.cpp sees it (llama.cpp aborts on some bad files).

        IT's pin and allowlist judge the bytes llama.cpp will load (``model``, hashed from
        the one descriptor it is loaded from), never a remembered digest (issue 17).
        """
        read_gguf(self.path)  # a bad file is refused in words before it is hashed
        if model is None:
            with SealedFile(self.path, "model file") as sealed:
                return self.inspect(sealed)
        digest = model.sha256
        expected = self.settings.expected_sha256
        if expected and digest != expected.lower():
            raise ModelFileError(
                sentence("RadvalError",
                         "The model file {name} is not the approved one: its sha256 is "
                         "{digest_short}…, the configured one is {expected}…."),
                name=self.path.name, digest_short=digest[:12], expected=expected[:12]
            )
        check_allowed(self.path.name, digest, self.settings.allowed_sha256)
        try:  # the facts (chat template, context, layers) of the very bytes checked
            return replace(read_gguf(model.load_path), path=self.path), digest
        except ModelFileError as err:
            raise ModelFileError(sentence("RadvalError",
                                          "The model file {name} changed while it was being "
                                          "checked; it was not loaded. Try again."),
                                 name=self.path.name) from err

    def load(self, model: SealedFile | None = None) -> ModelInfo:
        """``model``: the file already opened and hashed by the caller (the self-test shows
        its digest first), which then closes it; else it is opened here."""
        from llama_cpp import Llama

        with ExitStack() as files:  # closed once llama.cpp holds the bytes it was given
            if model is None:
                model = files.enter_context(SealedFile(self.path, "model file"))
            gguf, digest = self.inspect(model)
            adapter = None
            if self.settings.adapter_path:
                adapter = files.enter_context(SealedFile(Path(self.settings.adapter_path),
                                                         "adapter"))
                inspect_adapter(adapter.path, gguf, self.settings.allowed_sha256, adapter,
                                pinned=bool(self.settings.expected_sha256))
            return self._load(Llama, model, gguf, digest, adapter)

    def _load(self, llama: Any, model: SealedFile, gguf: GGUFInfo, digest: str,
              adapter_file: SealedFile | None) -> ModelInfo:
        load_backends()
        device = choose_device(self.settings.n_gpu_layers, gguf.block_count)
        device = replace(device, build=llama_build().label())
        n_ctx = self.settings.n_ctx
        if gguf.context_length:
            n_ctx = min(n_ctx, gguf.context_length)
        threads = self.settings.n_threads or _default_threads()
        start = time.perf_counter()
        copy = None
        if not self.settings.vocab_only and wants_bf16_copy(
                gguf, device.n_gpu_layers == 0, self.settings.bf16_copy):
            copy = make_bf16_copy(model.load_path, self.path.name)
        try:
            with weights_in_plain_memory():
                self._llm = llama(
                    model_path=str(copy.load_path if copy else model.load_path),
                    n_ctx=n_ctx,
                    n_gpu_layers=device.n_gpu_layers,
                    n_threads=threads,
                    n_threads_batch=threads,
                    flash_attn=self.settings.flash_attn,
                    vocab_only=self.settings.vocab_only,
                    verbose=False,
                )
        except (ValueError, RuntimeError, OSError) as err:
            raise ModelLoadError(
                sentence("RadvalError",
                         "llama.cpp could not load {name} ({err}). The file may be made for a "
                         "newer llama.cpp or be damaged."),
                name=self.path.name, err=err
            ) from err
        finally:
            if copy is not None:
                copy.close()  # llama.cpp has mapped it; the pages live while it does
        adapter = None
        try:
            model.verify_after_load()
            if adapter_file is not None:
                seconds = attach_adapter(self._llm, adapter_file.load_path,
                                         self.settings.adapter_scale, adapter_file.path.name)
                adapter_file.verify_after_load()
                adapter = AdapterInfo(adapter_file.path, adapter_file.path.stem,
                                      adapter_file.sha256, self.settings.adapter_scale, seconds)
        except (ModelFileError, ModelLoadError):
            self.close()
            raise
        self._owner = threading.get_ident()
        self._idle = IdleCores() if not self.settings.n_threads else None
        self.info = ModelInfo(
            path=self.path,
            name=gguf.name,
            architecture=gguf.architecture,
            parameters=int(self._llm._model.n_params()),
            quantization=gguf.quantization,
            file_size=gguf.file_size,
            sha256=digest,
            chat_template=gguf.chat_template,
            context_length=gguf.context_length,
            n_ctx=int(self._llm.n_ctx()),
            device=device,
            load_seconds=time.perf_counter() - start,
            threads=threads,
            adapter=adapter,
            label=gguf.label,
            compute_type=copy.compute_type if copy else "",
        )
        return self.info

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    def _check_owner(self) -> Any:
        if self._llm is None:
            raise ModelLoadError(sentence("RadvalError",
                                          "The model is not loaded yet."))
        if threading.get_ident() != self._owner:
            raise RuntimeError("LlamaEngine used from a thread that does not own it")
        return self._llm

    def special_tokens(self) -> tuple[str, str]:
        """The BOS and EOS token texts, which chat templates print."""
        llm = self._check_owner()

        def text(token: int) -> str:
            if token < 0:
                return ""
            value = llm._model.token_get_text(token)
            return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)

        return text(llm.token_bos()), text(llm.token_eos())

    def count_tokens(self, text: str) -> int:
        llm = self._check_owner()
        return len(llm.tokenize(text.encode("utf-8"), add_bos=True, special=True))

    def stream(
        self,
        prompt: str,
        sampling: Sampling,
        cancel: threading.Event | None = None,
        stop: list[str] | None = None,
        fresh: bool = True,
    ) -> Iterator[str]:
        """Yield text pieces as they are generated; ``cancel`` stops between two tokens.

        ``fresh``: read the whole prompt again rather than reuse what the context holds of
        it. llama.cpp computes a token read alone (the last one of a prompt read before)
        with other kernels than a token read in a batch, and from a BF16 copy
        (reading_copy.py) the float sums differ: 2 of 20 real reports drafted twice in a
        row came out different. Read fresh, the same findings always give the same draft,
        in the window as in a new `radval draft` process. A retry of the same draft may
        reuse its prompt (``fresh=False``): every caller repeats the same sequence.

        Stats of the run are in ``last_stats`` once the iterator is exhausted or closed.
        """
        from llama_cpp import StoppingCriteriaList

        llm = self._check_owner()
        if fresh:
            llm.reset()  # its next eval drops the KV cache from position 0
        cancel = cancel or threading.Event()
        stats = self.last_stats = StreamStats()
        stats.prompt_tokens = self.count_tokens(prompt)
        stats.prompt_threads = self._set_prompt_threads(llm)
        start = time.perf_counter()

        def stopping(_ids: Any, _logits: Any) -> bool:
            stats.completion_tokens += 1
            if stats.first_token_seconds is None:
                stats.first_token_seconds = time.perf_counter() - start
            return cancel.is_set()

        chunks = llm.create_completion(
            prompt,
            max_tokens=sampling.max_tokens,
            temperature=sampling.temperature,
            top_k=sampling.top_k,
            top_p=sampling.top_p,
            min_p=0.0,
            repeat_penalty=sampling.repeat_penalty,
            seed=sampling.seed,
            stop=stop or [],
            stream=True,
            stopping_criteria=StoppingCriteriaList([stopping]),
        )
        try:
            for chunk in chunks:
                choice = chunk["choices"][0]
                if choice["text"]:
                    yield choice["text"]
                if choice.get("finish_reason"):
                    stats.finish_reason = choice["finish_reason"]
                if cancel.is_set():
                    break
        finally:
            chunks.close()
            stats.total_seconds = time.perf_counter() - start
            if cancel.is_set():
                stats.finish_reason = "cancelled"

    def _set_prompt_threads(self, llm: Any) -> int:
        threads = self.info.threads if self.info else 1
        if self._idle is None:
            return threads
        batch = self._idle.prompt_threads()
        llm._ctx.set_n_threads(threads, batch)
        return batch

    def close(self) -> None:
        if self._llm is not None:
            self._llm.close()
            self._llm = None
