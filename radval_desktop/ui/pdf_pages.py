"""Page breaks Qt's text layout does not make itself: a heading kept with what follows it, a
table row kept whole (issue 19: the handout left a table's title alone at a page's foot, and
Qt splits a row of several lines between two pages, under the repeated header)."""

from __future__ import annotations

import math

from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QTextBlock,
    QTextBlockFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextTable,
)

# Each fix moves content down and is made once, so the loop ends; this only bounds a
# document whose every row or heading needs moving (a few hundred for the largest report).
MAX_FIXES = 2_000
EPSILON = 0.5  # device pixels: a bottom exactly on a page's edge belongs to that page


def _page(y: float, page_height: float) -> int:
    return math.floor(y / page_height)


def _rect_top_bottom(layout: QAbstractTextDocumentLayout, block: QTextBlock
                     ) -> tuple[float, float]:
    rect = layout.blockBoundingRect(block)
    return rect.top(), rect.bottom()


def _tables(document: QTextDocument) -> list[QTextTable]:
    found: list[QTextTable] = []
    frames = list(document.rootFrame().childFrames())
    while frames:
        frame = frames.pop(0)
        if isinstance(frame, QTextTable):
            found.append(frame)
        frames.extend(frame.childFrames())
    return found


def _cell_blocks(table: QTextTable, row: int) -> list[list[QTextBlock]]:
    cells = []
    for column in range(table.columns()):
        cell = table.cellAt(row, column)
        if cell.row() != row or cell.column() != column:  # spanned from elsewhere
            continue
        first, last = cell.firstCursorPosition().block(), cell.lastCursorPosition().block()
        blocks = [first]
        while blocks[-1] != last and blocks[-1].isValid():
            blocks.append(blocks[-1].next())
        cells.append(blocks)
    return cells


def _heading_run_start(block: QTextBlock) -> QTextBlock:
    """The first of the headings right before ``block`` (a section's h2 above a table's h3
    goes with it)."""
    previous = block.previous()
    while previous.isValid() and previous.blockFormat().headingLevel() > 0:
        block, previous = previous, previous.previous()
    return block


def _break_before(block: QTextBlock) -> None:
    cursor = QTextCursor(block)
    form = QTextBlockFormat()
    form.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
    cursor.mergeBlockFormat(form)


def _orphan_heading(document: QTextDocument, page_height: float,
                    done: set[int]) -> QTextBlock | None:
    """The first heading whose next block starts on a later page than the heading."""
    layout = document.documentLayout()
    block = document.begin()
    while block.isValid():
        following = block.next()
        if (block.blockFormat().headingLevel() > 0 and following.isValid()
                and block.position() not in done):
            top, _ = _rect_top_bottom(layout, block)
            next_top, next_bottom = _rect_top_bottom(layout, following)
            line = following.layout().lineAt(0) if following.layout().lineCount() else None
            first_line_bottom = next_top + (line.y() + line.height() if line else 0)
            if _page(top, page_height) < _page(min(first_line_bottom, next_bottom) - EPSILON,
                                               page_height):
                return block
        block = following
    return None


def _split_row(document: QTextDocument, page_height: float, done: set[tuple[int, int]]
               ) -> tuple[QTextTable, int] | None:
    """(table, row) for the first row drawn on two pages."""
    layout = document.documentLayout()
    for table in _tables(document):
        headers = table.format().headerRowCount()
        for row in range(headers, table.rows()):
            if (table.firstPosition(), row) in done:
                continue
            spans = [_rect_top_bottom(layout, b) for cell in _cell_blocks(table, row)
                     for b in cell]
            if not spans:
                continue
            top = min(t for t, _ in spans)
            bottom = max(b for _, b in spans)
            if bottom - top >= page_height / 2:
                continue  # taller than half a page: moving it would only leave a gap
            if _page(top, page_height) != _page(bottom - EPSILON, page_height):
                return table, row
    return None


def _row_span(layout: QAbstractTextDocumentLayout, table: QTextTable, row: int
              ) -> list[tuple[float, float]]:
    return [_rect_top_bottom(layout, b) for cell in _cell_blocks(table, row) for b in cell]


def _pad_row(table: QTextTable, row: int, padding: float) -> None:
    for column in range(table.columns()):
        cell = table.cellAt(row, column)
        if cell.row() == row and cell.column() == column:
            form = cell.format().toTableCellFormat()
            form.setBottomPadding(padding)
            cell.setFormat(form)


def _push_row(document: QTextDocument, table: QTextTable, row: int, page_height: float
              ) -> bool:
    """Pad the row above ``row`` at the bottom until ``row`` starts past the page's foot:
    Qt then moves it whole under the next page's repeated header and draws the row above to
    the foot, as it does itself for a row that does not fit at all. True if it moved.

    A block's margin inside a cell does not count, and a cell's bottom padding also raises
    the foot its own lines must fit above: too much pushes the row above's last line over
    too. The most padding that leaves the row above as it was is found by bisection."""
    layout = document.documentLayout()
    above, before = row - 1, _row_span(layout, table, row)
    laid = _row_span(layout, table, above)
    page = _page(min(t for t, _ in before), page_height)
    padding = table.format().cellPadding()
    low, high = 0, math.ceil((page + 1) * page_height - max(b for _, b in laid))
    while low < high:  # the largest extra padding that keeps the row above where it was
        middle = (low + high + 1) // 2
        _pad_row(table, above, padding + middle)
        if _row_span(layout, table, above) == laid:
            low = middle
        else:
            high = middle - 1
    _pad_row(table, above, padding + low)
    after = _row_span(layout, table, row)
    if _page(min(t for t, _ in after), page_height) > page:
        return True
    _pad_row(table, above, padding)
    return False


def keep_together(document: QTextDocument, page_height: float) -> int:
    """Move headings and table rows until none is cut from what it belongs with; the
    number of moves made. The document's page size must be set."""
    headings: set[int] = set()
    rows: set[tuple[int, int]] = set()
    for fixes in range(MAX_FIXES):
        heading = _orphan_heading(document, page_height, headings)
        if heading is not None:
            start = _heading_run_start(heading)
            headings.update(b.position() for b in (heading, start))
            _break_before(start)
            continue
        split = _split_row(document, page_height, rows)
        if split is None:
            return fixes
        table, row = split
        rows.add((table.firstPosition(), row))
        if row == table.format().headerRowCount():
            # The first row: the whole table moves, its title with it.
            title = document.findBlock(table.firstPosition() - 1)
            _break_before(_heading_run_start(title) if
                          title.blockFormat().headingLevel() > 0 else title)
        else:
            _push_row(document, table, row, page_height)
    return MAX_FIXES
