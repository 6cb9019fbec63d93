"""The inference thread: owns the llama.cpp engine and turns drafting events into signals."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from radval_desktop.drafting import (
    DraftDone,
    DraftRequest,
    DraftRestarted,
    DraftToken,
    draft_events,
)
from radval_desktop.engine.default_model import default_model_path
from radval_desktop.engine.llama_engine import EngineSettings, LlamaEngine
from radval_desktop.engine.sampling import Sampling
from radval_desktop.errors import RadvalError
from radval_desktop.safety.retrieval import ExampleCorpus
from radval_desktop.store.database import open_database
from radval_desktop.workers.sentences import bug_sentence, error_text

log = logging.getLogger(__name__)

# A stuck load or prompt evaluation cannot be interrupted (llama.cpp), so shutdown waits
# this long for the current step before giving up on a clean stop.
SHUTDOWN_WAIT_MS = 30_000


class InferenceService(QObject):
    """The GUI thread's handle on the inference thread, where every llama.cpp call happens
    in queue order. A draft requested while the model loads waits behind the load.

    Its signals are re-emitted in the GUI thread (this object lives there, the engine's
    worker in its own QThread), so anything connected to them, even a lambda or
    pytest-qt's waitSignal, runs in the GUI thread: PySide6 calls a plain Python callable
    in the emitting thread, which would touch widgets from the worker.
    """

    model_loading = Signal(str)
    model_loaded = Signal(object)  # ModelInfo
    model_failed = Signal(str)
    token_generated = Signal(int, str)
    draft_restarted = Signal(int, int, str)  # request id, attempt, reason
    draft_finished = Signal(int, object)  # request id, DraftResult
    draft_failed = Signal(int, str)
    draft_cancelled = Signal(int)

    _load_requested = Signal(object, object)
    _corpus_requested = Signal(object)
    _draft_requested = Signal(int, object, object)
    _close_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("radval-inference")
        self._worker = InferenceWorker()
        self._worker.moveToThread(self._thread)
        worker = self._worker
        self._load_requested.connect(worker.load)
        self._corpus_requested.connect(worker.set_corpus)
        self._draft_requested.connect(worker.generate)
        self._close_requested.connect(worker.close)
        for name in ("model_loading", "model_loaded", "model_failed", "token_generated",
                     "draft_restarted", "draft_finished", "draft_failed", "draft_cancelled"):
            getattr(worker, name).connect(getattr(self, name))
        self._thread.start()

    def load(self, path: Path | str | None, settings: EngineSettings) -> None:
        """Queue a (re)load; ``path`` None or "" means the embedded default model."""
        self._load_requested.emit(path, settings)

    def set_corpus(self, path: Path | None) -> None:
        """The database whose example corpus drafts draw on (None: none). The worker opens
        its own connection: a SQLite connection must stay in the thread that made it."""
        self._corpus_requested.emit(path)

    def generate(self, request_id: int, request: DraftRequest, sampling: Sampling) -> None:
        self._worker.prepare_cancel(request_id)
        self._draft_requested.emit(request_id, request, sampling)

    def cancel(self, request_id: int | None = None) -> None:
        """Stop one request (or all) within a token. The Event is set directly: a queued
        signal would wait behind the busy generation loop."""
        self._worker.cancel(request_id)

    def is_running(self) -> bool:
        return self._thread.isRunning()

    def shutdown(self) -> None:
        """Stop any draft, free the model in its own thread, stop the thread; idempotent."""
        if not self._thread.isRunning():
            return
        self.cancel()
        self._close_requested.emit()
        if not self._thread.wait(SHUTDOWN_WAIT_MS):
            log.error("The inference thread did not stop within %d ms", SHUTDOWN_WAIT_MS)


class InferenceWorker(QObject):
    """Lives in the inference QThread and owns the LlamaEngine (loaded there, used there)."""

    model_loading = Signal(str)
    model_loaded = Signal(object)
    model_failed = Signal(str)
    token_generated = Signal(int, str)
    draft_restarted = Signal(int, int, str)
    draft_finished = Signal(int, object)
    draft_failed = Signal(int, str)
    draft_cancelled = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self._engine: LlamaEngine | None = None
        self._corpus: ExampleCorpus | None = None
        self._load_error = self.tr("The model has not been loaded yet.")
        # One Event per request, made in the GUI thread before the request is queued, so a
        # Stop pressed while the request still waits behind a load is not lost.
        self._cancels: dict[int, threading.Event] = {}
        self._lock = threading.Lock()

    def prepare_cancel(self, request_id: int) -> None:
        with self._lock:
            self._cancels[request_id] = threading.Event()

    def cancel(self, request_id: int | None = None) -> None:
        """Safe from any thread."""
        with self._lock:
            events = [e for rid, e in self._cancels.items() if request_id in (None, rid)]
        for event in events:
            event.set()

    # --- worker-thread side ----------------------------------------------------------

    @Slot(object, object)
    def load(self, path: Path | str | None, settings: EngineSettings) -> None:
        self._free_engine()
        try:
            self.model_loading.emit(self.tr("Checking the model file…"))
            model_path = Path(path) if path else default_model_path()
            self.model_loading.emit(self.tr("Loading {name}…").format(name=model_path.name))
            engine = LlamaEngine(model_path, settings)
            info = engine.load()
        except RadvalError as err:
            log.warning("The model was not loaded: %s", err)
            self._load_error = error_text(err)
            self.model_failed.emit(error_text(err))
            return
        except Exception:
            log.exception("Loading the model failed")
            self._load_error = bug_sentence()
            self.model_failed.emit(bug_sentence())
            return
        self._engine = engine
        log.info("Model %s loaded in %.2f s on %s", info.name, info.load_seconds,
                 info.device.describe())
        self.model_loaded.emit(info)

    @Slot(object)
    def set_corpus(self, path: Path | None) -> None:
        self._close_corpus()
        if path is None:
            return
        try:
            self._corpus = ExampleCorpus(open_database(path), path)
        except RadvalError as err:
            # Drafting goes on with the starter examples; the window shows the store's error.
            log.warning("The example corpus cannot be opened: %s", err)

    def _close_corpus(self) -> None:
        if self._corpus is not None:
            self._corpus.db.close()
            self._corpus = None

    @Slot(int, object, object)
    def generate(self, request_id: int, request: DraftRequest, sampling: Sampling) -> None:
        with self._lock:
            cancel = self._cancels.setdefault(request_id, threading.Event())
        try:
            self._generate(request_id, request, sampling, cancel)
        finally:
            with self._lock:
                self._cancels.pop(request_id, None)

    def _generate(self, request_id: int, request: DraftRequest, sampling: Sampling,
                  cancel: threading.Event) -> None:
        if cancel.is_set():
            self.draft_cancelled.emit(request_id)
            return
        if self._engine is None:
            self.draft_failed.emit(request_id, self.tr("No model is loaded: {reason}").format(
                reason=self._load_error))
            return
        try:
            for event in draft_events(self._engine, request, sampling, cancel,
                                      corpus=self._corpus):
                if isinstance(event, DraftToken):
                    self.token_generated.emit(request_id, event.text)
                elif isinstance(event, DraftRestarted):
                    self.draft_restarted.emit(request_id, event.attempt, event.reason)
                elif isinstance(event, DraftDone):
                    if event.result.cancelled:
                        self.draft_cancelled.emit(request_id)
                    else:
                        self.draft_finished.emit(request_id, event.result)
        except RadvalError as err:
            self.draft_failed.emit(request_id, error_text(err))
        except Exception:
            log.exception("Drafting request %d failed", request_id)
            self.draft_failed.emit(request_id, bug_sentence())

    def _free_engine(self) -> None:
        if self._engine is not None:
            try:
                self._engine.close()
            except Exception:
                log.exception("Closing the model failed")
            self._engine = None

    @Slot()
    def close(self) -> None:
        self._free_engine()
        self._close_corpus()
        # Quit from inside the thread, after the engine is freed where it was made.
        QThread.currentThread().quit()
