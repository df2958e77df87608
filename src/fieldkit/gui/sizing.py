"""Sizing a dialog to what it shows, in any language, each time what it shows changes.

A fixed minimum width and one ``adjustSize`` at opening clip a dialog whose text is longer in
French, or arrives later (a count, a fingerprint, a result, an error): the wrapped labels keep
the height measured for the old text. ``fit`` sets the minimum width from the layout (the widest
line that cannot wrap) and grows the dialog to the height its wrapped text needs at the width it
has. Call it after the dialog shows, hides or changes text.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def fit(dialog: QWidget, min_width: int) -> None:
    """At least ``min_width`` wide (and as wide as the layout needs), as high as the content."""
    layout = dialog.layout()
    if layout is not None:
        layout.activate()
    needed = layout.totalMinimumSize().width() if layout is not None else 0
    dialog.setMinimumWidth(max(min_width, needed))
    dialog.adjustSize()
    # adjustSize measures the wrapped text at the width it wanted, then may narrow the dialog to
    # fit the screen: measure it again at the width it has.
    height = dialog.heightForWidth(dialog.width())
    if height > dialog.height():
        dialog.resize(dialog.width(), height)
    if layout is not None:
        # A dialog already at the right size gets no resize, and so no new layout pass: lay its
        # children out again for what they now show (a note whose new text wraps onto more
        # lines kept the height of the old one).
        layout.invalidate()
        layout.activate()
