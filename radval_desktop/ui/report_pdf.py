"""The study report's PDF handout, printed from the report's own HTML by Qt's text engine.

Why Qt's QTextDocument + QPdfWriter (issue 19; measured on the fixture study's report):
- it is already in the installer (PySide6-Essentials) on Linux and Windows, needs no
  browser, no network and no new library: a hospital workstation prints it offline;
- headless Chromium prints the HTML most faithfully (3 pages, 300 kB, 2.2 s) but is not
  on the workstations and the installer does not ship it (about 300 MB);
- WeasyPrint (4.6 s, 130 kB) needs Pango, which Windows lacks without a GTK runtime.
Qt reads a subset of HTML and CSS (no flex, no @page) and drew matplotlib's SVG with
missing glyphs, so the PDF is printed from the same report with PNG charts, tables at the
page width with headers repeated on each page, words wrapped anywhere rather than cut,
a heading never alone at a page's foot nor a row split between pages (ui/pdf_pages.py),
and a footer with page numbers painted here. Needs a QGuiApplication: `radval report`
makes an offscreen one when the process has none.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import (
    QFont,
    QFontDatabase,
    QGuiApplication,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
    QTextOption,
)
from PySide6.QtWidgets import QApplication

from radval_desktop.study.report_language import ENGLISH_WORDS, PageFooter
from radval_desktop.ui.fonts import cjk_font_path
from radval_desktop.ui.pdf_pages import keep_together

MARGINS_MM = QMarginsF(12, 12, 12, 10)  # the footer sits in the body's last 6 mm
FOOTER_MM = 6
RESOLUTION_DPI = 300  # the charts are 150 dpi PNGs at about half the page width each
BODY_FONT_PT = 9


def _application() -> QGuiApplication:
    app = QCoreApplication.instance()
    if isinstance(app, QGuiApplication):
        return app
    if app is not None:
        raise RuntimeError("A QCoreApplication without a GUI cannot print the report PDF.")
    # Offscreen: `radval report` runs over SSH and on servers with no display too. A
    # QApplication, not a bare QGuiApplication: a window opened later in the same process
    # (the test suite does) needs widgets.
    return QApplication(["radval", "-platform", "offscreen"])


def _register_cjk_font() -> None:
    path = cjk_font_path()
    if path.is_file() and "WenQuanYi Micro Hei" not in QFontDatabase.families():
        QFontDatabase.addApplicationFont(str(path))


def write_pdf(html: str, path: Path, title: str, footer: PageFooter | None = None) -> Path:
    """Print html to path: A4 landscape, each page footed by footer(page, pages) ("title ·
    Page i of n" in the report's language: study/report_language.py)."""
    page_footer = footer or ENGLISH_WORDS.footer(title)
    _application()
    _register_cjk_font()
    writer = QPdfWriter(str(path))
    writer.setTitle(title)
    writer.setCreator("RadVal Desktop")
    writer.setResolution(RESOLUTION_DPI)
    # Landscape: the expert table has 13 columns and the agreement table 11; portrait
    # squeezed their numbers to a character a line.
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4),
                                     QPageLayout.Orientation.Landscape, MARGINS_MM,
                                     QPageLayout.Unit.Millimeter))
    footer_height = FOOTER_MM / 25.4 * RESOLUTION_DPI
    width, height = float(writer.width()), float(writer.height()) - footer_height

    document = QTextDocument()
    document.documentLayout().setPaintDevice(writer)  # point sizes at the printer's dpi
    font = QFont("DejaVu Sans")
    font.setFamilies(["DejaVu Sans", "WenQuanYi Micro Hei"])
    font.setPointSizeF(BODY_FONT_PT)
    document.setDefaultFont(font)
    option = QTextOption()
    # A word longer than its column wraps inside it instead of pushing the table off the page.
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    document.setDefaultTextOption(option)
    document.setHtml(html)
    document.setPageSize(QSizeF(width, height))
    keep_together(document, height)
    pages = document.pageCount()

    painter = QPainter(writer)
    try:
        footer_font = QFont(font)
        footer_font.setPointSizeF(7.5)
        for page in range(pages):
            if page:
                writer.newPage()
            painter.save()
            painter.translate(0, -page * height)
            document.drawContents(painter, QRectF(0, page * height, width, height))
            painter.restore()
            painter.setFont(footer_font)
            painter.setPen(Qt.GlobalColor.darkGray)
            painter.drawText(QRectF(0, height, width, footer_height),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                             page_footer(page + 1, pages))
    finally:
        painter.end()
    return path
