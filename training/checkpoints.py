"""Committed checkpoints: a kill at any moment loses nothing committed and leaves no half folder.

transformers writes a checkpoint's files one after another into `checkpoint-N/`; a SIGKILL in
between leaves a folder that looks like a checkpoint but cannot be resumed from. We mark a
checkpoint committed only once the Trainer has finished it (a COMMITTED file written
atomically, after fsync of every file), resume only from committed ones, delete uncommitted
ones before resuming, and rotate old checkpoints ourselves after the commit (the Trainer's
own rotation runs before the commit could be written).
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

from training.run_folder import write_atomic

log = logging.getLogger(__name__)

MARKER = "COMMITTED"
_NAME = re.compile(r"^checkpoint-(\d+)$")


def step_of(path: Path) -> int:
    match = _NAME.match(path.name)
    return int(match.group(1)) if match else -1


def checkpoint_dirs(stage_dir: Path) -> list[Path]:
    """Every checkpoint-N folder, oldest step first."""
    if not stage_dir.is_dir():
        return []
    return sorted((p for p in stage_dir.iterdir() if p.is_dir() and _NAME.match(p.name)),
                  key=step_of)


def is_committed(path: Path) -> bool:
    return (path / MARKER).is_file()


def commit(path: Path) -> None:
    """fsync the checkpoint's files, then write the marker: after this it survives a kill."""
    for file in path.rglob("*"):
        if file.is_file():
            fd = os.open(file, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    state = json.loads((path / "trainer_state.json").read_text(encoding="utf-8"))
    write_atomic(path / MARKER, json.dumps({"global_step": state["global_step"],
                                            "committed": time.time()}) + "\n")


def last_committed(stage_dir: Path) -> Path | None:
    committed = [p for p in checkpoint_dirs(stage_dir) if is_committed(p)]
    return committed[-1] if committed else None


def remove_uncommitted(stage_dir: Path) -> list[str]:
    """Delete checkpoint folders a kill left unfinished; returns their names."""
    removed = []
    for path in checkpoint_dirs(stage_dir):
        if not is_committed(path):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    return removed


def rotate(stage_dir: Path, keep: int) -> list[str]:
    """Keep the newest ``keep`` committed checkpoints; older ones are deleted."""
    committed = [p for p in checkpoint_dirs(stage_dir) if is_committed(p)]
    removed = []
    for path in committed[:-keep] if keep > 0 else []:
        # Unmark first: a kill in the middle of rmtree leaves an uncommitted folder, which
        # the next start deletes, never a "committed" one with files missing.
        (path / MARKER).unlink()
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
    return removed


def commit_callback(stage_dir: Path, keep: int, events: Any) -> Any:
    """A TrainerCallback that commits each checkpoint the Trainer saves (rank 0 only)."""
    from transformers import TrainerCallback

    class CommitCheckpoints(TrainerCallback):
        def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if not state.is_world_process_zero:
                return
            path = stage_dir / f"checkpoint-{state.global_step}"
            if path.is_dir():
                commit(path)
                removed = rotate(stage_dir, keep)
                events("checkpoint", step=state.global_step, path=str(path), rotated=removed)

    return CommitCheckpoints()
