"""Leave the build machine's system libraries out of the bundle (issue 17): apply and check
packaging/bundle-excludes.toml.

Imported by radval.spec (``trim``), run by build-linux.sh:
    python packaging/bundle_trim.py depends           the package's extra Depends, one line
    python packaging/bundle_trim.py check FOLDER      the PyInstaller folder, before dpkg-deb
``check`` fails (exit 1) when a listed library is in the folder, or when a bundled library
needs one found neither in the folder nor on the build machine; it prints, as a warning, the
libraries taken from the build machine's system that no Depends package provides (dpkg -S),
which a workstation might lack. Standard library only: it runs in the build venv and in the
spec, where the app's packages are not importable.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

LIST = Path(__file__).resolve().parent / "bundle-excludes.toml"
# Always on a Debian/Ubuntu system (priority required, or the C library itself): a library
# of theirs found outside the bundle needs no Depends line of ours.
BASE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6", "zlib1g", "libzstd1", "liblzma5",
                 "libbz2-1.0", "libcrypt1", "libtinfo6", "libudev1"}
# The Depends build-linux.sh writes whatever the list says (GL/EGL, xcb, wayland).
FIXED_DEPENDS = ("libc6, libgl1, libegl1, libdrm2, libxcb1, libxcb-icccm4, libxcb-keysyms1, "
                 "libwayland-client0, libwayland-cursor0, libwayland-egl1, libfontconfig1")

Entry_ = TypeVar("Entry_", bound=Sequence[object])


@dataclass(frozen=True)
class Entry:
    kind: str  # "unused" or "system"
    names: tuple[str, ...]
    reason: str
    depends: str = ""


def load(path: Path = LIST) -> list[Entry]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [Entry(kind, tuple(item["names"]), " ".join(item["reason"].split()),
                  item.get("depends", ""))
            for kind in ("unused", "system") for item in data.get(kind, [])]


def _listed(name: str, names: frozenset[str]) -> bool:
    # A library by its file name wherever PyInstaller put it; a plugin by its path in the
    # bundle, with or without the folder above it (_internal/ in the built folder).
    posix = name.replace(os.sep, "/")
    if posix.rsplit("/", 1)[-1] in names:
        return True
    return any(posix == n or posix.endswith("/" + n) for n in names if "/" in n)


def trim(toc: Iterable[Entry_], entries: list[Entry] | None = None
         ) -> tuple[list[Entry_], list[Entry_]]:
    """PyInstaller's TOC (name in the bundle, source, type) split into kept and dropped."""
    names = frozenset(n for e in (entries if entries is not None else load()) for n in e.names)
    kept: list[Entry_] = []
    dropped: list[Entry_] = []
    for item in toc:
        (dropped if _listed(str(item[0]), names) else kept).append(item)
    return kept, dropped


def depends(entries: list[Entry] | None = None) -> str:
    """The package's Depends: the fixed ones, then each system library's package."""
    seen: list[str] = []
    for group in [FIXED_DEPENDS, *(e.depends for e in (entries or load()) if e.depends)]:
        for package in (p.strip() for p in group.split(",")):
            if package and package not in seen:
                seen.append(package)
    return ", ".join(seen)


