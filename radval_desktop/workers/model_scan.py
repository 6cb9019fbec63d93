"""The model-scan thread: lists the models folders, hashes big files and downloads from the
mirror away from the GUI thread, turning the core's results into signals."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot

from radval_desktop.engine.catalog import CatalogSettings, hash_missing, scan_models
from radval_desktop.engine.checksums import HashCancelled
from radval_desktop.engine.hub_mirror import DownloadCancelled, HubSettings, download_model
from radval_desktop.errors import RadvalError
from radval_desktop.workers.sentences import bug_sentence, error_text

log = logging.getLogger(__name__)

# Hashing stops within one 4 MB chunk and a download within one chunk of the mirror's.
SHUTDOWN_WAIT_MS = 10_000


class ModelScanService(QObject):
    """The GUI thread's handle on the scan thread. Its signals are re-emitted in the GUI
    thread (see InferenceService for why); a new scan cancels the hashing of the last one."""

    scan_finished = Signal(object)  # engine.catalog.Catalog, digests from the cache only
    scan_failed = Signal(str)
    digest_computed = Signal(object, str)  # path, sha256
    hashing_finished = Signal()
    download_progressed = Signal(object, object)  # bytes done, bytes in all (None = unknown)
    download_finished = Signal(object)  # the path of the approved file
    download_failed = Signal(str)

    _scan_requested = Signal(object, object)
    _download_requested = Signal(object, object)
    _close_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("radval-model-scan")
        self._worker = ModelScanWorker()
        self._worker.moveToThread(self._thread)
        self._scan_requested.connect(self._worker.scan)
        self._download_requested.connect(self._worker.download)
        self._close_requested.connect(self._worker.close)
        for name in ("scan_finished", "scan_failed", "digest_computed", "hashing_finished",
                     "download_progressed", "download_finished", "download_failed"):
            getattr(self._worker, name).connect(getattr(self, name))
        self._scan_cancel = threading.Event()
        self._download_cancel = threading.Event()
        self._thread.start()

    def scan(self, settings: CatalogSettings) -> None:
        """List the models now; then hash those whose digest is not cached yet."""
        self._scan_cancel.set()  # the Event is read by the busy thread: no queue to wait in
        self._scan_cancel = threading.Event()
        self._scan_requested.emit(settings, self._scan_cancel)

    def download(self, hub: HubSettings, repo_id: str, filename: str, folder: Path,
                 allowed: tuple[str, ...]) -> None:
        """Fetch from IT's mirror; the hashing of a scan stops first (one thread does both)."""
        self._scan_cancel.set()
        self._download_cancel = threading.Event()
        self._download_requested.emit((hub, repo_id, filename, folder, allowed),
                                      self._download_cancel)

    def cancel(self) -> None:
        self._scan_cancel.set()
        self._download_cancel.set()

    def is_running(self) -> bool:
        return self._thread.isRunning()

    def shutdown(self) -> None:
        """Stop hashing and downloading, then the thread; idempotent."""
        if not self._thread.isRunning():
            return
        self.cancel()
        self._close_requested.emit()
        if not self._thread.wait(SHUTDOWN_WAIT_MS):
            log.error("The model-scan thread did not stop within %d ms", SHUTDOWN_WAIT_MS)


class ModelScanWorker(QObject):
    """Lives in the scan QThread; every call into the core happens here."""

    scan_finished = Signal(object)
    scan_failed = Signal(str)
    digest_computed = Signal(object, str)
    hashing_finished = Signal()
    download_progressed = Signal(object, object)
    download_finished = Signal(object)
    download_failed = Signal(str)

    @Slot(object, object)
    def scan(self, settings: CatalogSettings, cancel: threading.Event) -> None:
        if cancel.is_set():
            return
        try:
            catalog = scan_models(settings)
        except RadvalError as err:
            self.scan_failed.emit(error_text(err))
            return
        except Exception:
            log.exception("Scanning the models folders failed")
            self.scan_failed.emit(bug_sentence())
            return
        self.scan_finished.emit(catalog)
        try:
            for path, digest in hash_missing(catalog, cancel):
                self.digest_computed.emit(path, digest)
        except HashCancelled:
            return
        except OSError as err:  # a file removed or unreadable since the scan
            log.warning("Hashing a model failed: %s", err)
        except Exception:
            log.exception("Hashing the models failed")
        self.hashing_finished.emit()

    @Slot(object, object)
    def download(self, job: tuple[HubSettings, str, str, Path, tuple[str, ...]],
                 cancel: threading.Event) -> None:
        hub, repo_id, filename, folder, allowed = job
        try:
            path = download_model(hub, repo_id, filename, folder, allowed,
                                  on_progress=self.download_progressed.emit, cancel=cancel)
        except (DownloadCancelled, HashCancelled):
            self.download_failed.emit("The download was stopped; it resumes where it stopped "
                                      "next time.")
            return
        except RadvalError as err:
            self.download_failed.emit(error_text(err))
            return
        except Exception:
            log.exception("Downloading %s/%s failed", repo_id, filename)
            self.download_failed.emit(bug_sentence())
            return
        self.download_finished.emit(path)

    @Slot()
    def close(self) -> None:
        QThread.currentThread().quit()
