"""The desktop app in a child process, unlocked as a user would: it types the passphrase into the
unlock page once that page is ready, and prints "unlocked" once the vault is open.

usage: app_child.py VAULT PASSPHRASE   (then exits with the app's own exit status)
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from fieldkit import app as desktop
from fieldkit.gui.unlock import UnlockPage
from fieldkit.gui.window import MainWindow


def main(folder: str, passphrase: str) -> int:
    application = QApplication([sys.argv[0]])
    timer = QTimer()
    timer.setInterval(50)
    typed = False

    def poll() -> None:
        nonlocal typed
        windows = [w for w in application.topLevelWidgets() if isinstance(w, MainWindow)]
        if not windows:
            return
        window = windows[0]
        if window.session.is_open and window.workspace is not None:
            timer.stop()
            print("unlocked", flush=True)
        elif isinstance(window.page, UnlockPage) and not typed and not window.page.working:
            window.page.passphrase.setText(passphrase)
            window.page.submit()
            typed = True

    timer.timeout.connect(poll)
    timer.start()
    return desktop.main(["--vault", folder])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
