"""The prompt's threads follow what other programs leave idle; ours never count as busy."""

from __future__ import annotations

import subprocess
import sys
import time

from radval_desktop.engine.threads import (
    IdleCores,
    Look,
    batch_threads,
    look,
    others_busy,
    threads_for,
)

SPIN = "import time\nend = time.monotonic() + {0}\nwhile time.monotonic() < end: pass\n"


def test_busy_elsewhere_is_the_machine_less_this_process() -> None:
    before = Look(wall=10.0, busy=100.0, ours=40.0)
    after = Look(wall=12.0, busy=104.0, ours=42.0)  # 4 CPU s busy in 2 s, 2 of them ours
    assert others_busy(before, after) == 1.0
    assert others_busy(after, after) == 0.0
    assert others_busy(before, Look(12.0, 101.0, 43.0)) == 0.0  # clock ticks never go below 0


def test_a_busy_core_elsewhere_leaves_the_prompt_the_rest() -> None:
    assert threads_for(2, 0.0) == 2
    assert threads_for(2, 0.2) == 2  # noise: a terminal blinking
    assert threads_for(2, 0.9) == 1
    assert threads_for(2, 2.0) == 1  # never none
    assert threads_for(16, 1.5) == 8  # at most 8: more threads than that spin-wait for nothing
    assert threads_for(4, 1.1) == 3
    assert threads_for(4, 1.5) == 2


def test_another_program_spinning_takes_its_core_away() -> None:
    idle = IdleCores(cores=2)
    idle.prompt_threads()  # the first look
    child = subprocess.Popen([sys.executable, "-c", SPIN.format(0.6)])
    try:
        time.sleep(0.5)
        assert idle.prompt_threads() == 1
    finally:
        child.wait()


def test_a_batch_keeps_the_users_threads_else_takes_the_cores_left_idle() -> None:
    assert batch_threads(3, 2, 2.0) == 3  # --threads or model.n_threads: kept, however busy
    assert batch_threads(0, 2, 0.0) == 2
    assert batch_threads(0, 2, 0.2) == 2  # noise
    assert batch_threads(0, 2, 0.9) == 1  # a core busy elsewhere is not spun on
    assert batch_threads(0, 2, 2.0) == 1  # never none
    assert batch_threads(0, 16, 0.0) == 16  # idle: every core, as a batch always took
    assert batch_threads(0, 16, 3.5) == 12


def test_a_batch_gives_up_the_core_another_program_spins_on() -> None:
    idle = IdleCores(cores=2)
    idle.batch_threads()  # the first look
    child = subprocess.Popen([sys.executable, "-c", SPIN.format(0.6)])
    try:
        time.sleep(0.5)
        assert idle.batch_threads() == 1
        assert idle.batch_threads(explicit=2) == 2
    finally:
        child.wait()


def _busy_elsewhere(spin: bool) -> float:
    before = look()
    end = time.monotonic() + 0.4
    while time.monotonic() < end:
        if not spin:
            time.sleep(0.01)
    return others_busy(before, look())


def test_our_own_work_is_not_someone_else_s() -> None:
    # Compared with the same window spent asleep, so whatever else runs on this machine
    # (a bench beside the tests) counts the same in both.
    # A program beside the tests changes its own load between two windows (the 2026-12-01
    # CI run beside a fine-tune: 1.0 then 1.9 cores); counting our own work would add a core
    # to every pair, so the closest of three pairs is the one that tells.
    gaps = []
    for _ in range(3):
        quiet = _busy_elsewhere(spin=False)
        working = _busy_elsewhere(spin=True)  # this process decoding, as in a batch
        gaps.append(abs(working - quiet))
    assert min(gaps) < 0.5, gaps
