"""A RadVal path run in a fresh interpreter for tests/faults/test_offline_os.py.

    python offline_child.py OUT.json cli ARG...     # `radval ARG...`
    python offline_child.py OUT.json window FINDINGS  # draft once in the real window

Writes {"code": ..., "text": ..., "network_modules": [...]} to OUT.json: the network client
libraries this interpreter imported while running the path, from nothing but the path.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

NETWORK_CLIENTS = ("huggingface_hub", "requests", "httpx", "urllib3", "aiohttp")


def _cli(args: list[str]) -> tuple[int, str]:
    from radval_desktop.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(args)
    return code, out.getvalue()


def _window(findings: str) -> tuple[int, str]:
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QPlainTextEdit

    from radval_desktop.ui.main_window import MainWindow

    app = QApplication([])
    window = MainWindow(load_model=False)
    window.show()
    results: list[object] = []
    loop = QEventLoop()
    window.service.draft_finished.connect(lambda _rid, result: (results.append(result),
                                                                loop.quit()))
    window.service.model_failed.connect(lambda _s: loop.quit())
    window.service.draft_failed.connect(lambda _rid, _s: loop.quit())
    edit = window.findChild(QPlainTextEdit, "draft.findings")
    edit.setPlainText(findings)
    window.load_model()  # the draft asked for below waits for the load, as in the window
    QTest.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    QTimer.singleShot(300_000, loop.quit)
    loop.exec()
    window.shutdown()
    window.close()
    app.processEvents()
    text = getattr(results[0], "raw_text", "") if results else ""
    return (0 if results else 1), text


def main() -> int:
    out, mode, *rest = sys.argv[1:]
    code, text = _cli(rest) if mode == "cli" else _window(rest[0])
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in NETWORK_CLIENTS)
    Path(out).write_text(json.dumps({"code": code, "text": text, "network_modules": loaded}),
                         encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
