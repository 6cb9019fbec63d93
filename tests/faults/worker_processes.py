"""Start a RadVal process (instance_worker.py, window_child.py) and read its lines as they come."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

FAULTS = Path(__file__).resolve().parent
WORKER = FAULTS / "instance_worker.py"
WINDOW = FAULTS / "window_child.py"  # the real MainWindow, offscreen


class Worker:
    """One RadVal process; its JSON lines are collected by a thread so that reading never
    blocks the test (a process killed mid-line leaves half a line, which is dropped)."""

    def __init__(self, *args: str, script: Path = WORKER) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(FAULTS), str(FAULTS.parent), str(FAULTS.parents[1])]))
        self.proc = subprocess.Popen([sys.executable, str(script), *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env)
        self.lines: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self._stderr: list[str] = []
        self._threads = [threading.Thread(target=self._read, daemon=True),
                         threading.Thread(target=self._drain, daemon=True)]
        for thread in self._threads:
            thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self.lines.put(json.loads(line))
            except json.JSONDecodeError:
                continue  # cut short by the kill: not a report of anything

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        self._stderr.extend(self.proc.stderr)

    def wait_for(self, event: str, timeout: float) -> dict[str, Any]:
        """The next line with this event; the lines before it are kept in ``seen``."""
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no '{event}' within {timeout} s; stderr: "
                                     f"{self.stderr()[-2000:]}") from None
            self.seen.append(line)
            if line.get("event") == event:
                return line

    def finish(self, timeout: float) -> list[dict[str, Any]]:
        """Wait for the process to end; every line it reported."""
        self.proc.wait(timeout=timeout)
        for thread in self._threads:
            thread.join(timeout=10)
        while not self.lines.empty():
            self.seen.append(self.lines.get())
        return self.seen

    def stderr(self) -> str:
        return "".join(self._stderr)

    def saved(self) -> list[dict[str, Any]]:
        return [line for line in self.seen if line.get("event") == "saved"]
