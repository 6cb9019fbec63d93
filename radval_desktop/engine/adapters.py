"""LoRA adapters: one GGUF per institution, applied by llama.cpp on top of a base model.

llama-cpp-python's ``Llama(lora_path=...)`` turns memory-mapping off for the whole base
model (a leftover of the old API that patched weights in place); llama.cpp's adapter API
applies the adapter at compute time, so RadVal attaches it itself after loading, with the
base model still mapped: attaching a 0.7 MB adapter to the default model took 1 ms.
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from radval_desktop.engine.allowlist import approves_addition
from radval_desktop.engine.gguf_file import GGUFInfo, read_gguf
from radval_desktop.engine.sealed_file import SealedFile
from radval_desktop.errors import SENTENCES, ModelFileError, ModelLoadError, Words, sentence


@dataclass(frozen=True)
class AdapterInfo:
    path: Path
    name: str
    sha256: str
    scale: float
    attach_seconds: float = 0.0


def is_adapter(info: GGUFInfo) -> bool:
    return str(info.get("general.type", "")) == "adapter" or "adapter.type" in info.metadata


def inspect_adapter(path: Path, base: GGUFInfo, allowed: Sequence[str] = (),
                    sealed: SealedFile | None = None, pinned: bool = False
                    ) -> tuple[GGUFInfo, str]:
    """Refuse, with a sentence, an adapter llama.cpp cannot apply to ``base`` or IT has not
    approved. ``sealed``: the adapter's bytes as llama.cpp will read them (opened here when
    not given); ``pinned``: IT pinned the model (model.sha256)."""
    if sealed is None:
        with SealedFile(path, "adapter") as opened:
            return inspect_adapter(path, base, allowed, opened, pinned)
    info = read_gguf(path)
    if not is_adapter(info):
        raise ModelFileError(sentence("RadvalError",
                                      "{name} is a model, not a LoRA adapter; choose it as the "
                                      "model instead, or pick an adapter exported by training."),
                             name=path.name)
    kind = str(info.get("adapter.type", "lora"))
    if kind != "lora":
        raise ModelFileError(sentence("RadvalError",
                                      "{name} is a '{kind}' adapter; RadVal applies LoRA only."),
                             name=path.name, kind=kind)
    if info.architecture != base.architecture:
        raise ModelFileError(
            sentence("RadvalError",
                     "The adapter {name} was made for a {architecture} model, but the model "
                     "{base_name} is {base_architecture}; choose the adapter trained on this "
                     "model."),
            name=path.name, architecture=info.architecture, base_name=base.name,
            base_architecture=base.architecture)
    _check_tensors(path.name, info, base)
    digest = sealed.sha256  # the bytes llama.cpp reads, never a remembered digest (issue 17)
    # IT's allowlist and pin cover adapters too: an adapter changes what the model writes as
    # much as a different model does.
    if not approves_addition(digest, allowed, pinned):
        raise ModelFileError(
            sentence("RadvalError",
                     "The adapter {name} is not on IT's list of approved files (sha256 "
                     "{digest_short}…); ask IT to approve it, or draft without it."),
            name=path.name, digest_short=digest[:12])
    return info, digest


def _mismatch(name: str, base: GGUFInfo, detail: str, **values: object) -> ModelFileError:
    """``detail``: a sentence() template, so the window translates it with the rest."""
    return ModelFileError(
        sentence("RadvalError",
                 "The adapter {name} does not fit the model {base_name}: {detail}. It was made "
                 "for another base model (or another size of it); choose the adapter trained on "
                 "this model."),
        name=name, base_name=base.name, detail=Words(SENTENCES, detail, tuple(values.items())))


def _check_tensors(name: str, adapter: GGUFInfo, base: GGUFInfo) -> None:
    """Each LoRA pair must name a tensor of ``base`` with dims that fit it, checked here
    because llama.cpp checks only some: an embedding LoRA on a tied model, or one whose two
    ranks differ, passes its loader and then aborts the whole process (GGML_ASSERT) at the
    first draft. Dims are in ggml order (ne[0] first), as llama-adapter.cpp compares them."""
    pairs: dict[str, dict[str, tuple[int, ...]]] = {}
    for tensor, dims in adapter.tensors.items():
        stem, _, suffix = tensor.rpartition(".")
        if suffix in ("lora_a", "lora_b"):
            pairs.setdefault(stem, {})[suffix] = dims
    for tensor, pair in pairs.items():
        if len(pair) != 2:
            raise _mismatch(name, base, sentence(
                "RadvalError", "it holds only half of the LoRA pair for {tensor}"), tensor=tensor)
        target = base.tensors.get(tensor)
        if target is None:
            raise _mismatch(name, base, sentence(
                "RadvalError", "it changes the tensor {tensor}, which the model does not have"),
                tensor=tensor)
        a, b = pair["lora_a"], pair["lora_b"]
        if len(a) != 2 or len(b) != 2 or len(target) != 2:
            raise _mismatch(name, base, sentence(
                "RadvalError", "its LoRA for {tensor} is not a pair of matrices over a matrix"),
                tensor=tensor)
        if tensor == "token_embd.weight":
            # llm_build_inp_embd: rows of lora_a [r, n_vocab] are gathered, then lora_b [r, n_embd]
            fits = a[1] == target[1] and b[1] == target[0] and a[0] == b[0]
        else:
            fits = a[0] == target[0] and b[1] == target[1] and a[1] == b[0]
        if not fits:
            raise _mismatch(name, base, sentence(
                "RadvalError", "its LoRA for {tensor} has the shapes {a} and {b}, which do not "
                "fit the model's {target}"),
                tensor=tensor, a=_dims(a), b=_dims(b), target=_dims(target))
    if "token_embd.weight" in pairs and "output.weight" not in base.tensors:
        # The output layer reuses token_embd.weight there, so llama.cpp applies the embedding
        # LoRA (laid out for a row lookup) to the output product too: an abort, not an error.
        raise ModelFileError(
            sentence("RadvalError",
                     "The adapter {name} changes the token embeddings, and the model {base_name} "
                     "shares them with its output layer (tied embeddings), so llama.cpp cannot "
                     "apply it and would stop RadVal. Ask for an adapter trained without embedding "
                     "LoRA (training: --set train.stage_one_fraction=0), or for the merged model."),
            name=name, base_name=base.name)


def _dims(dims: tuple[int, ...]) -> str:
    return " x ".join(str(d) for d in dims)


def attach_adapter(llm: Any, path: Path, scale: float = 1.0, name: str = "") -> float:
    """Apply the adapter to a loaded ``llama_cpp.Llama``; the seconds it took. ``name``: the
    file's name for sentences (``path`` may be a /proc/self/fd link, see sealed_file.py).

    llama.cpp frees the adapter with its model (``llama_adapter_lora_free``'s note), so the
    engine's close() needs nothing more.
    """
    import llama_cpp

    name = name or path.name
    start = time.perf_counter()
    adapter = llama_cpp.llama_adapter_lora_init(llm._model.model, str(path).encode("utf-8"))
    if not adapter:
        raise ModelLoadError(
            sentence("RadvalError",
                     "llama.cpp could not apply the adapter {name}: its tensors do not match this "
                     "model (it was trained on another base model) or the file is damaged."),
            name=name)
    adapters = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(adapter)
    scales = (ctypes.c_float * 1)(scale)
    if llama_cpp.llama_set_adapters_lora(llm._ctx.ctx, adapters, 1, scales) != 0:
        raise ModelLoadError(sentence("RadvalError",
                                      "llama.cpp could not apply the adapter {name}."),
                             name=name)
    llm._radval_adapter = adapter  # keep the handle alive as long as the model
    return time.perf_counter() - start
