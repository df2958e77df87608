"""Closing cleanly when the system asks: SIGTERM (and SIGHUP), the end of the desktop session,
and any other way the event loop ends.

Python runs a signal handler only between two of its own instructions, and Qt's event loop runs
no Python while it waits: a signal alone would wait until the next event. So the signal's number
is also written to a socket (``signal.set_wakeup_fd``) that a ``QSocketNotifier`` watches; that
wakes the loop, Python runs the handler, and the handler asks the loop to close the window (which
saves pending typing and locks the vault, so that SQLite folds its ``-wal`` and ``-shm`` files
back in) and then to quit, with exit status 0.

At the end of the desktop session (``commitDataRequest``) the window locks: the vault is closed
before the session manager ends the process; ``aboutToQuit`` locks too, whatever ended the loop.
"""

from __future__ import annotations

import logging
import signal
import socket
from collections.abc import Callable

from PySide6.QtCore import QObject, QSocketNotifier, QTimer
from PySide6.QtGui import QGuiApplication, QSessionManager

log = logging.getLogger(__name__)

SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
"""The signals that close the app (SIGHUP does not exist on Windows)."""


class CleanShutdown(QObject):
    """Installed once, for the life of the application: ``close`` locks and closes the window,
    ``lock`` only locks (when the desktop session ends)."""

    def __init__(
        self, app: QGuiApplication, close: Callable[[], object], lock: Callable[[], object]
    ) -> None:
        super().__init__(app)
        self._app = app
        self._close = close
        self._lock = lock
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        signal.set_wakeup_fd(self._writer.fileno())
        for number in SIGNALS:
            signal.signal(number, self._on_signal)
        app.commitDataRequest.connect(self._session_ending)
        app.aboutToQuit.connect(self._quitting)

    def _drain(self) -> None:
        """The loop woke for a signal: Python has run its handler by now; empty the socket."""
        try:
            while self._reader.recv(64):
                pass
        except BlockingIOError:
            pass

    def _on_signal(self, number: int, _frame: object) -> None:
        log.info("closing on signal %d", number)
        QTimer.singleShot(0, self._quit)

    def _quit(self) -> None:
        self._close()
        self._app.quit()

    def _session_ending(self, _manager: QSessionManager) -> None:
        log.info("closing: the desktop session ends")
        self._lock()

    def _quitting(self) -> None:
        self._lock()
