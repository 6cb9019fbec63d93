"""CSV that spreadsheets open as text: the one place RadVal writes CSV (issue 17, item 10).

Excel, LibreOffice and Google Sheets run a cell starting with = + - @ (or a tab or carriage
return before one) as a formula, so a rater's name, a model's name or an explanation could
open a link or start a program on the study lead's machine. OWASP's rule: prefix such a
cell with a single quote, which the spreadsheet shows as the start of a text cell.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

# OWASP "CSV Injection": = + - @, tab, carriage return. The full-width forms are added
# because an East Asian input method types them and Excel's Asian editions read them as
# the half-width ones.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
QUOTE = "'"
# Excel opens a CSV without a byte-order mark in the system's ANSI code page (GBK on a
# Chinese Windows), which turns every Chinese name into mojibake; utf-8-sig writes the mark,
# and LibreOffice and Python's csv module read past it. Every CSV file is opened with it and
# newline="" (the csv module ends rows in CRLF itself).
ENCODING = "utf-8-sig"


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet shows it but never runs it.

    Only the start matters: "- the impression is cut off" becomes "'- the impression is
    cut off", which still reads as the rater wrote it.
    """
    return QUOTE + text if text.startswith(FORMULA_STARTS) else text


def original(cell: str) -> str:
    """The text ``neutralise`` was given (for a program reading the CSV back)."""
    if cell.startswith(QUOTE) and cell[1:].startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def cell(value: object) -> object:
    """Strings neutralised; numbers RadVal computed (a negative alpha) stay numbers."""
    return neutralise(value) if isinstance(value, str) else value


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


class SafeWriter:
    """``csv.writer`` whose every text cell is neutralised.

    ``float_format`` formats floats after the check, so a negative number stays a number.
    """

    def __init__(self, handle: _Writable, float_format: str = "{}", **options: Any) -> None:
        self._writer = csv.writer(handle, **options)
        self._float_format = float_format

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([self._float_format.format(value) if isinstance(value, float)
                               else cell(value) for value in row])


def writer(handle: _Writable, float_format: str = "{}", **options: Any) -> SafeWriter:
    return SafeWriter(handle, float_format, **options)
