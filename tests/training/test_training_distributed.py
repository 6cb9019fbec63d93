"""Two training processes under torchrun (gloo on the CPU): the same code, no change for DDP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from training_helpers import FAST, fast_recipe

from training.prepare import prepare
from training.run_folder import RunFolder


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_torchrun_two_processes_train_one_model(tmp_path: Path, tiny_base: Path,
                                                institutions_file: Path) -> None:
    run = RunFolder(tmp_path / "run")
    sets = [*FAST, f"model.base={tiny_base}", f"data.institutions={institutions_file}",
            "train.per_device_batch_size=1", "train.max_steps=4", "train.save_steps=2",
            "prompt.rouge_samples=0"]
    prepare(fast_recipe(tiny_base, institutions_file), run)
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
               "--master_addr", "127.0.0.1", "--master_port", str(_free_port()),
               "-m", "training", "train", "--run-dir", str(run.root)]
    for value in sets:
        command += ["--set", value]
    env = dict(os.environ, OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300,
                            check=False)
    seconds = time.perf_counter() - started
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((run.train / "summary.json").read_text(encoding="utf-8"))
    print(f"torchrun, 2 processes: {seconds:.1f} s")
    assert summary["processes"] == 2
    # Effective batch 2 over 2 processes x 1 per device: no accumulation.
    assert summary["gradient_accumulation"] == 1
    for stage in summary["stages"]:
        assert stage["world_size"] == 2
        assert stage["backend"] == "gloo"
        assert stage["steps"] == 4
    assert summary["eval_loss_after"] < summary["eval_loss_before"]
    # One writer: rank 0 alone wrote the records (one start event per stage, not two).
    events = [json.loads(line) for line in
              (run.train / "events.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [e["stage"] for e in events if e["event"] == "start"] == ["stage1", "stage2"]
    assert (run.adapter / "adapter_model.safetensors").is_file()
