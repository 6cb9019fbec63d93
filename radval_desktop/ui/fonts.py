"""The bundled CJK font: registered at start-up so Chinese never renders as boxes."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication

from radval_desktop import paths

log = logging.getLogger(__name__)

# WenQuanYi Micro Hei 0.2.0-beta (Debian fonts-wqy-microhei), Apache-2.0: see its
# COPYRIGHT file beside it. Chosen because it is small (5 MB) and covers GB2312 + GBK.
CJK_FONT_FILE = "wqy-microhei.ttc"


def cjk_font_path() -> Path:
    return paths.resources_dir() / "fonts" / CJK_FONT_FILE


def register_cjk_font(app: QGuiApplication, first: bool = False) -> list[str]:
    """Register the font and append its family to the app font's fallbacks (``first``: put
    it before the platform's, for a Chinese window); its families."""
    path = cjk_font_path()
    known = set(QFontDatabase.families())
    font_id = QFontDatabase.addApplicationFont(str(path))
    if font_id < 0:
        log.error("The CJK font %s could not be registered; Chinese may show as boxes", path)
        return []
    families = QFontDatabase.applicationFontFamilies(font_id)
    if known.issuperset(families):
        # Already registered by an earlier QApplication (tests make several windows).
        QFontDatabase.removeApplicationFont(font_id)
    font = QFont(app.font())
    others = [family for family in font.families() if family not in families]
    # An English window keeps the platform's font, falling back to ours for Chinese only.
    font.setFamilies([*families, *others] if first else [*others, *families])
    app.setFont(font)
    return list(families)
