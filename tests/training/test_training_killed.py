"""Issue 9's promise for training: SIGKILL during training loses nothing committed.

A training process is killed twice with SIGKILL (each time just after a checkpoint was
committed, while it trains on), a checkpoint half written by a kill during saving is left
behind, and a third start finishes. Each restart must resume from the last committed step
(not step 0), set the half-written checkpoint aside, and leave only whole checkpoints.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from training_helpers import FAST, fast_recipe

from training import checkpoints
from training.prepare import prepare
from training.run_folder import RunFolder

MAX_STEPS, SAVE_STEPS, KEEP = 30, 5, 2


def _start(command: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    with log.open("ab") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)


def _kill_after_next_commit(process: subprocess.Popen[bytes], stage: Path, after: int,
                            log: Path) -> int:
    """SIGKILL ``process`` once it committed a checkpoint past step ``after``; the last
    committed step when it died."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        last = checkpoints.last_committed(stage)
        if last is not None and checkpoints.step_of(last) > after:
            break
        if process.poll() is not None:
            pytest.fail(f"training ended (rc {process.returncode}) before it could be killed:\n"
                        + log.read_text(errors="replace")[-3000:])
        time.sleep(0.02)
    else:
        process.kill()
        pytest.fail("no checkpoint was committed in time")
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    last = checkpoints.last_committed(stage)
    assert last is not None
    return checkpoints.step_of(last)


@pytest.mark.slow
def test_sigkill_during_training_resumes_from_the_last_commit(
        tmp_path: Path, tiny_base: Path, institutions_file: Path) -> None:
    run = RunFolder(tmp_path / "run")
    prepare(fast_recipe(tiny_base, institutions_file), run)
    sets = [*FAST, f"model.base={tiny_base}", f"data.institutions={institutions_file}",
            "train.stage_one_fraction=0", f"train.max_steps={MAX_STEPS}",
            f"train.save_steps={SAVE_STEPS}", f"train.keep_checkpoints={KEEP}",
            "train.eval_steps=1000", "prompt.rouge_samples=0"]
    command = [sys.executable, "-m", "training", "train", "--run-dir", str(run.root)]
    for value in sets:
        command += ["--set", value]
    stage = run.train / "stage2"
    log = tmp_path / "train.log"

    killed_at = []
    for _ in range(2):
        process = _start(command, log)
        killed_at.append(_kill_after_next_commit(process, stage, max(killed_at, default=0),
                                                 log))
    # A kill in the middle of saving: a checkpoint folder with files but no commit marker.
    last = checkpoints.last_committed(stage)
    assert last is not None
    half = stage / f"checkpoint-{killed_at[-1] + 1}"
    shutil.rmtree(half, ignore_errors=True)
    shutil.copytree(last, half)
    (half / checkpoints.MARKER).unlink()
    (half / "optimizer.pt").write_bytes(b"truncated")

    finished = subprocess.run(command, env=dict(os.environ, OMP_NUM_THREADS="1"),
                              capture_output=True, text=True, timeout=300, check=False)
    assert finished.returncode == 0, finished.stderr[-3000:]

    events = [json.loads(line) for line in
              (run.train / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    resumed = [e["from_step"] for e in events if e["event"] == "resume"]
    print(f"killed at committed steps {killed_at}; resumed from {resumed}; "
          f"{MAX_STEPS} steps, a checkpoint every {SAVE_STEPS}")
    assert killed_at[0] >= SAVE_STEPS
    assert killed_at[1] > killed_at[0]
    assert resumed == killed_at  # never from step 0, never from a half-written checkpoint
    assert [e["checkpoints"] for e in events if e["event"] == "removed-uncommitted"][-1] \
        == [half.name]
    assert sum(e["event"] == "start" for e in events) == 1

    done = json.loads((stage / "stage.json").read_text(encoding="utf-8"))
    assert done["steps"] == MAX_STEPS
    assert done["resumed_from"] == killed_at[-1]
    folders = checkpoints.checkpoint_dirs(stage)
    assert [checkpoints.step_of(f) for f in folders] == [MAX_STEPS - SAVE_STEPS, MAX_STEPS]
    for folder in folders:
        assert checkpoints.is_committed(folder)
        state = json.loads((folder / "trainer_state.json").read_text(encoding="utf-8"))
        assert state["global_step"] == checkpoints.step_of(folder)
    # The training log has each step once, in order, across the three processes.
    state = json.loads((folders[-1] / "trainer_state.json").read_text(encoding="utf-8"))
    logged = [h["step"] for h in state["log_history"] if "loss" in h]
    assert logged == list(range(1, MAX_STEPS + 1))
    assert not list(stage.glob("*.tmp"))
    assert not half.exists()
