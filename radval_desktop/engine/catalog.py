"""The models RadVal can draft with: each GGUF found, its facts, memory fit and approval."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from radval_desktop.engine.allowlist import allowed_by, normalize
from radval_desktop.engine.checksums import (
    cached_sha256,
    known_sha256,
    remember_sha256,
    sha256_file,
)
from radval_desktop.engine.gguf_file import read_gguf
from radval_desktop.engine.memory import Fit, Memory, detect_memory, estimate_memory, human_bytes
from radval_desktop.engine.model_card import ModelCard, read_card
from radval_desktop.errors import SENTENCES, ModelFileError, Words, sentence

# Side files that sit next to models and are not models: not listed as refused.
SIDECAR_SUFFIXES = frozenset({".json", ".md", ".txt", ".toml", ".yaml", ".yml", ".sha256",
                              ".lock", ".incomplete", ".part", ".partial", ".ini", ".log"})
# Folders below a models folder that are looked into (IT may sort models by vendor).
MAX_DEPTH = 3
# Where a model was found; marked for the window's translation (ui/models_panel.py).
SOURCE_DEFAULT = sentence("ModelSources", "embedded default")
SOURCE_FOLDER = sentence("ModelSources", "models folder")
SOURCE_SETTINGS = sentence("ModelSources", "settings")
HUB_CACHE = sentence("ModelSources", "hub cache {where}")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CatalogSettings:
    """What the scan needs from the settings (config.Settings.catalog() builds it)."""

    folders: tuple[Path, ...]
    n_ctx: int = 4096
    n_gpu_layers: int = -1
    allowed_sha256: tuple[str, ...] = ()  # empty = IT keeps no allowlist
    configured_model: Path | None = None  # model.path, listed even outside the folders
    configured_source: str = SOURCE_SETTINGS
    hub_cache: Path | None = None  # a pre-seeded Hugging Face cache IT copied here
    hub_online: bool = False  # IT configured a mirror endpoint (hub_mirror stays offline if not)
    include_default: bool = True


@dataclass(frozen=True)
class ModelEntry:
    path: Path
    source: str  # SOURCE_* or "hub cache <repo>@<revision>"
    kind: str  # "model" or "adapter" (a LoRA GGUF applied on top of a model)
    name: str
    architecture: str
    parameters: int
    quantization: str
    file_size: int
    context_length: int | None
    fit: Fit | None  # None for adapters: they add little to their base model
    sha256: str | None  # None until hashed (big files are hashed in the background)
    allowed: bool | None  # None = no allowlist, or not hashed yet
    base_model: str = ""  # adapters: the base model recorded by the converter
    card: ModelCard | None = None  # training's card beside the file (checked by sha256)

    @property
    def sha256_short(self) -> str:
        return self.sha256[:12] if self.sha256 else ""

    def allowlist_text(self) -> str:
        if self.allowed is None:
            return "not hashed yet" if self.sha256 is None else "no allowlist"
        return "approved" if self.allowed else "NOT approved"


def _error_words(err: ModelFileError) -> Words:
    return Words(SENTENCES, err.template, tuple(err.values.items()))


@dataclass(frozen=True)
class RefusedFile:
    path: Path
    reason: str  # the sentence read_gguf (or the default model) gave
    # The same as a template and values: the Models tab says it in the window's language.
    words: Words | None = None


@dataclass(frozen=True)
class Catalog:
    models: tuple[ModelEntry, ...]
    adapters: tuple[ModelEntry, ...]
    refused: tuple[RefusedFile, ...]
    seconds: float = 0.0
    allowlist: tuple[str, ...] = field(default=(), repr=False)

    def entries(self) -> tuple[ModelEntry, ...]:
        return self.models + self.adapters

    def find(self, key: str | Path, kind: str = "model") -> ModelEntry | None:
        """A model (or adapter) by path, file name, file stem or name (case-insensitive)."""
        entries = self.models if kind == "model" else self.adapters
        text = str(key)
        resolved = _resolve(Path(text).expanduser())
        for entry in entries:
            if _resolve(entry.path) == resolved:
                return entry
        lowered = text.lower()
        for entry in entries:
            if lowered in (entry.path.name.lower(), entry.path.stem.lower(), entry.name.lower()):
                return entry
        return None

    def adapters_for(self, model: ModelEntry) -> list[ModelEntry]:
        """Adapters llama.cpp could apply to ``model`` (same architecture)."""
        return [a for a in self.adapters if a.architecture == model.architecture]

    def with_sha256(self, path: Path, digest: str) -> Catalog:
        """This catalog with one file's digest filled in (and its allowlist verdict)."""
        def update(entries: tuple[ModelEntry, ...]) -> tuple[ModelEntry, ...]:
            return tuple(replace(e, sha256=digest, allowed=is_approved(digest, self.allowlist),
                                 card=read_card(e.path, digest, self.allowlist))
                         if e.path == path else e for e in entries)

        return replace(self, models=update(self.models), adapters=update(self.adapters))