def _elf_files(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def _library_path(folder: Path) -> str:
    # What PyInstaller's bootloader sets before the app starts: its _internal folder; the
    # libraries in subfolders (Qt, llama_cpp) find each other by their own RPATH ($ORIGIN).
    internal = folder / "_internal"
    return str(internal if internal.is_dir() else folder)


def policy_package(soname: str) -> str:
    """The Debian package that ships ``soname`` by the library packaging policy (8.1):
    libxcb-icccm.so.4 -> libxcb-icccm4, libGL.so.1 -> libgl1, libfoo2.so.0 -> libfoo2-0."""
    stem, _, version = soname.partition(".so.")
    major = version.split(".")[0]
    return f"{stem}{'-' if stem[-1:].isdigit() else ''}{major}".lower().replace("_", "-")


def _depends_packages(entries: list[Entry]) -> set[str]:
    packages: set[str] = set()
    for group in depends(entries).split(","):
        packages.update(p.strip().split(" ")[0] for p in group.split("|"))
    return packages


def check(folder: Path) -> tuple[list[str], list[str]]:
    """(errors, warnings) for a built PyInstaller folder."""
    entries = load()
    names = frozenset(n for e in entries for n in e.names)
    depended = _depends_packages(entries)
    errors: list[str] = []
    warnings: list[str] = []
    outside: dict[str, set[str]] = {}
    files = _elf_files(folder)
    env = {**os.environ, "LD_LIBRARY_PATH": _library_path(folder)}
    for path in files:
        shown = path.relative_to(folder.parent).as_posix()
        if _listed(path.relative_to(folder).as_posix(), names):
            errors.append(f"{shown} is in the bundle, but packaging/bundle-excludes.toml "
                          "leaves it out: the spec's trim did not run on it.")
            continue
        done = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env,
                              timeout=60)
        for line in done.stdout.splitlines():
            match = re.match(r"\s*(\S+) => (not found|\S+)", line)
            if not match:
                continue
            needed, where = match.groups()
            if where == "not found" and policy_package(needed) in depended:
                # Not installed on the build machine, so PyInstaller could not bundle it; the
                # package depends on it (libxcb-icccm4 on a headless build machine).
                warnings.append(f"{shown} needs {needed}, not on this machine: the "
                                f"workstation's {policy_package(needed)} (a Depends) gives it.")
            elif where == "not found":
                errors.append(f"{shown} needs {needed}, found nowhere (not in the bundle, "
                              "not on this machine, no Depends package): the app would fail "
                              "to load it.")
            elif not Path(where).resolve().is_relative_to(folder.resolve()):
                outside.setdefault(str(Path(where).resolve()), set()).add(needed)
    # A library the list takes from the system comes with its entry's package (libsystemd
    # with libdbus-1-3, libpcre2 with GLib), as a dependency of it.
    system_names = {n for e in entries if e.kind == "system" for n in e.names}
    outside = {path: needed for path, needed in outside.items() if not needed & system_names}
    return errors, sorted(set(warnings)) + _unprovided(outside, depended)


def _unprovided(outside: dict[str, set[str]], depended: set[str]) -> list[str]:
    """System libraries the bundle uses that no Depends package (nor the base system) gives."""
    allowed = BASE_PACKAGES | depended
    warnings = []
    for path, needed in sorted(outside.items()):
        packages: set[str] = set()
        # With merged /usr, dpkg may know the file under /lib rather than /usr/lib.
        for known in dict.fromkeys([path, path.replace("/usr/lib/", "/lib/", 1)]):
            done = subprocess.run(["dpkg", "-S", known], capture_output=True, text=True)
            if done.returncode == 0:
                packages |= {p.strip().split(":")[0]
                             for p in done.stdout.split(": ", 1)[0].split(",")}
        if not packages & allowed:
            owner = ", ".join(sorted(packages)) or "no package"
            warnings.append(f"{', '.join(sorted(needed))} comes from this machine's {path} "
                            f"({owner}), which the package does not depend on.")
    return warnings


def main(argv: Sequence[str]) -> int:
    if argv[:1] == ["depends"] and len(argv) == 1:
        print(depends())
        return 0
    if argv[:1] == ["check"] and len(argv) == 2:
        errors, warnings = check(Path(argv[1]))
        for warning in warnings:
            print(f"bundle_trim.py: warning: {warning}", file=sys.stderr)
        for error in errors:
            print(f"bundle_trim.py: {error}", file=sys.stderr)
        print(f"bundle_trim.py: {len(errors)} problem(s), {len(warnings)} warning(s) in "
              f"{argv[1]}", file=sys.stderr)
        return 1 if errors else 0
    print("usage: bundle_trim.py depends | check FOLDER", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
