"""A model or adapter opened once, hashed from that descriptor, and loaded as the same bytes.

IT's pin and allowlist must judge exactly what llama.cpp loads (issue 17). Hashing by path
and letting llama.cpp reopen the path left a gap: the file could be replaced (a rename) or
rewritten in place (`cp` onto it keeps the inode) between the check and the load, and a
mapped file rewritten later changes the model while it runs. On Linux llama.cpp is given
``/proc/self/fd/N``, which reopens the very file hashed, whatever the path names by then
(llama-cpp-python 0.3.36 maps it, and its adapter loader reads it, like any path):

* a file no ordinary user can change (owned by root, not writable by group or others, on a
  local kernel filesystem: how an installer lays models out) is loaded through the
  descriptor that was hashed, with no copy;
* any other file (the user's own models folder; a FUSE or network mount, whose server may
  answer each read differently) is copied while it is hashed into a sealed memfd, which the
  kernel keeps from every later write, the same user's included. That costs the model's
  size in shared memory instead of page cache, and ~0.2 s per 491 MB on top of the hash.

Other systems (Windows, macOS: not built in this project) load the path and hash the file
again after loading, refusing a mismatch: that narrows the gap to a change made and undone
during the load; a handle that denies writers (Windows' share mode) would close it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import stat
import sys
import threading
from contextlib import suppress
from pathlib import Path
from types import TracebackType

from radval_desktop.engine.checksums import HashCancelled, remember_sha256, sha256_file
from radval_desktop.errors import ModelFileError, ModelLoadError, Words, sentence

_CHUNK = 4 * 1024 * 1024
# The kinds of file the callers name (llama_engine, adapters, the self-test): each sentence
# below says its kind, so the window says it in its language too.
_KINDS = {"model file": sentence("SealedFile", "model file"),
          "adapter": sentence("SealedFile", "adapter")}


def _kind(what: str) -> Words | str:
    return Words("SealedFile", _KINDS[what]) if what in _KINDS else what

# Filesystems whose contents only the kernel serves: a root-owned file there changes only
# when root changes it. Anything else (fuse.*, nfs, cifs, 9p, ...) is copied.
_LOCAL_FILESYSTEMS = frozenset({"ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs", "zfs",
                                "tmpfs", "overlay", "squashfs", "erofs"})
_SEALS = ("F_SEAL_SEAL", "F_SEAL_SHRINK", "F_SEAL_GROW", "F_SEAL_WRITE")
SEALED_LINUX = sys.platform == "linux" and hasattr(os, "memfd_create") and all(
    hasattr(fcntl, name) for name in _SEALS + ("F_ADD_SEALS",))


class SealedFile:
    """The bytes of ``path`` as hashed; ``load_path`` is what llama.cpp must open.

    Close it once llama.cpp has loaded: llama.cpp keeps its own reference to the file.
    """

    def __init__(self, path: Path, what: str, cancel: threading.Event | None = None) -> None:
        self.path, self.what = path, what
        self._fds: list[int] = []
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            raise ModelFileError(sentence("RadvalError",
                                          "The {what} {path} does not exist."),
                                 what=_kind(what), path=path) from None
        except OSError as err:
            raise ModelFileError(sentence("RadvalError",
                                          "The {what} {path} cannot be read: {strerror}."),
                                 what=_kind(what), path=path, strerror=err.strerror) from err
        self._fds.append(fd)
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise ModelFileError(sentence("RadvalError",
                                              "The {what} path {path} is not a file."),
                                     what=_kind(what), path=path)
            self.size = info.st_size
            if not SEALED_LINUX:
                self.sha256, self.load_path = _hash_fd(fd, cancel), path
            elif _unchangeable_by_users(info):
                self.sha256, self.load_path = _hash_fd(fd, cancel), _fd_path(fd)
            else:
                sealed = self._copy_sealed(fd, cancel)
                self.load_path = _fd_path(sealed)
            # The Models list shows this digest without hashing again: only when the path
            # still names the file hashed, unchanged (remember_sha256 checks the stamp).
            remember_sha256(path, self.sha256, expected=info)
        except BaseException:
            self.close()
            raise

    def _copy_sealed(self, source: int, cancel: threading.Event | None) -> int:
        name = f"radval-{self.path.name}"[:200]
        sealed = os.memfd_create(name, os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        self._fds.append(sealed)
        digest = hashlib.sha256()
        buffer = bytearray(_CHUNK)
        view = memoryview(buffer)
        try:
            while count := os.readv(source, [buffer]):
                if cancel is not None and cancel.is_set():
                    raise HashCancelled(str(self.path))
                digest.update(view[:count])
                written = 0
                while written < count:
                    written += os.write(sealed, view[written:count])
        except OSError as err:
            raise ModelLoadError(
                sentence("RadvalError",
                         "There is not enough memory for RadVal's private copy of the {what} "
                         "{name} ({megabytes:,.0f} MB): {strerror}. Close other programs, or "
                         "ask IT to install the file read-only (owned by root), which loads "
                         "without a copy."),
                what=_kind(self.what), name=self.path.name, megabytes=self.size / 1e6,
                strerror=err.strerror) from err
        seal(sealed)
        self.sha256 = digest.hexdigest()
        return sealed

    def verify_after_load(self) -> None:
        """Where llama.cpp opened the path itself (not Linux): refuse bytes that changed."""
        if self.load_path == self.path and sha256_file(self.path) != self.sha256:
            raise ModelFileError(
                sentence("RadvalError",
                         "The {what} {name} changed while it was loading; it was not used. Load "
                         "it again once nothing is writing to it."),
                what=_kind(self.what), name=self.path.name)

    def close(self) -> None:
        while self._fds:
            with suppress(OSError):
                os.close(self._fds.pop())

    def __enter__(self) -> SealedFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def seal(fd: int) -> None:
    """From now on the kernel refuses every write, resize and unsealing of this memfd."""
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW
                | fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SEAL)


def _fd_path(fd: int) -> Path:
    return Path(f"/proc/self/fd/{fd}")


def _hash_fd(fd: int, cancel: threading.Event | None) -> str:
    digest = hashlib.sha256()
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    while count := os.readv(fd, [buffer]):
        if cancel is not None and cancel.is_set():
            raise HashCancelled(str(fd))
        digest.update(view[:count])
    return digest.hexdigest()


def _unchangeable_by_users(info: os.stat_result) -> bool:
    """Only root can write this inode, and the kernel, not a user's server, serves it."""
    if info.st_uid != 0 or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False  # an ACL granting a user write shows as the group write bit
    return _filesystem_type(info.st_dev) in _LOCAL_FILESYSTEMS


def _filesystem_type(device: int) -> str:
    """The type of the mount with this device number, from the kernel's mount table; ""
    when none matches (then the file is copied, which is always sound)."""
    wanted = f"{os.major(device)}:{os.minor(device)}"
    try:
        table = Path("/proc/self/mountinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    for line in table.splitlines():
        fields = line.split()
        if len(fields) > 3 and fields[2] == wanted and " - " in line:
            return line.split(" - ", 1)[1].split()[0]
    return ""
