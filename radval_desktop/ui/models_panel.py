"""The Models view: every model found, its fit and approval, the adapter, the mirror."""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from radval_desktop.config import Settings
from radval_desktop.engine.catalog import (
    COLUMNS,
    HUB_CACHE,
    Catalog,
    ModelEntry,
    choice_settings,
    choose,
    row_texts,
)
from radval_desktop.engine.hub_mirror import split_spec
from radval_desktop.engine.memory import Fit, human_bytes
from radval_desktop.ui.dates import local_date, local_date_time
from radval_desktop.ui.errors import report_errors
from radval_desktop.ui.tooltips import plain_tooltip
from radval_desktop.workers.model_scan import ModelScanService
from radval_desktop.workers.sentences import translated

_NOT_APPROVED = QColor("#b00020")
_TRAINED = "trained"  # model_card.ModelCard.fact_words' label of the training time
_ACTIVE_MARK = "● "
_CARD_COLUMN = COLUMNS.index("Card")  # shown_row fills it with card_words


def _same(a: Path | None, b: Path | None) -> bool:
    if a is None or b is None:
        return False
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return a == b


def allowlist_text(entry: ModelEntry) -> str:
    """ModelEntry.allowlist_text in the window's language."""
    if entry.allowed is None:
        return (QCoreApplication.translate("ModelsPanel", "not hashed yet") if entry.sha256 is None
                else QCoreApplication.translate("ModelsPanel", "no allowlist"))
    return (QCoreApplication.translate("ModelsPanel", "approved") if entry.allowed
            else QCoreApplication.translate("ModelsPanel", "NOT approved"))


def shown_row(entry: ModelEntry) -> list[str]:
    """catalog.row_texts with its words (adapter, yes/NO, the allowlist) translated."""
    texts = list(row_texts(entry))
    if entry.fit is None:
        texts[6] = QCoreApplication.translate("ModelsPanel", "adapter")
    else:
        verdict = {True: QCoreApplication.translate("ModelsPanel", "yes"),
                   False: QCoreApplication.translate("ModelsPanel", "NO"),
                   None: "?"}[entry.fit.fits]
        texts[6] = QCoreApplication.translate("ModelsPanel", "{verdict} ({device})").format(
            verdict=verdict, device=device_name(entry.fit.memory.device))
    texts[8] = allowlist_text(entry)
    texts[9] = card_words(entry)
    texts[-1] = source_text(entry.source)
    return texts


def card_words(entry: ModelEntry) -> str:
    """catalog.card_text in the window's language: what the model was tuned from, when."""
    card = entry.card
    if card is None:
        return ""
    base = (QCoreApplication.translate("ModelsPanel", "tuned from {base}").format(
        base=card.base_model) if card.base_model
            else QCoreApplication.translate("ModelsPanel", "fine-tuned"))
    return (QCoreApplication.translate("ModelsPanel", "{base}, {date}").format(
        base=base, date=local_date(card.created)) if card.created else base)


def card_tooltip(entry: ModelEntry) -> str:
    """The card's training time as the card writes it (ISO, with its zone): the window
    shows it as a local date, and a reader comparing with the file needs the original."""
    if entry.card is None or not entry.card.created:
        return ""
    return QCoreApplication.translate("ModelsPanel", "Trained at {created} (as the model card "
                                      "writes it)").format(created=entry.card.created)


def source_text(source: str) -> str:
    """Where the file was found (catalog.SOURCE_*), in the window's language."""
    prefix = HUB_CACHE.split("{", 1)[0]
    if source.startswith(prefix):
        return QCoreApplication.translate("ModelSources", HUB_CACHE).format(
            where=source[len(prefix):])
    return QCoreApplication.translate("ModelSources", source)


def device_name(device: str) -> str:
    """memory.Memory.device ("RAM" or "GPU") as the window says it."""
    return (QCoreApplication.translate("ModelsPanel", "RAM") if device == "RAM"
            else QCoreApplication.translate("ModelsPanel", "GPU") if device == "GPU" else device)


def fit_text(fit: Fit) -> str:
    """memory.Fit.describe in the window's language."""
    values = {"needed": human_bytes(fit.needed), "device": device_name(fit.memory.device),
              "total": human_bytes(fit.memory.total or 0)}
    if fit.memory.total is None:
        template = QCoreApplication.translate("ModelsPanel", "{needed} needed; {device} size "
                                              "unknown")
    elif fit.fits:
        template = QCoreApplication.translate("ModelsPanel", "fits: {needed} needed of {total} "
                                              "{device}")
    else:
        template = QCoreApplication.translate("ModelsPanel", "does not fit: {needed} needed of "
                                              "{total} {device}")
    return template.format(**values)


