"""Keeping left-to-right values whole inside right-to-left sentences.

In Arabic, a number, a coordinate, a date, a device or headquarters name, a file name or a key
fingerprint put into a translated sentence is wrapped in Unicode isolates (U+2068 FIRST STRONG
ISOLATE ... U+2069 POP DIRECTIONAL ISOLATE): the value keeps its own order ("2026-11-25 10:42",
"14.4974, -4.1942") and does not pull the words around it out of place. In a left-to-right
layout the text is returned as is, so that nothing invisible is added to what users copy.

Counts are written as the language writes them (QLocale, the default locale following the
language): "1,000" in English, "1 000" in French, "١٬٠٠٠" in Arabic, as Qt writes sizes and dates.
"""

from __future__ import annotations

from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence

FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"


def isolate(text: str) -> str:
    """``text`` as one isolated run when the application is laid out right to left."""
    if not text or QGuiApplication.layoutDirection() != Qt.LayoutDirection.RightToLeft:
        return text
    return f"{FIRST_STRONG_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}"


def count_text(n: int) -> str:
    """A count in the digits and grouping of the current language, isolated in Arabic."""
    return isolate(QLocale().toString(n))


def shortcut_left_to_right(action: QAction) -> None:
    """Show the action's shortcut in a menu as written ("Ctrl+,", not ",+Ctrl") when the
    application is laid out right to left.

    The menu is given the shortcut text itself, isolated, after a tab (a menu then shows that
    instead of its own); the toolbar button and the tooltip keep the action's plain text, and the
    shortcut still works as set. Call it after ``setText`` and ``setShortcut``.
    """
    shortcut = action.shortcut()
    if shortcut.isEmpty() or QGuiApplication.layoutDirection() != Qt.LayoutDirection.RightToLeft:
        return
    plain, tip = action.iconText(), action.toolTip()
    action.setIconText(plain)
    action.setToolTip(tip)
    written = shortcut.toString(QKeySequence.SequenceFormat.NativeText)
    action.setText(f"{action.text()}\t{isolate(written)}")
