"""The main window: Draft and History views, the status bar, settings, and the worker's life."""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import asdict
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings, Qt, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from radval_desktop import paths
from radval_desktop.config import Settings, load_settings, save_user_settings
from radval_desktop.drafting import DraftRequest, DraftResult
from radval_desktop.engine.adapters import AdapterInfo
from radval_desktop.engine.backends import label_words
from radval_desktop.engine.device import DeviceChoice
from radval_desktop.engine.llama_engine import ModelInfo
from radval_desktop.safety.checks import Flag
from radval_desktop.safety.retrieval import ExampleCorpus, ImportSummary, Pair
from radval_desktop.store.history import DraftRecord, History, NewDraft
from radval_desktop.ui.corpus_notice import corpus_status, file_filter, import_message
from radval_desktop.ui.draft_panel import DraftPanel
from radval_desktop.ui.errors import report_errors
from radval_desktop.ui.history_panel import HistoryPanel
from radval_desktop.ui.models_panel import ModelsPanel
from radval_desktop.ui.results_panel import ResultsPanel
from radval_desktop.ui.scoring_panel import ScoringPanel
from radval_desktop.ui.settings_dialog import SettingsDialog
from radval_desktop.ui.study_panel import StudyPanel
from radval_desktop.ui.tooltips import plain_tooltip
from radval_desktop.workers.corpus_import import CorpusImportService
from radval_desktop.workers.inference import InferenceService
from radval_desktop.workers.model_scan import ModelScanService
from radval_desktop.workers.sentences import translated

log = logging.getLogger(__name__)

_MODEL_KEYS = ("model.path", "model.sha256", "model.n_gpu_layers", "model.n_threads",
               "model.n_ctx", "model.adapter", "model.allowed_sha256")
_HISTORY_KEYS = ("history.enabled", "history.retention_days")
_EXAMPLE_KEYS = ("drafting.examples", "drafting.examples_chars")


def new_draft(request: DraftRequest, result: DraftResult, model_name: str,
              adapter: AdapterInfo | None = None) -> NewDraft:
    """What the history keeps of a finished draft."""
    return NewDraft(
        findings=request.findings,
        body_system=request.body_system,
        modality=request.modality,
        language=result.language,
        template_id=result.template_id,
        template_version=result.template_version,
        model_name=model_name,
        model_sha256=result.model_sha256,
        sampling_json=json.dumps(asdict(result.sampling), sort_keys=True),
        raw_output=result.raw_text,
        final_text=result.text,
        ok=result.ok,
        message=result.message,
        attempts=len(result.attempts),
        prompt_tokens=result.attempts[-1].prompt_tokens if result.attempts else 0,
        completion_tokens=result.completion_tokens,
        first_token_seconds=result.first_token_seconds,
        total_seconds=result.total_seconds,
        tokens_per_second=result.tokens_per_second,
        adapter_name=adapter.name if adapter else "",
        adapter_sha256=adapter.sha256 if adapter else "",
    )


