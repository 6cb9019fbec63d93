"""The real drafting window in a process of its own, for the kill and two-instance tests.

    python window_child.py draft CASES.json [--pause S] [--slow-sql MS] [--copy] [--go FILE]
    python window_child.py open GO_FILE [--slow-sql MS]

``draft`` opens radval_desktop's MainWindow offscreen on the app's own database (the test
sets QT_QPA_PLATFORM, RADVAL_HOME and the user's config), loads the default model, and
drafts each case as a radiologist would: findings pasted into "draft.findings", body system
and modality picked, Ctrl+Return; with ``--copy`` it then dismisses the first safety flag
(if any) and presses Copy, unless the guards refused the draft. The first case is asked
for at once, so it waits for the load as in the window. ``open`` starts a window on the
database and closes it.

``--slow-sql MS`` is this script's own probe, not the app's: SQLite statements start MS
late (a trace callback, called as each statement begins). In ``draft``, those of the
window's history connection while it saves a finished draft (from "finished" until it is
read back), so that a kill timed from the "finished" line lands inside the save's
transaction (before its COMMIT) or after it, not only around a save that takes about a
millisecond. In ``open``, every statement of every connection, so that windows started
together overlap inside the first migration instead of just missing each other.

Each event is one JSON line on stdout, flushed, so a test that kills this process knows
how far the window got:

    started   Python, Qt and RadVal imported; no window yet
    window    the window is up: its history open (and migrated), the model load started
    loaded    the model is loaded
    drafting  Ctrl+Return pressed for case ``n``
    streaming its first token is in the window (the prompt has been read)
    finished  the inference thread hands case ``n``'s result to the window (printed from
              that thread); the window now shows, checks and saves it
    saved     case ``n``'s row, read back through a connection of this script's own, so
              reported only once it is committed to the file
    copied    (--copy) the Copy landed on that row
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import threading
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QListWidget, QPlainTextEdit, QPushButton

from radval_desktop.ui.main_window import MainWindow


def _say(event: str, **values: object) -> None:
    print(json.dumps({"event": event, "t": time.time(), **values}, ensure_ascii=False),
          flush=True)


def _read_back(path: Path, findings: str) -> dict[str, Any]:
    """The committed row of these findings, seen from outside the window's connection."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute("SELECT uuid, final_text, copied_text FROM drafts "
                            "WHERE findings = ?", [findings]).fetchall()
    finally:
        conn.close()
    if len(rows) != 1:
        raise SystemExit(f"{len(rows)} history rows for one draft: {findings!r}")
    return dict(rows[0])