def is_approved(digest: str | None, allowlist: Sequence[str]) -> bool | None:
    """IT's allowlist verdict for a digest: None when there is no allowlist or no digest."""
    return None if digest is None else allowed_by(digest, allowlist)


# What the Models view and `radval models` show of an entry, in this order.
# Marked for the window's translation (errors.sentence); `radval models` prints the English.
COLUMNS = (sentence("ModelColumns", "Name"), sentence("ModelColumns", "Arch"),
           sentence("ModelColumns", "Params"), sentence("ModelColumns", "Quant"),
           sentence("ModelColumns", "Size"), sentence("ModelColumns", "Memory"),
           sentence("ModelColumns", "Fits"), "sha256", sentence("ModelColumns", "Allowlist"),
           sentence("ModelColumns", "Card"), sentence("ModelColumns", "Source"))


def human_count(count: int) -> str:
    for unit, scale in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f}{unit}"
    return str(count)


def card_text(entry: ModelEntry) -> str:
    """The model card in one line (what it was tuned from, when), or "" without one."""
    card = entry.card
    if card is None:
        return ""
    base = f"tuned from {card.base_model}" if card.base_model else "fine-tuned"
    return f"{base}, {card.created[:10]}" if card.created else base


def row_texts(entry: ModelEntry) -> tuple[str, ...]:
    if entry.fit is None:
        memory, fits = "", "adapter"
    else:
        memory = human_bytes(entry.fit.needed)
        fits = {True: "yes", False: "NO", None: "?"}[entry.fit.fits]
        fits = f"{fits} ({entry.fit.memory.device})"
    quant = "LoRA" if entry.kind == "adapter" else entry.quantization
    return (entry.name, entry.architecture, human_count(entry.parameters), quant,
            human_bytes(entry.file_size), memory, fits, entry.sha256_short or "…",
            entry.allowlist_text(), card_text(entry), entry.source)


def catalog_json(catalog: Catalog) -> dict[str, Any]:
    def entry_json(entry: ModelEntry) -> dict[str, Any]:
        fit = entry.fit
        return {
            "path": str(entry.path), "source": entry.source, "kind": entry.kind,
            "name": entry.name, "architecture": entry.architecture,
            "parameters": entry.parameters, "quantization": entry.quantization,
            "file_size": entry.file_size, "context_length": entry.context_length,
            "memory_needed": fit.needed if fit else None,
            "memory_device": fit.memory.device if fit else None,
            "memory_total": fit.memory.total if fit else None,
            "fits": fit.fits if fit else None, "sha256": entry.sha256,
            "allowed": entry.allowed, "base_model": entry.base_model or None,
            "card": card_text(entry) or None,
        }

    return {"models": [entry_json(e) for e in catalog.models],
            "adapters": [entry_json(e) for e in catalog.adapters],
            "refused": [{"path": str(r.path), "reason": r.reason} for r in catalog.refused],
            "scan_seconds": round(catalog.seconds, 3)}


# --- scanning -------------------------------------------------------------------------------


