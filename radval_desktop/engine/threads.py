"""How many cores llama.cpp may use to read a prompt: the ones other programs leave idle.

Reading the prompt (hundreds of tokens with examples) is most of a draft's time, and it
runs twice as fast on two cores as on one when they are idle (125 -> 230 tokens/s on this
2-core machine, bench/draft_latency.py). But llama.cpp's threads spin-wait for each other,
so with a core busy elsewhere (the PACS viewer) two threads read at 66-80 tokens/s, slower
than one. So the prompt gets every core that was idle a moment ago, and generation keeps
its fixed threads (engine's ``_default_threads``): generation overlaps with whatever the
radiologist does next, and is where a busy core hurts most.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import psutil

# A look older than this says little about now: sample afresh for this long instead.
_STALE_SECONDS = 5.0
_SAMPLE_SECONDS = 0.06
# Other programs using less than this share of a core count as not using it (a clock
# tick of noise in a short sample, a terminal blinking).
_NOISE_CORES = 0.35
MAX_THREADS = 8


@dataclass(frozen=True)
class Look:
    wall: float
    busy: float  # CPU seconds the whole machine spent busy, every core together
    ours: float  # CPU seconds this process spent


def look() -> Look:
    times = psutil.cpu_times()
    idle = times.idle + getattr(times, "iowait", 0.0)
    own = psutil.Process().cpu_times()
    return Look(time.monotonic(), sum(times) - idle, own.user + own.system)


def others_busy(before: Look, after: Look) -> float:
    """Cores other programs kept busy between two looks (ours never count)."""
    wall = after.wall - before.wall
    if wall <= 0:
        return 0.0
    return max(0.0, (after.busy - before.busy) - (after.ours - before.ours)) / wall


def threads_for(cores: int, busy_elsewhere: float, most: int = MAX_THREADS) -> int:
    """Prompt threads: every core but those others use, at least one, at most ``most``."""
    taken = max(0, int(busy_elsewhere - _NOISE_CORES + 0.999))
    return max(1, min(most, cores - taken))


def batch_threads(explicit: int, cores: int, busy_elsewhere: float) -> int:
    """Threads for `radval batch --parallel`: the user's number when they set one
    (``--threads``, ``model.n_threads``); else the window's rule, every core other programs
    leave idle, but with no MAX_THREADS cap: on an idle machine a batch keeps every core, as
    it always did. Measured on this 2-core machine with the cores busy elsewhere, 2 spinning
    threads decoded 3.2 cases/min where one at a time made 7.3 (README, the scale on paper).
    """
    if explicit > 0:
        return explicit
    return threads_for(cores, busy_elsewhere, most=cores)


class IdleCores:
    """Decides the prompt's threads from what the machine did since the last draft began.

    Between drafts of a batch the window is the previous draft itself, so it costs nothing;
    after a pause (the radiologist reading) it samples for 60 ms.
    """

    def __init__(self, cores: int | None = None) -> None:
        self.cores = cores or os.cpu_count() or 1
        self._last: Look | None = None

    def busy_elsewhere(self) -> float:
        """Cores other programs kept busy since the last call (or the last 60 ms)."""
        now = look()
        if self._last is None or now.wall - self._last.wall > _STALE_SECONDS:
            time.sleep(_SAMPLE_SECONDS)
            self._last, now = now, look()
        busy = others_busy(self._last, now)
        self._last = now
        return busy

    def prompt_threads(self) -> int:
        return threads_for(self.cores, self.busy_elsewhere())

    def batch_threads(self, explicit: int = 0) -> int:
        """batch_threads() of what the machine did since the last call."""
        if explicit > 0:
            return explicit  # no look: nothing to decide
        return batch_threads(0, self.cores, self.busy_elsewhere())
