"""sha256 of model files, computed once and remembered by size and modification time."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from radval_desktop import paths

_CHUNK = 4 * 1024 * 1024


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _cache_file() -> Path:
    return paths.data_dir() / "sha256-cache.json"


def cached_sha256(path: Path) -> str:
    """Hashing a 4 GB model takes seconds: reuse the digest while size and mtime are unchanged."""
    path = path.resolve()
    stat = path.stat()
    key = str(path)
    stamp = [stat.st_size, stat.st_mtime_ns]
    cache_path = _cache_file()
    try:
        cache = json.loads(cache_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    entry = cache.get(key)
    if isinstance(entry, dict) and entry.get("stamp") == stamp:
        return str(entry["sha256"])
    digest = sha256_file(path)
    cache[key] = {"stamp": stamp, "sha256": digest}
    tmp = cache_path.with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(cache, indent=1), encoding="utf-8")
        os.replace(tmp, cache_path)
    except OSError:
        pass  # a read-only data dir only costs a re-hash next time
    return digest