def _resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def candidate_files(folder: Path) -> Iterable[Path]:
    """Files in ``folder`` (and a few levels below) that could be models: not hidden
    (download staging, caches), not side files such as model cards or checksums."""
    if not folder.is_dir():
        return
    base_depth = len(folder.parts)
    for root, dirs, files in os.walk(folder):
        root_path = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                         and len(root_path.parts) - base_depth < MAX_DEPTH - 1)
        for name in sorted(files):
            path = root_path / name
            if name.startswith(".") or path.suffix.lower() in SIDECAR_SUFFIXES:
                continue
            yield path


def describe_file(path: Path, source: str, settings: CatalogSettings, memory: Memory
                  ) -> ModelEntry:
    """One file's entry; ModelFileError (with its sentence) when it is not a usable GGUF."""
    info = read_gguf(path)
    is_adapter = (str(info.get("general.type", "")) == "adapter"
                  or "adapter.type" in info.metadata)
    digest = known_sha256(path)
    fit = None
    if not is_adapter:
        needed = estimate_memory(info, settings.n_ctx)
        usable = memory.usable
        fit = Fit(needed, memory, None if usable is None else needed <= usable)
    base = str(info.get("general.base_model.0.name") or info.get("adapter.base_model") or "")
    return ModelEntry(
        path=path, source=source, kind="adapter" if is_adapter else "model",
        name=info.name, architecture=info.architecture, parameters=info.parameter_count,
        quantization=info.quantization, file_size=info.file_size,
        context_length=info.context_length, fit=fit, sha256=digest,
        allowed=is_approved(digest, settings.allowed_sha256), base_model=base,
        card=read_card(path, digest, settings.allowed_sha256),
    )


def _default_model() -> Path:
    from radval_desktop.engine.default_model import default_model_path

    return default_model_path()


def scan_models(settings: CatalogSettings, memory: Memory | None = None,
                default_model: Callable[[], Path] = _default_model) -> Catalog:
    """Every model and adapter RadVal can find, and every file it refused with the reason.

    Reads headers only (fast); digests come from the cache, the rest are hashed later
    (``hash_missing``) so that a folder of 4 GB models lists at once.
    """
    start = time.perf_counter()
    memory = memory or detect_memory(settings.n_gpu_layers)
    found: list[tuple[Path, str]] = []
    refused: list[RefusedFile] = []
    if settings.include_default:
        try:
            found.append((default_model(), SOURCE_DEFAULT))
        except ModelFileError as err:
            refused.append(RefusedFile(Path("(embedded default model)"), str(err),
                                       _error_words(err)))
    if settings.configured_model is not None:
        found.append((settings.configured_model, settings.configured_source))
    for folder in settings.folders:
        found.extend((path, SOURCE_FOLDER) for path in candidate_files(folder))
    if settings.hub_cache is not None:
        from radval_desktop.engine.hub_mirror import cached_gguf_files

        found.extend(cached_gguf_files(settings.hub_cache, settings.hub_online))
    seen: set[Path] = set()
    models: list[ModelEntry] = []
    adapters: list[ModelEntry] = []
    for path, source in found:
        key = _resolve(path)
        if key in seen:
            continue
        seen.add(key)
        try:
            entry = describe_file(path, source, settings, memory)
        except ModelFileError as err:
            refused.append(RefusedFile(path, str(err), _error_words(err)))
            continue
        except Exception:  # a bug on one hostile file must not hide every other model
            log.exception("Reading the model file %s failed", path)
            bug = Words(SENTENCES, sentence("RadvalError", "RadVal could not read the file "
                                            "{name} (an error in RadVal; the details are in the "
                                            "log)."), (("name", path.name),))
            refused.append(RefusedFile(path, str(bug), bug))
            continue
        (adapters if entry.kind == "adapter" else models).append(entry)
    return Catalog(tuple(models), tuple(adapters), tuple(refused),
                   time.perf_counter() - start, settings.allowed_sha256)


def hash_missing(catalog: Catalog, cancel: threading.Event | None = None
                 ) -> Iterator[tuple[Path, str]]:
    """Hash the files whose digest is not cached yet, one at a time: (path, sha256).

    ``cancel`` stops within one 4 MB chunk (checksums.HashCancelled).
    """
    for entry in catalog.entries():
        if entry.sha256 is None:
            yield entry.path, cached_sha256(entry.path, cancel)