def _details(entry: ModelEntry) -> str:
    """The selected file in a few lines: where, what it needs, its digest and model card."""
    head = f"<b>{escape(entry.name)}</b> — {escape(str(entry.path))}"
    digest = QCoreApplication.translate("ModelsPanel", "sha256 {digest} ({allowlist})").format(
        digest=entry.sha256 or QCoreApplication.translate("ModelsPanel", "being computed…"),
        allowlist=allowlist_text(entry))
    if entry.kind == "adapter":
        text = (QCoreApplication.translate(
            "ModelsPanel", "LoRA adapter for {architecture} models (converted against {base}): "
            "select its base model above and choose it under Adapter.") if entry.base_model
            else QCoreApplication.translate(
            "ModelsPanel", "LoRA adapter for {architecture} models: select its base model "
            "above and choose it under Adapter."))
        return (f"{head}<br>" + text.format(architecture=escape(entry.architecture),
                                            base=escape(entry.base_model)) + f"<br>{digest}")
    context = (QCoreApplication.translate("ModelsPanel", "trained context {tokens:,} tokens; "
                                          ).format(tokens=entry.context_length)
               if entry.context_length else "")
    fit = fit_text(entry.fit) if entry.fit else ""
    card = ("<br>".join(QCoreApplication.translate("ModelsPanel", "{label}: {value}").format(
                label=escape(QCoreApplication.translate("ModelCard", label)),
                value=escape(local_date_time(entry.card.created) if label == _TRAINED
                             else translated(value.context, value.template, value.values,
                                             str(value))))
                        for label, value in entry.card.fact_words())
            if entry.card else QCoreApplication.translate("ModelsPanel",
                                                          "No model card beside this file."))
    where = QCoreApplication.translate("ModelsPanel", "{source}; ").format(
        source=escape(source_text(entry.source)))
    return f"{head}<br>{where}{context}{fit}<br>{digest}<br>{card}"


