"""Clearing the clipboard on lock, but only when it holds something the app put there.

Where the platform says who owns the clipboard (X11, Wayland, Windows, macOS), that answer
counts. Elsewhere the guard remembers a digest (never the text) of each clipboard change made
while the vault was open and the app was in front; on lock it clears the clipboard if it still
holds that content. Text another program put there is left alone.
"""

from __future__ import annotations

import hashlib
import logging

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QClipboard, QGuiApplication

log = logging.getLogger(__name__)

MODES = (QClipboard.Mode.Clipboard, QClipboard.Mode.Selection)


def _digest(clipboard: QClipboard, mode: QClipboard.Mode) -> str | None:
    data = clipboard.mimeData(mode)
    if data is None or not data.formats():
        return None
    hasher = hashlib.sha256()
    for name in sorted(data.formats()):
        hasher.update(name.encode() + b"\0" + bytes(data.data(name).data()) + b"\0")
    return hasher.hexdigest()


class ClipboardGuard(QObject):
    def __init__(self, clipboard: QClipboard, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._clipboard = clipboard
        self._watching = False
        self._ours: dict[QClipboard.Mode, str] = {}
        clipboard.changed.connect(self._changed)

    def watch(self) -> None:
        """From now on (the vault is open), clipboard changes made in the app are the app's."""
        self._watching = True

    def _changed(self, mode: QClipboard.Mode) -> None:
        app_in_front = QGuiApplication.applicationState() == Qt.ApplicationState.ApplicationActive
        digest = _digest(self._clipboard, mode)
        if self._watching and app_in_front and digest is not None:
            self._ours[mode] = digest
        else:
            self._ours.pop(mode, None)

    def _owns(self, mode: QClipboard.Mode) -> bool:
        if mode == QClipboard.Mode.Clipboard and self._clipboard.ownsClipboard():
            return True
        if mode == QClipboard.Mode.Selection and self._clipboard.ownsSelection():
            return True
        digest = self._ours.get(mode)
        return digest is not None and digest == _digest(self._clipboard, mode)

    def clear_if_ours(self) -> bool:
        """Clear each clipboard that holds the app's content; stop watching. True if any was."""
        self._watching = False
        cleared = False
        for mode in MODES:
            if mode == QClipboard.Mode.Selection and not self._clipboard.supportsSelection():
                continue
            if self._owns(mode):
                self._clipboard.clear(mode)
                cleared = True
        self._ours.clear()
        if cleared:
            log.info("clipboard cleared on lock")
        return cleared