# --- choosing -------------------------------------------------------------------------------


def with_digest(entry: ModelEntry, allowlist: Sequence[str]) -> ModelEntry:
    """The entry with its sha256 and allowlist verdict. Under an allowlist the verdict is a
    decision, so the file is hashed now: the remembered digest is the user's own file and
    only for display (issue 17); without one, a remembered digest is enough to show."""
    if normalize(allowlist):
        digest = sha256_file(entry.path)
        remember_sha256(entry.path, digest)
    elif entry.sha256 is not None:
        return entry
    else:
        digest = cached_sha256(entry.path)
    return replace(entry, sha256=digest, allowed=is_approved(digest, allowlist))


def choose(catalog: Catalog, model_key: str, adapter_key: str | None = None,
           verify: bool = True) -> tuple[ModelEntry, ModelEntry | None]:
    """The model (and adapter) named by the user, refused with a sentence when it is unknown,
    not approved by IT, or the adapter was made for another kind of model.

    ``adapter_key`` None, "" or "none": no adapter. ``verify`` False (the window, where a
    big file may still be hashing) checks the allowlist only when the digest is known; the
    engine checks again before loading.
    """
    model = catalog.find(model_key)
    if model is None:
        raise ModelFileError(sentence("RadvalError",
                                      "There is no model '{model_key}' in the models folders; "
                                      "`radval models` lists them."),
                             model_key=model_key)
    model = with_digest(model, catalog.allowlist) if verify else model
    if model.allowed is False:
        raise ModelFileError(sentence("RadvalError",
                                      "The model {name} is not on IT's list of approved models "
                                      "(sha256 {sha256_short}…); ask IT to approve it."),
                             name=model.path.name, sha256_short=model.sha256_short)
    if not adapter_key or adapter_key.lower() == "none":
        return model, None
    adapter = catalog.find(adapter_key, kind="adapter")
    if adapter is None:
        raise ModelFileError(sentence("RadvalError",
                                      "There is no adapter '{adapter_key}' in the models folders."),
                             adapter_key=adapter_key)
    if adapter.architecture != model.architecture:
        raise ModelFileError(
            sentence("RadvalError",
                     "The adapter {name} was made for a {architecture} model, not for "
                     "{model_name} ({model_architecture})."),
            name=adapter.path.name, architecture=adapter.architecture, model_name=model.name,
            model_architecture=model.architecture)
    adapter = with_digest(adapter, catalog.allowlist) if verify else adapter
    if adapter.allowed is False:
        raise ModelFileError(sentence("RadvalError",
                                      "The adapter {name} is not on IT's list of approved files; "
                                      "ask IT to approve it."),
                             name=adapter.path.name)
    return model, adapter


def choice_settings(model: ModelEntry, adapter: ModelEntry | None) -> dict[str, str]:
    """The user settings that remember this choice (the embedded default is model.path "")."""
    path = "" if model.source == SOURCE_DEFAULT else str(_resolve(model.path))
    return {"model.path": path, "model.adapter": str(_resolve(adapter.path)) if adapter else ""}


def format_table(catalog: Catalog, active: Sequence[Path] = ()) -> str:
    """The catalog as text columns for a terminal ("*" = in use), then each file's path and
    the refused files with their reason."""
    in_use = {_resolve(p) for p in active}

    def mark(entry: ModelEntry) -> str:
        return "* " if _resolve(entry.path) in in_use else "  "

    rows: list[tuple[str, ...]] = [("  " + COLUMNS[0], *COLUMNS[1:])]
    rows += [(mark(e) + row_texts(e)[0], *row_texts(e)[1:]) for e in catalog.entries()]
    widths = [min(max(len(r[i]) for r in rows), 36) for i in range(len(COLUMNS))]
    lines = ["  ".join(cell[:36].ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines += ["", "files:"] + [f"  {e.name}: {e.path}" for e in catalog.entries()]
    if catalog.refused:
        lines += ["", "refused:"] + [f"  {r.path}: {r.reason}" for r in catalog.refused]
    return "\n".join(lines)
