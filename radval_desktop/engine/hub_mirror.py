"""The hospital's Hugging Face mirror and pre-seeded hub cache: approved GGUF models only.

huggingface_hub is imported here and only here, only when IT configured a mirror endpoint or
a pre-seeded cache; without an endpoint it runs offline (HF_HUB_OFFLINE=1) and only reads
the cache folder. Downloads go to a models folder, resume after an interruption, and are
hashed and checked against IT's allowlist before the file is put where RadVal loads it.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from radval_desktop.engine.allowlist import check_allowed
from radval_desktop.engine.checksums import remember_sha256, sha256_file
from radval_desktop.engine.gguf_file import read_gguf
from radval_desktop.errors import ConfigError, ModelFileError, RadvalError, sentence

log = logging.getLogger(__name__)

# Partial downloads wait here, hidden from the model scan, on the same disk as the models
# folder so that the finished file is moved into place, never copied.
STAGING_DIR = ".radval-downloads"
_SHA256 = re.compile(r"[0-9a-f]{64}")

Progress = Callable[[int, "int | None"], None]  # bytes done, bytes in all (None = unknown)


class DownloadCancelled(RadvalError):
    """The download was stopped; what arrived is kept and the next attempt resumes."""


@dataclass(frozen=True)
class HubSettings:
    """What config.Settings.hub() hands over: IT's mirror and cache, and what it offers."""

    endpoint: str = ""  # e.g. https://hf-mirror.hospital.local; "" = no downloads at all
    cache: Path | None = None  # a Hugging Face cache folder IT copied to this workstation
    # "owner/repo/file.gguf" entries IT offers; when IT lists any, nothing else is fetched.
    files: tuple[str, ...] = ()
    revision: str = "main"

    @property
    def downloads_enabled(self) -> bool:
        return bool(self.endpoint.strip())

    def check_offered(self, repo_id: str, filename: str) -> None:
        """Refuse a file IT's list (hub.files) leaves out; without a list IT's mirror decides."""
        if not self.files:
            return
        wanted = _normalized(f"{repo_id}/{filename}")
        if wanted not in {_normalized(spec) for spec in self.files}:
            raise ConfigError(sentence("RadvalError",
                                       "IT offers only {offered} from the hospital's mirror, not "
                                       "{repo_id}/{filename}; ask IT to add it to hub.files."),
                              offered=', '.join(s.strip() for s in self.files), repo_id=repo_id,
                              filename=filename)


def _normalized(spec: str) -> str:
    return "/".join(p for p in spec.strip().split("/") if p)


def _hub(online: bool) -> ModuleType:
    """huggingface_hub, imported on first use; in offline mode unless IT set an endpoint."""
    if not online:
        # Read once, when huggingface_hub is imported: nothing it does afterwards can reach
        # the network. Without an endpoint RadVal only reads the cache folder anyway.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    import huggingface_hub

    return huggingface_hub


# --- the pre-seeded cache (offline) ---------------------------------------------------------


def cached_gguf_files(cache: Path, online: bool = False) -> list[tuple[Path, str]]:
    """GGUF files in a Hugging Face cache folder, read with the library's own scanner:
    (the snapshot path llama.cpp can open, "hub cache <repo>@<revision>").

    ``online``: IT configured a mirror endpoint (the process may download later)."""
    if not cache.is_dir():
        return []
    hub = _hub(online)
    try:
        info = hub.scan_cache_dir(cache)
    except hub.CacheNotFound:
        return []
    found: list[tuple[Path, str]] = []
    for repo in sorted(info.repos, key=lambda r: r.repo_id):
        if repo.repo_type != "model":
            continue
        for revision in sorted(repo.revisions, key=lambda r: r.commit_hash):
            refs = ",".join(sorted(revision.refs)) or revision.commit_hash[:8]
            for cached in sorted(revision.files, key=lambda f: f.file_name):
                if cached.file_name.lower().endswith(".gguf"):
                    found.append((Path(cached.file_path),
                                  f"hub cache {repo.repo_id}@{refs}"))
    for warning in info.warnings:
        log.warning("Hub cache %s: %s", cache, warning)
    return found


