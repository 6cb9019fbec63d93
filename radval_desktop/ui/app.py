"""Start the window: QApplication, the CJK font, the log file, then the main window."""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from collections.abc import Sequence
from io import TextIOWrapper
from pathlib import Path
from types import TracebackType
from typing import cast

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from radval_desktop import __version__, paths
from radval_desktop.config import Settings, load_settings
from radval_desktop.ui.fonts import register_cjk_font
from radval_desktop.ui.i18n import CHINESE, choose_language, install_language
from radval_desktop.ui.main_window import MainWindow

LOG_FILE = "radval.log"
# A week of heavy use is a few MB; three files keep enough to debug without growing forever.
LOG_MAX_BYTES = 2_000_000
LOG_BACKUPS = 3
# Log files hold findings pasted into error reports: owner-only, like the history.
LOG_FILE_MODE = 0o600

log = logging.getLogger(__name__)


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Rotation opens a fresh radval.log; it must be owner-only too, whatever the umask."""

    def _open(self) -> TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_CREAT | os.O_APPEND | os.O_WRONLY, LOG_FILE_MODE)
        os.chmod(self.baseFilename, LOG_FILE_MODE)
        # self.mode is "a": a text stream, as RotatingFileHandler's own _open returns.
        return cast(TextIOWrapper, open(fd, self.mode, encoding=self.encoding,
                                        errors=self.errors))


def setup_logging(level: int = logging.INFO) -> Path:
    """Send RadVal's log to log_dir()/radval.log (owner-only); its path.

    The handler is returned through the root logger; tests remove it again."""
    path = paths.log_dir() / LOG_FILE
    handler: logging.Handler
    try:
        fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, LOG_FILE_MODE)
        os.close(fd)
        os.chmod(path, LOG_FILE_MODE)
        handler = _PrivateRotatingFileHandler(
            path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8")
    except OSError as err:
        # A read-only profile must not stop the radiologist from drafting.
        handler = logging.StreamHandler()
        print(f"RadVal cannot write its log to {path} ({err.strerror}); logging to stderr.",
              file=sys.stderr)
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.setLevel(level)
    root.addHandler(handler)
    sys.excepthook = _log_uncaught
    return path


def _log_uncaught(kind: type[BaseException], value: BaseException,
                  tb: TracebackType | None) -> None:
    # Exceptions escaping Qt's event loop would otherwise only reach stderr, which a
    # radiologist's desktop launcher throws away.
    log.critical("Uncaught exception", exc_info=(kind, value, tb))


def configure_application(app: QApplication) -> None:
    """Everything a QApplication needs before RadVal's first window (tests call it too)."""
    app.setApplicationName("RadVal")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("RadVal")
    icon = paths.resources_dir() / "icons" / "radval.png"
    if icon.is_file():  # the same icon as the .deb's menu entry
        app.setWindowIcon(QIcon(str(icon)))
    register_cjk_font(app)


def start_language(app: QApplication, settings: Settings) -> str:
    """Translate the window into the language of ui.language (IT's, the user's, or the
    system's); its code. Called before the first widget is built: views translate once."""
    language = choose_language(settings["ui.language"])
    if install_language(app, language):
        log.info("Window language: %s", language)
    else:
        language = "en"
    # Chinese text reads best in the CJK font throughout, Latin words included, rather than
    # Chinese in WenQuanYi beside Latin in the platform's font.
    register_cjk_font(app, first=language == CHINESE)
    return language


def create_application(argv: Sequence[str]) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(list(argv))
    configure_application(app)
    return app


def main(argv: Sequence[str] | None = None) -> int:
    """Run the drafting window until it is closed; the exit status. ``radval`` calls this."""
    argv = list(sys.argv if argv is None else argv)
    log_path = setup_logging()
    log.info("RadVal %s starting; log at %s", __version__, log_path)
    app = create_application(argv)
    settings = load_settings()
    start_language(app, settings)
    window = MainWindow(settings)
    window.show()
    status = app.exec()
    window.shutdown()
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
