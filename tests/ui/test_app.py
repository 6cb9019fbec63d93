"""Start-up: the bundled CJK font is registered, the log is owner-only, main() runs and exits."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase, QFontMetrics
from PySide6.QtWidgets import QApplication

from radval_desktop import paths
from radval_desktop.ui.app import setup_logging
from radval_desktop.ui.fonts import cjk_font_path, register_cjk_font


def test_bundled_cjk_font_covers_chinese_and_is_a_fallback(qapp: QApplication) -> None:
    families = register_cjk_font(qapp)
    assert "WenQuanYi Micro Hei" in families
    assert "WenQuanYi Micro Hei" in qapp.font().families()
    assert QFontDatabase.WritingSystem.SimplifiedChinese in QFontDatabase.writingSystems(
        "WenQuanYi Micro Hei")
    metrics = QFontMetrics(QFont("WenQuanYi Micro Hei"))
    assert all(metrics.inFontUcs4(ord(ch)) for ch in "双肺纹理增多，诊断意见")


def test_font_licence_ships_beside_the_font() -> None:
    folder = cjk_font_path().parent
    assert cjk_font_path().stat().st_size > 1_000_000
    assert "Apache-2.0" in (folder / "wqy-microhei.COPYRIGHT").read_text(encoding="utf-8")
    assert (folder / "LICENSE-Apache-2.0.txt").is_file()


def test_log_file_is_owner_only_and_receives_records() -> None:
    root = logging.getLogger()
    before, hook, level = list(root.handlers), sys.excepthook, root.level
    try:
        path = setup_logging()
        logging.getLogger("radval_desktop.test").warning("hello log")
        for handler in root.handlers:
            handler.flush()
        assert path == paths.log_dir() / "radval.log"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert "hello log" in path.read_text(encoding="utf-8")
    finally:
        for handler in set(root.handlers) - set(before):
            root.removeHandler(handler)
            handler.close()
        sys.excepthook, root.level = hook, level


def test_main_shows_the_window_and_returns_when_it_closes(radval_home: Path) -> None:
    code = (
        "import sys\n"
        "from PySide6.QtCore import QTimer\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from radval_desktop.ui import app\n"
        "qt = QApplication(sys.argv[:1])\n"
        "def close():\n"
        "    [w] = [w for w in qt.topLevelWidgets() if w.objectName() == 'main.window']\n"
        "    assert w.isVisible()\n"
        "    w.close()\n"
        "QTimer.singleShot(200, close)\n"
        "sys.exit(app.main(['radval']))\n"
    )
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "starting" in (radval_home / "logs" / "radval.log").read_text(encoding="utf-8")


def test_the_window_icon_is_the_menu_entrys(qapp: QApplication) -> None:
    # tests/ui/conftest.py configures the application as main() does.
    sizes = qapp.windowIcon().availableSizes()
    assert sizes, "no window icon set"
    assert max(s.width() for s in sizes) >= 48


def test_the_window_s_imports_leave_charts_and_reports_for_later() -> None:
    # matplotlib and fontTools cost ~0.45 s of start-up; only a report or a chart needs them.
    heavy = ("matplotlib", "fontTools", "torch", "transformers", "huggingface_hub")
    code = ("import sys, radval_desktop.ui.app; "
            f"print(sorted(m for m in {heavy!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.stdout.strip() == "[]"
