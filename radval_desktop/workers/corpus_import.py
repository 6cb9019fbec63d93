"""The corpus-import thread: reads a file of past reports into the example corpus away from
the GUI thread (jieba-cutting thousands of findings takes seconds) and reports by signal."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from radval_desktop.errors import RadvalError
from radval_desktop.safety.retrieval import ExampleCorpus, import_pairs
from radval_desktop.store.database import open_database
from radval_desktop.workers.sentences import bug_sentence, error_text

log = logging.getLogger(__name__)

# One import is not interruptible mid-file; a large file (100,000 rows) takes about 30 s
# on 2 cores (bench/retrieval_speed.py), so quitting waits for it rather than cut it off.
SHUTDOWN_WAIT_MS = 120_000


class CorpusImportService(QObject):
    """The GUI thread's handle on the import thread, started on the first import (most
    sessions never import). Its signals are re-emitted in the GUI thread (see
    InferenceService for why)."""

    import_finished = Signal(object)  # safety.retrieval.ImportSummary
    import_failed = Signal(str)

    _import_requested = Signal(object, object, str)
    _close_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: CorpusImportWorker | None = None
        self._busy = False
        self.import_finished.connect(self._on_worker_done)
        self.import_failed.connect(self._on_worker_done)

    def import_file(self, database: Path, file: Path, institution: str = "") -> None:
        """Import ``file`` into the corpus of the database at ``database``. The worker opens
        its own connection to it: a SQLite connection must stay in the thread that made it."""
        if self._thread is None:
            self._start()
        self._busy = True
        self._import_requested.emit(database, file, institution)

    def is_busy(self) -> bool:
        return self._busy

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.isRunning()

    def shutdown(self) -> None:
        """Let the current import finish, then stop the thread; idempotent."""
        if self._thread is None or not self._thread.isRunning():
            return
        self._close_requested.emit()
        if not self._thread.wait(SHUTDOWN_WAIT_MS):
            log.error("The corpus-import thread did not stop within %d ms", SHUTDOWN_WAIT_MS)

    def _start(self) -> None:
        self._thread = QThread()
        self._thread.setObjectName("radval-corpus-import")
        self._worker = CorpusImportWorker()
        self._worker.moveToThread(self._thread)
        self._import_requested.connect(self._worker.import_file)
        self._close_requested.connect(self._worker.close)
        self._worker.import_finished.connect(self.import_finished)
        self._worker.import_failed.connect(self.import_failed)
        self._thread.start()

    def _on_worker_done(self, *_result: object) -> None:
        self._busy = False


class CorpusImportWorker(QObject):
    """Lives in the import QThread; every call into the core happens here."""

    import_finished = Signal(object)
    import_failed = Signal(str)

    @Slot(object, object, str)
    def import_file(self, database: Path, file: Path, institution: str) -> None:
        try:
            db = open_database(database)
            try:
                summary = import_pairs(ExampleCorpus(db, database), file, institution)
            finally:
                db.close()
        except RadvalError as err:
            self.import_failed.emit(error_text(err))
            return
        except Exception:
            log.exception("Importing %s into the example corpus failed", file)
            self.import_failed.emit(bug_sentence())
            return
        self.import_finished.emit(summary)

    @Slot()
    def close(self) -> None:
        QThread.currentThread().quit()