class ModelsPanel(QWidget):
    """Shows the catalog the scan thread makes and forwards choices; the main window saves
    them and reloads the model through the InferenceService."""

    model_chosen = Signal(object)  # dict of user settings: model.path, model.adapter

    def __init__(self, scanner: ModelScanService, settings: Settings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scanner = scanner
        self.settings = settings
        self.catalog: Catalog | None = None
        self._active: tuple[Path | None, Path | None] = (None, None)
        self._note = ""  # said again after the next scan (a finished download)
        self._hashing = False  # the message ends with "computing N checksums…"
        self._build()
        self._connect()
        self.set_settings(settings)

    def _build(self) -> None:
        self._folders = QLabel(objectName="models.folders", wordWrap=True,
                              textFormat=Qt.TextFormat.PlainText)
        self._rescan = QPushButton(self.tr("Rescan"), objectName="models.rescan")
        self._table = QTableWidget(0, len(COLUMNS), objectName="models.table")
        self._table.setHorizontalHeaderLabels(
            [QCoreApplication.translate("ModelColumns", column) for column in COLUMNS])
        self._table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self._table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self._table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self._table.verticalHeader().setVisible(False)
        header = self._table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        # Rich text (bold, line breaks): every value from a file goes through escape().
        self._details = QLabel(objectName="models.details", wordWrap=True,
                               textFormat=Qt.TextFormat.RichText)
        self._details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._adapter = QComboBox(objectName="models.adapter")
        self._adapter.setToolTip(self.tr("A LoRA adapter applied on top of the model: one per "
                                         "institution, exported by training."))
        self._use = QPushButton(self.tr("Use this model"), objectName="models.use")
        self._download = QPushButton(self.tr("Download from mirror…"),
                                     objectName="models.download")
        self._progress = QProgressBar(objectName="models.progress", textVisible=True)
        self._progress.hide()
        self._message = QLabel(objectName="models.message", wordWrap=True,
                              textFormat=Qt.TextFormat.PlainText)
        self._refused = QListWidget(objectName="models.refused")

        top = QHBoxLayout()
        top.addWidget(self._folders, 1)
        top.addWidget(self._download)
        top.addWidget(self._rescan)
        choose_row = QHBoxLayout()
        choose_row.addWidget(QLabel(self.tr("Adapter:")))
        choose_row.addWidget(self._adapter, 1)
        choose_row.addWidget(self._use)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self._details)
        lower_layout.addLayout(choose_row)
        lower_layout.addWidget(self._message)
        lower_layout.addWidget(QLabel(self.tr("Files not listed, and why:")))
        lower_layout.addWidget(self._refused, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self._table)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self._progress)
        layout.addWidget(splitter, 1)

    def _connect(self) -> None:
        self._rescan.clicked.connect(self.refresh)
        self._use.clicked.connect(self._on_use_clicked)
        self._download.clicked.connect(self._on_download_clicked)
        self._table.itemSelectionChanged.connect(self._on_table_selection_changed)
        self._scanner.scan_finished.connect(self._on_scanner_scan_finished)
        self._scanner.scan_failed.connect(self.show_error)
        self._scanner.digest_computed.connect(self._on_scanner_digest_computed)
        self._scanner.hashing_finished.connect(self._on_scanner_hashing_finished)
        self._scanner.download_progressed.connect(self._on_scanner_download_progressed)
        self._scanner.download_finished.connect(self._on_scanner_download_finished)
        self._scanner.download_failed.connect(self._on_scanner_download_failed)

    # --- state from outside --------------------------------------------------------------

    def set_settings(self, settings: Settings) -> None:
        self.settings = settings
        folders = settings.catalog().folders
        self._folders.setText(self.tr("Models folder: {folders}").format(
            folders="; ".join(str(f) for f in folders)))
        # Without an endpoint from IT there is no download action at all (and no network).
        self._download.setVisible(settings.hub().downloads_enabled)
        locked = "model.path" in settings.locked
        self._use.setToolTip(
            self.tr("IT fixed the model in the system settings.") if locked else "")
        self._update_buttons()

    def set_active(self, model: Path | None, adapter: Path | None) -> None:
        """The model (and adapter) loaded now, marked in the table."""
        self._active = (model, adapter)
        if self.catalog is not None:
            self._fill(self.catalog)

    def refresh(self) -> None:
        """Scan again, in the scan thread; the table fills when it answers."""
        self._message.setText(self.tr("Looking for models…"))
        self._message.setStyleSheet("")
        self._rescan.setEnabled(False)
        self._scanner.scan(self.settings.catalog())

    def show_error(self, text: str) -> None:
        self._message.setStyleSheet("color: #b00020;")
        self._message.setText(text)
        self._rescan.setEnabled(True)

    def show_info(self, text: str) -> None:
        self._message.setStyleSheet("")
        self._message.setText(text)

    def message_text(self) -> str:
        return self._message.text()

    def selected_entry(self) -> ModelEntry | None:
        rows = self._table.selectionModel().selectedRows()
        if not rows or self.catalog is None:
            return None
        return self.catalog.entries()[rows[0].row()]

    def select_model(self, entry: ModelEntry) -> None:
        if self.catalog is not None and entry in self.catalog.entries():
            self._table.selectRow(self.catalog.entries().index(entry))

    # --- filling ----------------------------------------------------------------------------

    def _fill(self, catalog: Catalog) -> None:
        selected = self.selected_entry()
        self.catalog = catalog
        # Models first, then the adapters (each applied on top of a model of its kind).
        self._table.setRowCount(len(catalog.entries()))
        for row, entry in enumerate(catalog.entries()):
            active = self._is_active(entry)
            for column, text in enumerate(shown_row(entry)):
                if column == 0 and active:
                    text = _ACTIVE_MARK + text
                item = QTableWidgetItem(text)
                tip = str(entry.path) if column == 0 else text
                if column == _CARD_COLUMN and card_tooltip(entry):
                    tip = f"{tip}\n{card_tooltip(entry)}"
                item.setToolTip(plain_tooltip(tip))
                if active:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                if entry.allowed is False or (entry.fit is not None and entry.fit.fits is False):
                    item.setForeground(_NOT_APPROVED)
                self._table.setItem(row, column, item)
        self._refused.clear()
        for refused in catalog.refused:
            words = refused.words
            reason = (translated(words.context, words.template, words.values, refused.reason)
                      if words is not None else refused.reason)
            self._refused.addItem(self.tr("{name}: {reason}").format(name=refused.path.name,
                                                                     reason=reason))
        if not catalog.refused:
            self._refused.addItem(self.tr("(none)"))
        keep = next((e for e in catalog.entries() if selected and e.path == selected.path), None)
        keep = keep or next((e for e in catalog.models if self._is_active(e)), None)
        if keep is not None:
            self.select_model(keep)
        self._on_table_selection_changed()

    def _is_active(self, entry: ModelEntry) -> bool:
        return _same(entry.path, self._active[0 if entry.kind == "model" else 1])

    def _fill_adapters(self, entry: ModelEntry | None) -> None:
        """The adapters that fit the selected model; the one in use is preselected."""
        self._adapter.clear()
        self._adapter.addItem(self.tr("None"), None)
        if entry is None or entry.kind != "model" or self.catalog is None:
            return
        for adapter in self.catalog.adapters_for(entry):
            self._adapter.addItem(f"{adapter.path.name} ({allowlist_text(adapter)})",
                                  str(adapter.path))
            if self._is_active(entry) and self._is_active(adapter):
                self._adapter.setCurrentIndex(self._adapter.count() - 1)

    def _update_buttons(self) -> None:
        entry = self.selected_entry()
        model = entry is not None and entry.kind == "model"
        locked = "model.path" in self.settings.locked
        self._use.setEnabled(model and not locked and entry is not None
                             and entry.allowed is not False)
        self._adapter.setEnabled(model and "model.adapter" not in self.settings.locked)

    # --- slots ----------------------------------------------------------------------------

    @Slot()
    def _on_table_selection_changed(self) -> None:
        entry = self.selected_entry()
        self._fill_adapters(entry)
        self._details.setText("" if entry is None else _details(entry))
        self._details.setToolTip("" if entry is None else card_tooltip(entry))
        self._update_buttons()

    @Slot(object)
    def _on_scanner_scan_finished(self, catalog: Catalog) -> None:
        self._rescan.setEnabled(True)
        self._fill(catalog)
        waiting = sum(1 for e in catalog.entries() if e.sha256 is None)
        found = self.tr("Models: {models}, adapters: {adapters}, files refused: {refused} "
                        "(scanned in {seconds:.2f} s)").format(
            models=len(catalog.models), adapters=len(catalog.adapters),
            refused=len(catalog.refused), seconds=catalog.seconds)
        note, self._note = self._note, ""
        self._hashing = bool(waiting)
        self.show_info(note + (self.tr("{found}; computing {count} checksums…").format(
            found=found, count=waiting) if waiting else found))

    @Slot(object, str)
    def _on_scanner_digest_computed(self, path: Path, digest: str) -> None:
        if self.catalog is not None:
            self._fill(self.catalog.with_sha256(path, digest))

    @Slot()
    def _on_scanner_hashing_finished(self) -> None:
        if self._hashing:
            self._hashing = False
            self.show_info(self._message.text().rsplit(";", 1)[0])

    @Slot()
    def _on_use_clicked(self) -> None:
        entry = self.selected_entry()
        if entry is None or self.catalog is None:
            return
        with report_errors(self):
            model, adapter = choose(self.catalog, str(entry.path),
                                    self._adapter.currentData(), verify=False)
            self.model_chosen.emit(choice_settings(model, adapter))
            self.show_info((self.tr("Loading {model} with {adapter}…") if adapter
                            else self.tr("Loading {model}…")).format(
                model=model.name, adapter=adapter.path.name if adapter else ""))

    @Slot()
    def _on_download_clicked(self) -> None:
        hub = self.settings.hub()
        offered = list(hub.files)
        # IT's list, when it has one, is the only choice (the core refuses any other file).
        spec, ok = QInputDialog.getItem(self, self.tr("Download from the hospital's mirror"),
                                        self.tr("File (owner/repo/file.gguf):"),
                                        offered or [""], 0, not offered)
        if not ok or not spec.strip():
            return
        with report_errors(self):
            repo_id, filename = split_spec(spec)
            self._progress.setRange(0, 0)
            self._progress.show()
            self._download.setEnabled(False)
            self.show_info(self.tr("Downloading {file} from {mirror}…").format(
                file=filename, mirror=hub.endpoint))
            self._scanner.download(hub, repo_id, filename, self.settings.catalog().folders[0],
                                   tuple(self.settings["model.allowed_sha256"]))

    @Slot(object, object)
    def _on_scanner_download_progressed(self, done: int, total: int | None) -> None:
        if total:
            # QProgressBar holds an int: count in kB so that 4 GB files fit.
            self._progress.setRange(0, max(total // 1024, 1))
            self._progress.setValue(done // 1024)
            self._progress.setFormat(self.tr("{done:,.0f} of {total:,.0f} MB (%p%)").format(
                done=done / 1e6, total=total / 1e6))

    @Slot(object)
    def _on_scanner_download_finished(self, path: Path) -> None:
        self._progress.hide()
        self._download.setEnabled(True)
        self._note = self.tr("Downloaded and approved: {name}. ").format(name=path.name)
        self.refresh()

    @Slot(str)
    def _on_scanner_download_failed(self, sentence: str) -> None:
        self._progress.hide()
        self._download.setEnabled(True)
        self.show_error(sentence)