class Radiologist:
    """Drives one window through the cases, one after another."""

    def __init__(self, app: QApplication, window: MainWindow, cases: list[dict[str, str]],
                 pause: float, copy: bool, slow_ms: float) -> None:
        self.app, self.window, self.cases = app, window, cases
        self.pause_ms, self.copy = int(pause * 1000), copy
        self.n = -1
        self.code = 0
        self.saving = threading.Event()
        if slow_ms > 0:
            db = window.history.database()
            assert db is not None
            db.conn.set_trace_callback(
                lambda _sql: time.sleep(slow_ms / 1000) if self.saving.is_set() else None)
        panel = window.draft_panel
        self.findings = panel.findChild(QPlainTextEdit, "draft.findings")
        self.system = panel.findChild(QComboBox, "draft.body_system")
        self.modality = panel.findChild(QComboBox, "draft.modality")
        self.streaming = -1  # the last case whose first token was shown
        window.service.model_loaded.connect(lambda _info: _say("loaded"))
        window.service.token_generated.connect(self._on_service_token_generated)
        window.service.model_failed.connect(lambda sentence: self.stop(f"load: {sentence}"))
        window.service.draft_failed.connect(lambda _rid, sentence: self.stop(sentence))
        # Connected after the window's own slot, so it runs once the window has saved.
        panel.draft_completed.connect(self._on_draft_completed)
        # "finished" is said in the inference thread before the result is handed to the
        # window's thread: the probe is connected to the worker's signal ahead of the
        # service's own forwarding (reconnected after it, unchanged), so no row of that
        # draft can exist before the line is written.
        worker, service = window.service._worker, window.service  # noqa: SLF001 (a probe)
        worker.draft_finished.disconnect(service.draft_finished)
        worker.draft_finished.connect(self._on_worker_draft_finished,
                                      Qt.ConnectionType.DirectConnection)
        worker.draft_finished.connect(service.draft_finished)

    def _on_service_token_generated(self, _request_id: int, _text: str) -> None:
        if self.streaming != self.n:
            self.streaming = self.n
            _say("streaming", n=self.n)

    def _on_worker_draft_finished(self, _request_id: int, _result: object) -> None:
        self.saving.set()
        _say("finished", n=self.n)

    def next_case(self) -> None:
        self.n += 1
        if self.n == len(self.cases):
            self.app.quit()
            return
        case = self.cases[self.n]
        self.findings.setPlainText(case["findings"])
        self.system.setCurrentIndex(self.system.findData(case["system"]))
        self.modality.setCurrentIndex(self.modality.findData(case["modality"]))
        _say("drafting", n=self.n)
        QTest.keyClick(self.findings, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    def _on_draft_completed(self, request: object, result: object) -> None:
        path = self.window.history.path
        assert path is not None
        row = _read_back(path, getattr(request, "findings", ""))
        self.saving.clear()
        _say("saved", n=self.n, uuid=row["uuid"], findings=self.cases[self.n]["findings"],
             ok=getattr(result, "ok", None), text=row["final_text"])
        if self.copy and getattr(result, "ok", False):  # a refused draft has nothing to copy
            self._dismiss_and_copy(path, getattr(request, "findings", ""))
        QTimer.singleShot(self.pause_ms, self.next_case)

    def _dismiss_and_copy(self, path: Path, findings: str) -> None:
        panel = self.window.draft_panel
        flags = panel.findChild(QListWidget, "draft.flags")
        dismissed = 0
        if flags.count():
            flags.setCurrentRow(0)
            panel.findChild(QPushButton, "draft.dismiss_flag").click()
            dismissed = 1
        panel.findChild(QPushButton, "draft.copy").click()
        row = _read_back(path, findings)
        _say("copied", n=self.n, uuid=row["uuid"], copied=row["copied_text"],
             dismissed=dismissed, message=panel.message_text())

    def stop(self, why: str) -> None:
        _say("failed", n=self.n, why=why)
        self.code = 1
        self.app.quit()


def draft(cases_file: Path, pause: float, copy: bool, slow_ms: float,
          go: Path | None) -> int:
    app = QApplication([])
    _say("started")
    if go is not None:
        while not go.exists():
            time.sleep(0.005)
    window = MainWindow(load_model=False)
    window.show()
    cases = json.loads(cases_file.read_text(encoding="utf-8"))
    radiologist = Radiologist(app, window, cases, pause, copy, slow_ms)
    window.load_model()  # what MainWindow.__init__ does, once the probes are connected
    recovered = window.history.recovered_from
    _say("window", recovered=str(recovered) if recovered else None,
         message=window.draft_panel.message_text())
    QTimer.singleShot(0, radiologist.next_case)
    app.exec()
    window.close()  # closeEvent: geometry saved, worker stopped, history closed
    app.processEvents()
    _say("done", drafts=radiologist.n)
    return radiologist.code


def _slow_statements(ms: float) -> None:
    """Every SQLite connection made from now on starts each statement ``ms`` late."""
    connect = sqlite3.connect

    def slow_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)
        conn.set_trace_callback(lambda _sql: time.sleep(ms / 1000))
        return conn

    sqlite3.connect = slow_connect  # type: ignore[assignment]


def open_window(go: Path, slow_ms: float) -> int:
    """A window started on the database at the same moment as others (no model)."""
    app = QApplication([])
    if slow_ms > 0:
        _slow_statements(slow_ms)
    _say("ready")
    while not go.exists():
        time.sleep(0.005)
    window = MainWindow(load_model=False)
    window.show()
    app.processEvents()
    count = len(window.history.recent())
    _say("opened", message=window.draft_panel.message_text(), drafts=count,
         recovered=str(window.history.recovered_from or ""))
    window.close()
    app.processEvents()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("draft", "open"))
    parser.add_argument("file", type=Path)
    parser.add_argument("--pause", type=float, default=0.0)
    parser.add_argument("--slow-sql", type=float, default=0.0)
    parser.add_argument("--copy", action="store_true")
    parser.add_argument("--go", type=Path)
    args = parser.parse_args()
    if args.mode == "open":
        return open_window(args.file, args.slow_sql)
    return draft(args.file, args.pause, args.copy, args.slow_sql, args.go)


if __name__ == "__main__":
    sys.exit(main())