def device_text(device: DeviceChoice) -> str:
    """The status bar's device: CPU or GPU, the llama.cpp build, and why, in the window's
    language."""
    reason = (translated("Device", device.template, device.values, device.reason)
              if device.template else device.reason)
    if device.build:
        build = label_words(device.build)
        return QCoreApplication.translate("MainWindow", "{kind}: llama.cpp {build}; {reason}"
                                          ).format(kind=device.kind, reason=reason, build=(
                                              translated(build.context, build.template,
                                                         build.values, device.build)))
    return QCoreApplication.translate("MainWindow", "{kind}: {reason}").format(
        kind=device.kind, reason=reason)


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None, load_model: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("main.window")
        self.setWindowTitle(self.tr("RadVal — draft impressions"))
        self.settings = settings or load_settings()
        self.model_info: ModelInfo | None = None
        self._draft_uuid: str | None = None  # the draft Copy updates in the history
        self._draft_system = ""  # its body system, for the example corpus
        self.service = InferenceService()
        self.history = History.from_settings(self.settings.values)
        self.draft_panel = DraftPanel(self.service, self.settings.sampling())
        self._set_prompt_choice(self.settings)
        self.history_panel = HistoryPanel(self.history)
        self.tabs = QTabWidget(objectName="main.tabs")
        self.tabs.addTab(self.draft_panel, self.tr("Draft"))
        self.tabs.addTab(self.history_panel, self.tr("History"))
        self.study_panel = StudyPanel()  # issue 19: the study lead's set-up and progress
        self.tabs.addTab(self.study_panel, self.tr("Study"))
        self.scoring_panel = ScoringPanel()  # issue 5: the reader study
        self.tabs.addTab(self.scoring_panel, self.tr("Scoring"))
        self.results_panel = ResultsPanel()  # issue 4: the paper's tables of a study
        self.tabs.addTab(self.results_panel, self.tr("Results"))
        self.scanner = ModelScanService()  # issue 11: models folder, mirror, adapters
        self.models_panel = ModelsPanel(self.scanner, self.settings)
        self.tabs.addTab(self.models_panel, self.tr("Models"))
        self.setCentralWidget(self.tabs)
        self._build_status_bar()
        self._build_menu()
        self._connect()
        self._build_corpus_import()  # issue 15
        self._restore_geometry()
        self._purge_history()
        self._connect_corpus()
        notice = self.history.notice_words
        if notice is not None:  # issue 9: a damaged history was set aside at start
            self.draft_panel.show_error(
                translated(notice.context, notice.template, notice.values, str(notice)))
        self.draft_panel.set_safety_enabled(bool(self.settings["safety.enabled"]))
        if self.settings.warning_words:
            first = self.settings.warning_words[0]
            self.draft_panel.show_error(
                translated(first.context, first.template, first.values, str(first)))
        if load_model:
            self.load_model()

    def _build_status_bar(self) -> None:
        self.status_labels: dict[str, QLabel] = {}
        bar = self.statusBar()
        # Model and device one above the other on the left: side by side they were cut at
        # the window's first size (the device's build and reason run to ~480 px, in Chinese
        # as in English); state and figures on the right are never squeezed.
        names = QWidget()
        names.setObjectName("status.names")
        column = QVBoxLayout(names)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        bar.addWidget(names, 1)
        for name in ("model", "device", "state", "speed", "time"):
            label = QLabel(objectName=f"status.{name}", textFormat=Qt.TextFormat.PlainText)
            self.status_labels[name] = label
            if name in ("model", "device"):
                # A narrower window cuts these, not the figures; the tooltip has the whole.
                label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
                column.addWidget(label)
            else:
                bar.addPermanentWidget(label)
        self._set_status(model=self.tr("Model: —"), device="", state=self.tr("Starting…"), speed="",
                         time="")

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu(self.tr("&RadVal"))
        # Issue 15: more past reports can be imported after the Draft tab's notice is gone.
        self.import_action = QAction(self.tr("&Import past reports…"), self,
                                     objectName="main.import_corpus")
        self.import_action.triggered.connect(self.choose_corpus_file)
        menu.addAction(self.import_action)
        self.settings_action = QAction(self.tr("&Settings…"), self, objectName="main.settings")
        self.settings_action.setShortcut(QKeySequence.StandardKey.Preferences)
        self.settings_action.triggered.connect(self.open_settings)
        menu.addAction(self.settings_action)
        quit_action = QAction(self.tr("&Quit"), self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        menu.addAction(quit_action)

    def _connect(self) -> None:
        self.service.model_loading.connect(self._on_service_model_loading)
        self.service.model_loaded.connect(self._on_service_model_loaded)
        self.service.model_failed.connect(self._on_service_model_failed)
        self.service.token_generated.connect(self._on_service_token_generated)
        self.draft_panel.draft_completed.connect(self._on_draft_panel_draft_completed)
        self.draft_panel.text_copied.connect(self._on_draft_panel_text_copied)
        self.draft_panel.flag_dismissed.connect(self._on_draft_panel_flag_dismissed)
        self.history_panel.reopen_requested.connect(self._on_history_panel_reopen_requested)
        self.models_panel.model_chosen.connect(self._on_models_panel_model_chosen)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)

    def _set_status(self, **texts: str) -> None:
        for name, text in texts.items():
            self.status_labels[name].setText(text)
            # A narrow window cuts the model and device text off: the whole of it on hover.
            self.status_labels[name].setToolTip(plain_tooltip(text))

    def status_text(self, name: str) -> str:
        return self.status_labels[name].text()

    # --- model -------------------------------------------------------------------------

    def load_model(self) -> None:
        if self.settings.system_error:  # issue 17: IT's locks are unknown, so nothing drafts
            self.model_info = None
            self.draft_panel.set_model_state("failed")
            self._set_status(model=self.tr("Model: none (IT's settings file cannot be read)"),
                             device="", state=self.tr("Model not loaded"))
            words = self.settings.system_error_words
            self.draft_panel.show_error(
                translated(words.context, words.template, words.values, str(words))
                if words is not None else self.settings.system_error)
            log.error(self.settings.system_error)
            return
        self.draft_panel.set_model_state("loading")
        self._set_status(state=self.tr("Loading the model…"))
        self.service.load(self.settings["model.path"] or None, self.settings.engine())

    @Slot(str)
    def _on_service_model_loading(self, text: str) -> None:
        self._set_status(state=text)

    @Slot(object)
    def _on_service_model_loaded(self, info: ModelInfo) -> None:
        self.model_info = info
        self.draft_panel.set_model_state("ready")
        self.models_panel.set_active(info.path, info.adapter.path if info.adapter else None)
        adapter = (self.tr(" + adapter {name}").format(name=info.adapter.name)
                   if info.adapter else "")
        # By file and quantization, as the report names it: the default Q4_K_M file's own
        # general.name says "AWQ" (issue 19). That name stays in the tooltip.
        label = info.label or f"{info.name} ({info.quantization})"
        model = self.tr("Model: {name}").format(name=label) + adapter
        self._set_status(
            model=model, device=device_text(info.device),
            state=self.tr("Ready (loaded in {seconds:.1f} s)").format(seconds=info.load_seconds))
        reading = (self.tr("Computed from a {kind} copy in memory: this CPU reads prompts "
                           "faster from it.").format(kind=info.compute_type)
                   if info.compute_type else "")
        self.status_labels["model"].setToolTip(plain_tooltip(
            model + "\n" + self.tr("Its file calls it: {name}").format(name=info.name)
            + ("\n" + reading if reading else "")))

    @Slot(str)
    def _on_service_model_failed(self, sentence: str) -> None:
        self.model_info = None
        self.draft_panel.set_model_state("failed")
        self._set_status(model=self.tr("Model: none"), device="", state=self.tr("Model not loaded"))
        self.draft_panel.show_error(
            self.tr("{sentence} Choose another model file in Settings.").format(sentence=sentence))

    @Slot(int, str)
    def _on_service_token_generated(self, request_id: int, _text: str) -> None:
        if request_id == self.draft_panel.current_request_id():
            self._set_status(state=self.tr("Drafting…"))

    # --- drafts and history ------------------------------------------------------------

    @Slot(object, object)
    def _on_draft_panel_draft_completed(self, request: DraftRequest, result: DraftResult) -> None:
        self._set_status(
            state=self.tr("Ready"),
            speed=self.tr("{rate:.1f} tokens/s").format(rate=result.tokens_per_second),
            time=self.tr("{seconds:.1f} s").format(seconds=result.total_seconds))
        name = self.model_info.name if self.model_info else ""
        self._draft_uuid = None
        self._draft_system = request.body_system
        with report_errors(self.draft_panel):
            adapter = self.model_info.adapter if self.model_info else None
            self._draft_uuid = self.history.save_draft(new_draft(request, result, name, adapter))
            self.history_panel.refresh()

    @Slot(str)
    def _on_draft_panel_text_copied(self, text: str) -> None:
        if self._draft_uuid is None:
            return
        with report_errors(self.draft_panel):
            self.history.set_copied(self._draft_uuid, text)
            self.history_panel.refresh()
            # What the radiologist accepted becomes an example for the next drafts.
            if self.corpus is not None and self._draft_system:
                self.corpus.add(Pair(self.draft_panel.findings_text(), text, self._draft_system))
                self._show_corpus_size()

    @Slot(object)
    def _on_draft_panel_flag_dismissed(self, flag: Flag) -> None:
        if self._draft_uuid is None:
            return
        with report_errors(self.draft_panel):
            self.history.dismiss_flag(self._draft_uuid, flag.kind, flag.key, flag.reason)

    def _connect_corpus(self) -> None:
        """The example corpus lives in the history's database: none when history is off."""
        self.corpus: ExampleCorpus | None = None
        with report_errors(self.draft_panel):
            db = self.history.database()
            self.corpus = ExampleCorpus(db, self.history.path) if db is not None else None
        # The drafting pipeline reads the same corpus through its own connection.
        self.service.set_corpus(self.history.path if self.corpus is not None else None)
        self.draft_panel.set_corpus(self.corpus, self.settings["drafting.examples"],
                                    self.settings["drafting.examples_chars"])
        self._show_corpus_size()

    @Slot(object)
    def _on_history_panel_reopen_requested(self, record: DraftRecord) -> None:
        self.draft_panel.show_record(record)
        self._draft_uuid = record.uuid
        self._draft_system = record.body_system
        with report_errors(self.draft_panel):
            self.draft_panel.set_dismissed_flags(self.history.dismissed_flags(record.uuid))
        self.tabs.setCurrentWidget(self.draft_panel)

    def _purge_history(self) -> None:
        with report_errors(self.history_panel):
            self.history.purge_expired()

    # --- importing past reports into the example corpus (issue 15) -------------------

    def _build_corpus_import(self) -> None:
        self.importer = CorpusImportService()
        label = QLabel(objectName="status.corpus", textFormat=Qt.TextFormat.PlainText)
        self.status_labels["corpus"] = label
        self.statusBar().addPermanentWidget(label)
        self.importer.import_finished.connect(self._on_importer_import_finished)
        self.importer.import_failed.connect(self._on_importer_import_failed)
        self.draft_panel.corpus_notice.import_requested.connect(self.choose_corpus_file)

    @Slot()
    def choose_corpus_file(self) -> None:
        """Ask for a file of past reports and import it; with history off, open Settings:
        the corpus lives in the history database."""
        if not self.history.enabled:
            self.open_settings()
            return
        path, _filter = QFileDialog.getOpenFileName(self, self.tr("Import past reports"), "",
                                                    file_filter())
        if path:
            self.import_corpus_file(path)

    def import_corpus_file(self, path: Path | str) -> None:
        """Import a CSV/XLSX/JSONL of past reports in the import thread; the Draft tab says
        how it went when it is done."""
        if self.corpus is None or self.history.path is None:
            self.draft_panel.show_error(self.tr("Past reports are kept in the history database: "
                                                "turn history on in Settings to import them."))
            return
        if self.importer.is_busy():
            self.draft_panel.show_info(
                self.tr("An import is still running; try again when it is done."))
            return
        self.draft_panel.corpus_notice.set_busy(True)
        self.import_action.setEnabled(False)
        self._set_status(corpus=self.tr("Examples: importing…"))
        self.draft_panel.show_info(self.tr("Importing {name}…").format(name=Path(path).name))
        self.importer.import_file(self.history.path, Path(path))

    @Slot(object)
    def _on_importer_import_finished(self, summary: ImportSummary) -> None:
        self._end_import()
        if summary.added or not summary.problems:
            self.draft_panel.show_info(import_message(summary))
        else:
            self.draft_panel.show_error(import_message(summary))

    @Slot(str)
    def _on_importer_import_failed(self, sentence: str) -> None:
        self._end_import()
        self.draft_panel.show_error(
            self.tr("The import failed: {sentence}").format(sentence=sentence))

    def _end_import(self) -> None:
        self.draft_panel.corpus_notice.set_busy(False)
        self.import_action.setEnabled(True)
        self._show_corpus_size()

    def _show_corpus_size(self) -> None:
        """The corpus size in the status bar; the Draft tab's notice while it is empty."""
        size: int | None = None if self.corpus is None else -1
        if self.corpus is not None:
            with report_errors(self.draft_panel):
                size = self.corpus.count()
        if size is not None and size < 0 or size is None and self.history.enabled:
            # History is on but its database cannot be read: the error is already shown.
            self._set_status(corpus=self.tr("Examples: unavailable"))
            self.draft_panel.corpus_notice.setVisible(False)
            return
        self._set_status(corpus=corpus_status(size))
        self.draft_panel.corpus_notice.set_corpus_size(size)

    # --- models (issue 11) ---------------------------------------------------------------

    @Slot(int)
    def _on_tabs_current_changed(self, _index: int) -> None:
        # Scanned when first shown, not at start: hashing big files would slow the load.
        if self.tabs.currentWidget() is self.models_panel and self.models_panel.catalog is None:
            self.models_panel.refresh()

    @Slot(object)
    def _on_models_panel_model_chosen(self, changes: dict[str, str]) -> None:
        with report_errors(self.models_panel):
            self.apply_settings(save_user_settings(self.settings, changes))

    # --- settings ----------------------------------------------------------------------

    @Slot()
    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.settings, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.apply_settings(dialog.settings))
        dialog.open()
        return dialog

    def _set_prompt_choice(self, settings: Settings) -> None:
        self.draft_panel.template_id = settings["drafting.template"] or None
        self.draft_panel.language = settings["drafting.language"]

    def apply_settings(self, settings: Settings) -> None:
        old, self.settings = self.settings, settings
        self.draft_panel.sampling = settings.sampling()
        self._set_prompt_choice(settings)
        if any(old[key] != settings[key] for key in _HISTORY_KEYS):
            self.history.close()
            self.history = History.from_settings(settings.values)
            self.history_panel.set_history(self.history)
            self._purge_history()
        if any(old[key] != settings[key] for key in (*_HISTORY_KEYS, *_EXAMPLE_KEYS)):
            self._connect_corpus()
        self.draft_panel.set_safety_enabled(bool(settings["safety.enabled"]))
        self.models_panel.set_settings(settings)
        if any(old[key] != settings[key] for key in _MODEL_KEYS):
            self.load_model()

    # --- life --------------------------------------------------------------------------

    def _window_state(self) -> QSettings:
        # QSettings only for geometry, in RadVal's own folder (RADVAL_HOME keeps tests apart).
        return QSettings(str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat)

    def _restore_geometry(self) -> None:
        geometry = self._window_state().value("geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1000, 760)

    def shutdown(self) -> None:
        """Stop the worker thread and close the database; safe to call twice."""
        self.service.shutdown()
        self.scanner.shutdown()
        self.importer.shutdown()
        self.history.close()
        self.scoring_panel.close_study()
        self.study_panel.shutdown()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API)
        state = self._window_state()
        state.setValue("geometry", self.saveGeometry())
        state.sync()
        # QSettings writes under the umask; README promises owner-only files. A geometry
        # that cannot be saved is no reason to keep the window open.
        with contextlib.suppress(OSError):
            Path(state.fileName()).chmod(0o600)
        self.shutdown()
        super().closeEvent(event)
