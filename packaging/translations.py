"""Update and compile the window's translations (resources/i18n): Qt's lupdate and lrelease.

    python packaging/translations.py update    # after adding or changing a window string
    python packaging/translations.py compile   # after translating: the .qm the app loads

Both .ts (what translators edit, the source of truth) and .qm (what the app loads) are
committed, so the installers need no Qt tools; tests/ui/test_translations.py fails when the
.ts misses a string of the sources or the .qm is older than the .ts.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "resources" / "i18n"
SOURCES = ROOT / "radval_desktop"
LANGUAGES = ("zh_CN",)
# The Qt-free core marks its sentences with errors.sentence(context, text): lupdate reads it
# as QT_TRANSLATE_NOOP. No source locations: the .ts stays unchanged when code moves.
LUPDATE_OPTIONS = ("-extensions", "py", "-tr-function-alias", "QT_TRANSLATE_NOOP+=sentence",
                   "-locations", "none", "-no-obsolete", "-silent")


def tool(name: str) -> str:
    """pyside6-lupdate / pyside6-lrelease of this Python's PySide6."""
    beside = Path(sys.executable).parent / f"pyside6-{name}"
    found = str(beside) if beside.exists() else shutil.which(f"pyside6-{name}")
    if found is None:
        raise SystemExit(f"pyside6-{name} was not found; install PySide6 in this environment.")
    return found


def ts_file(language: str) -> Path:
    return I18N / f"radval_{language}.ts"


def qm_file(language: str) -> Path:
    return I18N / f"radval_{language}.qm"


def update(ts: Path, sources: Path = SOURCES) -> None:
    """Merge the sources' strings into ``ts`` (new ones unfinished, vanished ones dropped)."""
    subprocess.run([tool("lupdate"), *LUPDATE_OPTIONS, str(sources), "-ts", str(ts)],
                   check=True, capture_output=True)


def compile_ts(ts: Path, qm: Path) -> None:
    subprocess.run([tool("lrelease"), "-silent", str(ts), "-qm", str(qm)], check=True,
                   capture_output=True)


def main(argv: list[str]) -> int:
    if argv[1:] not in (["update"], ["compile"]):
        print(__doc__)
        return 2
    I18N.mkdir(parents=True, exist_ok=True)
    for language in LANGUAGES:
        if argv[1] == "update":
            update(ts_file(language))
        else:
            compile_ts(ts_file(language), qm_file(language))
        print(f"{argv[1]}: {ts_file(language).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
