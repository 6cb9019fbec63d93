"""The study lead's long tasks (importing candidates, merging raters' files) in a thread of
their own, so the window stays responsive; each reports by signal, never by raising."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

from radval_desktop.errors import RadvalError

log = logging.getLogger(__name__)

BUG_SENTENCE = "Something went wrong; details are in the log."
# A merge or an import is not interruptible mid-file; quitting waits for it rather than
# leave a study file half merged (the merge says how to finish one, but better not to).
SHUTDOWN_WAIT_MS = 120_000


class StudyTaskService(QObject):
    """The GUI thread's handle on the task thread, started on the first task. A task is a
    core function taking no arguments that opens its own connection (a SQLite connection
    stays in the thread that made it)."""

    task_finished = Signal(str, object)  # the task's name, what the function returned
    task_failed = Signal(str, str)  # the task's name, a sentence

    _task_requested = Signal(str, object)
    _close_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: StudyTaskWorker | None = None
        self._busy = ""
        self.task_finished.connect(self._on_worker_done)
        self.task_failed.connect(self._on_worker_done)

    def run(self, name: str, task: Callable[[], object]) -> bool:
        """Start ``task``; False (and nothing started) while another is still running."""
        if self._busy:
            return False
        if self._thread is None:
            self._start()
        self._busy = name
        self._task_requested.emit(name, task)
        return True

    def busy(self) -> str:
        """The running task's name, or "" when idle."""
        return self._busy

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def shutdown(self) -> None:
        """Let the current task finish, then stop the thread; idempotent."""
        if self._thread is None or not self._thread.isRunning():
            return
        self._close_requested.emit()
        if not self._thread.wait(SHUTDOWN_WAIT_MS):
            log.error("The study task thread did not stop within %d ms", SHUTDOWN_WAIT_MS)

    def _start(self) -> None:
        self._thread = QThread()
        self._thread.setObjectName("radval-study-tasks")
        self._worker = StudyTaskWorker()
        self._worker.moveToThread(self._thread)
        self._task_requested.connect(self._worker.run)
        self._close_requested.connect(self._worker.close)
        self._worker.task_finished.connect(self.task_finished)
        self._worker.task_failed.connect(self.task_failed)
        self._thread.start()

    def _on_worker_done(self, *_result: object) -> None:
        self._busy = ""


class StudyTaskWorker(QObject):
    """Lives in the task QThread; every call into the core happens here."""

    task_finished = Signal(str, object)
    task_failed = Signal(str, str)

    @Slot(str, object)
    def run(self, name: str, task: Callable[[], object]) -> None:
        try:
            result = task()
        except RadvalError as err:
            self.task_failed.emit(name, str(err))
            return
        except Exception:
            log.exception("The study task %s failed", name)
            self.task_failed.emit(name, BUG_SENTENCE)
            return
        self.task_finished.emit(name, result)

    @Slot()
    def close(self) -> None:
        QThread.currentThread().quit()
