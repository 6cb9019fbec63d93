"""Shared by the training tests: fast recipe settings, the tokenizer corpus, env for session
fixtures (in its own module: `conftest` is a name several test folders use)."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fixture_exports import corpus_texts

REPO = Path(__file__).resolve().parents[2]
MODEL_CACHE = REPO / ".cache" / "test-models"  # as tests/conftest.py: one per checkout

# Settings that make the paper's recipe run in seconds on the tiny model.
FAST = [
    "data.validation_fraction=0.2",
    "prompt.template=t2_numbered",
    "prompt.rouge_samples=2",
    "prompt.rouge_max_new_tokens=8",
    "train.lora_r=8",
    "train.lora_alpha=16",
    "train.lora_dropout=0.0",
    "train.learning_rate=0.01",
    "train.per_device_batch_size=2",
    "train.effective_batch_size=2",
    "train.stage_one_fraction=0.2",
    "train.embeddings=lora",  # the reading both merge and export-adapter carry
    "train.epochs=1",
    "train.max_steps=6",
    "train.save_steps=3",
    "train.eval_steps=3",
    "train.logging_steps=1",
    "export.outtype=f32",
    "export.quantization=Q4_K_M",
]


@contextmanager
def env(**values: str) -> Iterator[None]:
    """Environment for session fixtures (the autouse per-test fixture is not there yet)."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def training_texts() -> list[str]:
    """The fixtures and the prompt templates' wording: what the tiny tokenizer learns from."""
    from radval_desktop.prompts import load_templates

    ts = load_templates()
    texts = corpus_texts() + list(ts.system.values())
    for template in ts.templates.values():
        texts += list(template.instruction.values())
    for table in (*ts.labels.values(), *ts.body_systems.values(), *ts.modalities.values()):
        texts += list(table.values())
    return texts


def fast_recipe(base: Path, institutions: Path, *extra: str) -> Any:
    from training.recipe import build_recipe, parse_sets

    return build_recipe(parse_sets([*FAST, f"model.base={base}",
                                    f"data.institutions={institutions}", *extra]))


# Python's audit events for talking to another machine (as tests/faults/conftest.py).
_NETWORK_EVENTS = frozenset({
    "socket.connect", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
    "socket.gethostbyname", "socket.gethostbyaddr", "http.client.connect", "urllib.Request",
})
_attempts: list[str] | None = None  # None: the hook is idle


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _attempts is None or event not in _NETWORK_EVENTS:
        return
    sock = args[0] if args else None
    if isinstance(sock, socket.socket) and sock.family == getattr(socket, "AF_UNIX", -1):
        return
    _attempts.append(f"{event} {repr(args)[:200]}")
    raise ConnectionRefusedError(f"network use while training: {event}")


sys.addaudithook(_audit)  # cannot be removed: one idle hook for the session


@contextmanager
def refuse_network() -> Iterator[list[str]]:
    """Record and refuse every network attempt of this process inside the block."""
    global _attempts
    _attempts = []
    try:
        yield _attempts
    finally:
        _attempts = None