def cached_model(cache: Path, repo_id: str, filename: str, revision: str = "main",
                 online: bool = False) -> Path:
    """One file of the pre-seeded cache, resolved by huggingface_hub without the network."""
    hub = _hub(online)
    try:
        return Path(hub.hf_hub_download(repo_id, filename, revision=revision,
                                        cache_dir=cache, local_files_only=True))
    except (hub.errors.LocalEntryNotFoundError, hub.errors.OfflineModeIsEnabled,
            FileNotFoundError) as err:
        raise ModelFileError(
            sentence("RadvalError",
                     "{repo_id}/{filename} is not in the hub cache {cache}; ask IT to add it to "
                     "the cache copied to this workstation."),
            repo_id=repo_id, filename=filename, cache=cache
        ) from err


# --- downloads from IT's mirror -------------------------------------------------------------


def split_spec(spec: str) -> tuple[str, str]:
    """"owner/repo/dir/file.gguf" -> ("owner/repo", "dir/file.gguf")."""
    parts = [p for p in spec.strip().split("/") if p]
    if len(parts) < 3:
        raise ConfigError(sentence("RadvalError",
                                   "'{spec}' is not a mirror file: write owner/repo/file.gguf."),
                          spec=spec)
    return "/".join(parts[:2]), "/".join(parts[2:])


def _progress_class(on_progress: Progress | None, cancel: threading.Event | None) -> type:
    """A tqdm stand-in for huggingface_hub's http_get: reports bytes and honours cancel."""

    class _Bar:
        def __init__(self, total: int | None = None, initial: int = 0, **_: Any) -> None:
            self.total, self.n = total, initial
            if on_progress is not None:
                on_progress(self.n, self.total)

        def __enter__(self) -> _Bar:
            return self

        def __exit__(self, *_: object) -> None:
            self.close()

        def update(self, n: int = 1) -> None:
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled("The download was stopped; it resumes where it stopped.")
            self.n += n
            if on_progress is not None:
                on_progress(self.n, self.total)

        def close(self) -> None:
            pass

    return _Bar


def _refusal(err: Exception, endpoint: str, what: str) -> ModelFileError:
    """The mirror's failure as a sentence() template and values, for the window's language."""
    hub = _hub(online=True)
    if isinstance(err, hub.errors.OfflineModeIsEnabled):
        return ModelFileError(sentence(
            "RadvalError", "Downloads are turned off on this computer (HF_HUB_OFFLINE is set); "
            "ask IT to remove it or to add the model to the hub cache."))
    if isinstance(err, hub.errors.RepositoryNotFoundError | hub.errors.RevisionNotFoundError):
        return ModelFileError(sentence("RadvalError", "The hospital's model mirror ({endpoint}) "
                                       "has no {what}."), endpoint=endpoint, what=what)
    if isinstance(err, hub.errors.RemoteEntryNotFoundError):
        return ModelFileError(sentence("RadvalError", "The hospital's model mirror ({endpoint}) "
                                       "has no file {what}."), endpoint=endpoint, what=what)
    return ModelFileError(sentence(
        "RadvalError", "The hospital's model mirror ({endpoint}) cannot be reached or refused "
        "the download of {what} ({error}); try again later or ask IT."),
        endpoint=endpoint, what=what, error=type(err).__name__)


