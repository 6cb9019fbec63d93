"""A run folder: where each step writes its outputs and a record of what it did (run.json)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.recipe import Recipe

STEPS = ("prepare", "select-prompt", "train", "merge", "export")
# Owner-only (issue 17): a run folder holds patients' reports (the splits, problems.jsonl,
# the data card's examples) and checkpoints of a model trained on them, which can repeat
# them. 0600 files and 0700 folders, whatever the machine's umask.
FILE_MODE, DIR_MODE = 0o600, 0o700
PRIVATE_UMASK = 0o077


@contextmanager
def owner_only() -> Iterator[None]:
    """Every file and folder created meanwhile, by this process or the programs it starts
    (transformers' checkpoints, llama.cpp's converter and quantizer), is owner-only."""
    old = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(old)


def is_main_process() -> bool:
    """True outside torchrun/accelerate and on rank 0: only it writes shared records."""
    return int(os.environ.get("RANK", "0")) == 0


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file and rename: a kill leaves the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # Created 0600 (not chmodded after): the text is never readable by others, even briefly.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with open(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def write_json(path: Path, data: Any) -> None:
    write_atomic(path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def sha256_files(files: Iterable[Path]) -> str:
    """One digest over several files' names and bytes (the data a step consumed)."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class RunFolder:
    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def select_prompt(self) -> Path:
        return self.root / "select_prompt"

    @property
    def train(self) -> Path:
        return self.root / "train"

    @property
    def adapter(self) -> Path:
        """The trained adapter: stage two's, which holds stage one's embeddings LoRA too."""
        return self.train / "stage2" / "adapter"

    @property
    def merged(self) -> Path:
        return self.root / "merged"

    @property
    def export(self) -> Path:
        return self.root / "export"

    @property
    def record_file(self) -> Path:
        return self.root / "run.json"

    @property
    def recipe_file(self) -> Path:
        return self.root / "recipe.json"

    def create(self) -> RunFolder:
        # The run's own folder: owner-only even when it already existed, so nothing under
        # it is reachable by others whatever the modes of the files inside.
        self.root.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        os.chmod(self.root, DIR_MODE)
        return self

    def records(self) -> dict[str, Any]:
        if not self.record_file.is_file():
            return {"steps": {}}
        data = read_json(self.record_file)
        data.setdefault("steps", {})
        return dict(data)

    def step_record(self, step: str) -> dict[str, Any] | None:
        record = self.records()["steps"].get(step)
        return dict(record) if record else None

    def is_done(self, step: str, fingerprint: str) -> bool:
        """The step finished before on the same inputs (so running it again would redo work)."""
        record = self.step_record(step)
        return bool(record and record.get("finished") and record.get("inputs") == fingerprint)

    def record(self, step: str, recipe: Recipe, fingerprint: str, started: float,
               summary: dict[str, Any]) -> None:
        """Write what ``step`` did into run.json (rank 0 only)."""
        if not is_main_process():
            return
        data = self.records()
        data["steps"][step] = {
            "started": _iso(started),
            "finished": _iso(time.time()),
            "seconds": round(time.time() - started, 2),
            "inputs": fingerprint,
            "summary": summary,
        }
        data["recipe"] = recipe.as_dict()
        write_json(self.record_file, data)

    def forget(self, step: str) -> None:
        """Drop a step's record (its outputs are being redone)."""
        if not is_main_process():
            return
        data = self.records()
        if data["steps"].pop(step, None) is not None:
            write_json(self.record_file, data)

    def clear(self, folder: Path) -> None:
        if folder.exists() and is_main_process():
            shutil.rmtree(folder)


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(seconds))
