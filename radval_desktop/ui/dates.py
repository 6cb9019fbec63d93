"""Dates and times as the window's language writes them: 2026年11月30日 20:34, 30 Nov 2026."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QCoreApplication, QDate, QDateTime, QLocale, QTime

from radval_desktop.ui.i18n import current_language


def _local(text: str) -> datetime | None:
    """An ISO 8601 time (training/export.py writes 2026-11-30T12:34:56+0800) in this
    machine's time zone; one without a zone is taken as local already. None if not ISO."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment.astimezone() if moment.tzinfo is not None else moment


def _shown(moment: datetime, layout: str) -> str:
    # The window's language, not the system's: a Chinese window on an English system
    # still writes 11月, and month names come from QLocale, not from the catalogue.
    stamp = QDateTime(QDate(moment.year, moment.month, moment.day),
                      QTime(moment.hour, moment.minute, moment.second))
    return QLocale(current_language()).toString(stamp, layout)


def local_date_time(text: str) -> str:
    """An ISO time as a local date and minute; ``text`` as it is when it is not ISO."""
    moment = _local(text)
    if moment is None:
        return text
    return _shown(moment, QCoreApplication.translate("Dates", "d MMM yyyy HH:mm"))


def local_date(text: str) -> str:
    """An ISO time as a local date; ``text`` as it is when it is not ISO."""
    moment = _local(text)
    if moment is None:
        return text
    return _shown(moment, QCoreApplication.translate("Dates", "d MMM yyyy"))
