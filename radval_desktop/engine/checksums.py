"""sha256 of model files, computed once and remembered by size and modification time.

The remembered digests are for display (the Models list, `radval models`): the cache is the
user's own file, so no allow/refuse decision reads it (issue 17); the engine hashes the
bytes it loads (engine/sealed_file.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any

from radval_desktop import paths

_CHUNK = 4 * 1024 * 1024


class HashCancelled(Exception):
    """Hashing was stopped through its ``cancel`` Event (the window closed, the scan restarted)."""


def sha256_file(path: Path, cancel: threading.Event | None = None) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            if cancel is not None and cancel.is_set():
                raise HashCancelled(str(path))
            digest.update(chunk)
    return digest.hexdigest()


def _cache_file() -> Path:
    return paths.data_dir() / "sha256-cache.json"


def _read_cache() -> dict[str, Any]:
    try:
        cache = json.loads(_cache_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return cache if isinstance(cache, dict) else {}


def known_sha256(path: Path) -> str | None:
    """The remembered digest when size and mtime are unchanged, else None; never hashes."""
    path = path.resolve()
    stat = path.stat()
    entry = _read_cache().get(str(path))
    if isinstance(entry, dict) and entry.get("stamp") == [stat.st_size, stat.st_mtime_ns]:
        return str(entry["sha256"])
    return None


def cached_sha256(path: Path, cancel: threading.Event | None = None) -> str:
    """Hashing a 4 GB model takes seconds: reuse the digest while size and mtime are unchanged.

    ``cancel`` set from another thread stops the hashing (HashCancelled) between chunks.
    """
    path = path.resolve()
    stat = path.stat()
    key = str(path)
    stamp = [stat.st_size, stat.st_mtime_ns]
    entry = _read_cache().get(key)
    if isinstance(entry, dict) and entry.get("stamp") == stamp:
        return str(entry["sha256"])
    digest = sha256_file(path, cancel)
    _store(key, stamp, digest)
    return digest


def remember_sha256(path: Path, digest: str, expected: os.stat_result | None = None) -> None:
    """Record a digest computed elsewhere (a verified download, a load) so it is not hashed
    again. ``expected``: the stat of the file that was hashed; nothing is recorded unless the
    path still names that file, unchanged (a file swapped meanwhile must not be shown with
    the digest of the one it replaced)."""
    path = path.resolve()
    try:
        stat = path.stat()
    except OSError:
        return
    if expected is not None and (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns) != (
            expected.st_dev, expected.st_ino, expected.st_size, expected.st_mtime_ns):
        return
    _store(str(path), [stat.st_size, stat.st_mtime_ns], digest)


def _store(key: str, stamp: list[int], digest: str) -> None:
    cache_path = _cache_file()
    cache = _read_cache()  # another thread or process may have added digests meanwhile
    cache[key] = {"stamp": stamp, "sha256": digest}
    # One temporary file per thread: the model scan and the inference thread may both write.
    tmp = cache_path.with_name(f".{cache_path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        # Owner-only like every file of RadVal's: it names the user's model files.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(cache, indent=1))
        os.chmod(tmp, 0o600)  # a leftover temporary file of another mode keeps its mode
        os.replace(tmp, cache_path)
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only data dir only costs a re-hash next time
