"""Tooltips from files and users show the characters they hold, never Qt rich text."""

from __future__ import annotations

from PySide6.QtGui import Qt as GuiQt  # mightBeRichText and convertFromPlainText live here


def plain_tooltip(text: str) -> str:
    """A tooltip that shows ``text`` as written. Qt takes a tooltip that looks like HTML for
    HTML (there is no format setting for tooltips), so a model named "<img src=...>" would
    load an image: such text goes escaped, and plain text as it is."""
    return GuiQt.convertFromPlainText(text) if GuiQt.mightBeRichText(text) else text