def download_model(hub_settings: HubSettings, repo_id: str, filename: str, folder: Path,
                   allowed: Sequence[str], on_progress: Progress | None = None,
                   cancel: threading.Event | None = None) -> Path:
    """Fetch ``repo_id``/``filename`` from IT's mirror into ``folder`` and return its path.

    Only a file IT offers (hub.files, when IT lists any) is fetched. The bytes go to a hidden
    partial file named after the file's etag, so an interrupted download (network, Stop,
    shutdown) resumes from where it stopped. The finished file is checked against the
    mirror's sha256 (the etag of an LFS file), IT's allowlist and the GGUF header before it
    is moved into the folder; a refused file is deleted. A file with no sha256 from the
    mirror is checked against the allowlist alone, and not fetched when there is none.
    """
    if not hub_settings.downloads_enabled:
        raise ConfigError(sentence("RadvalError",
                                   "Downloads are off: IT has not configured the hospital's model "
                                   "mirror (hub.endpoint), so RadVal never uses the network."))
    hub_settings.check_offered(repo_id, filename)
    endpoint = hub_settings.endpoint.strip().rstrip("/")
    target = folder / Path(filename).name
    what = f"{repo_id}/{filename}"
    hub = _hub(online=True)
    from huggingface_hub.file_download import http_get

    try:
        url = hub.hf_hub_url(repo_id, filename, revision=hub_settings.revision,
                             endpoint=endpoint)
        meta = hub.get_hf_file_metadata(url, endpoint=endpoint)
    except (OSError, ValueError, hub.errors.HfHubHTTPError) as err:
        raise _refusal(err, endpoint, what) from err
    if not meta.etag:
        raise ModelFileError(sentence("RadvalError",
                                      "The mirror gave no checksum (etag) for {what}; ask IT."),
                             what=what)
    if not _SHA256.fullmatch(meta.etag.lower()) and not allowed:
        # A non-LFS file's etag is a git hash, not the file's sha256: only IT's listed
        # digest could then tell a damaged or substituted file, and there is none.
        raise ModelFileError(
            sentence("RadvalError",
                     "The mirror gives no sha256 for {what} and IT's allowlist is empty, so the "
                     "download cannot be checked and was not started; ask IT to add the file's "
                     "sha256 to model.allowed_sha256."),
            what=what)
    staging = folder / STAGING_DIR
    staging.mkdir(parents=True, exist_ok=True)
    partial = staging / f"{target.name}.{re.sub(r'[^0-9A-Za-z]', '', meta.etag)[:32]}.part"
    done = partial.stat().st_size if partial.exists() else 0
    if meta.size is not None and done > meta.size:
        partial.unlink()
        done = 0
    try:
        with partial.open("r+b" if done else "wb") as handle:
            handle.seek(done)
            http_get(meta.location, handle, resume_size=done, expected_size=meta.size,
                     displayed_filename=target.name,
                     tqdm_class=_progress_class(on_progress, cancel))
    except DownloadCancelled:
        raise
    except (OSError, hub.errors.HfHubHTTPError) as err:
        # The partial file stays: the next attempt asks the mirror only for the rest.
        raise _refusal(err, endpoint, what) from err
    return _accept(partial, target, meta.etag, allowed, cancel)


def _accept(partial: Path, target: Path, etag: str, allowed: Sequence[str],
            cancel: threading.Event | None) -> Path:
    """Verify a finished download and move it into the models folder, or delete it."""
    digest = sha256_file(partial, cancel)
    try:
        if _SHA256.fullmatch(etag.lower()) and digest != etag.lower():
            raise ModelFileError(sentence("RadvalError",
                                          "The download of {name} is damaged (its sha256 is not "
                                          "the mirror's); it was deleted, try again."),
                                 name=target.name)
        check_allowed(target.name, digest, allowed)
        read_gguf(partial)  # a mirror serving an HTML error page must not become a "model"
    except ModelFileError:
        partial.unlink(missing_ok=True)
        raise
    if target.exists():
        if sha256_file(target) == digest:
            partial.unlink()
            return target
        raise ModelFileError(sentence("RadvalError",
                                      "A different file named {name} is already in {parent}; move "
                                      "it away and download again."),
                             name=target.name, parent=target.parent)
    os.replace(partial, target)
    remember_sha256(target, digest)
    return target
