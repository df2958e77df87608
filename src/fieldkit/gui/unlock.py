"""The unlock screen. Key derivation runs in the task runner; a wrong passphrase earns a clear
message and a growing wait (1, 2, 4 ... 60 s) with the button disabled and a countdown.

Wrong attempts are counted by ``services.unlocking`` in a small file beside the key file, so a
restart neither skips the wait nor starts the count afresh: the page reads the count first (in
the runner) and keeps the button disabled until it knows it (Return pressed before that is
acted on once it is known). The count goes into the audit log at the next successful unlock.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QPushButton, QWidget

from fieldkit.gui.busy import BusyIndicator
from fieldkit.gui.errors import user_message
from fieldkit.gui.fields import error_label, passphrase_field
from fieldkit.gui.page import CentredPage, heading, paragraph
from fieldkit.gui.session import VaultSession
from fieldkit.gui.tasks import TaskRunner
from fieldkit.i18n import _, ngettext

if TYPE_CHECKING:
    from fieldkit.services.unlocking import Attempts
    from fieldkit.vault.store import Vault

# The services are imported when first used: the page shows before the database libraries load.


def _attempts(folder: Path) -> Attempts:
    from fieldkit.services import unlocking

    return unlocking.read_attempts(folder)


def _sleep(seconds: float) -> None:
    """Wait out, in the task, what is left of a wait the countdown did not cover (another
    program's wrong passphrase meanwhile). Tests replace it, as they shorten the countdown."""
    time.sleep(seconds)


def _unlock(folder: Path, passphrase: str, warnings: list[str], notices: list[str]) -> Vault:
    from fieldkit.services import unlocking

    return unlocking.unlock(
        folder, passphrase, wait=_sleep, warn=warnings.append, inform=notices.append
    )


def _unlock_remembered(folder: Path, warnings: list[str], notices: list[str]) -> Vault | None:
    from fieldkit.services import unlocking

    return unlocking.unlock_remembered(folder, warn=warnings.append, inform=notices.append)


def _close(vault: Vault | None) -> None:
    """An unlocked vault that no page took any more (the page went away meanwhile)."""
    if vault is not None:
        vault.close()


def _is_wrong_passphrase(error: BaseException) -> bool:
    from fieldkit.vault.keyfile import WrongPassphraseError

    return isinstance(error, WrongPassphraseError)


def _wait_after(error: BaseException) -> int:
    """Seconds to wait after a failed attempt: 0 unless it was a counted wrong passphrase."""
    from fieldkit.services.unlocking import CountedWrongPassphraseError

    return error.attempts.delay if isinstance(error, CountedWrongPassphraseError) else 0


class UnlockPage(CentredPage):
    TICK_MS = 1000
    """One second of the countdown (tests shorten it)."""

    wait_started = Signal(int)
    """The seconds to wait before the next attempt: after a wrong passphrase, or at the start
    when the wait after one typed before a restart is not over yet."""

    def __init__(
        self, session: VaultSession, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._runner = runner
        self._remaining = 0
        self.column.addWidget(heading(_("Unlock your vault")))
        self.column.addWidget(paragraph(_("Type your passphrase to open your records.")))
        self.passphrase = passphrase_field(_("Passphrase"))
        self.passphrase.setPlaceholderText(_("Passphrase"))
        self.passphrase.returnPressed.connect(self.submit)
        self.column.addWidget(self.passphrase)
        self.error = error_label(_("Error"))
        self.column.addWidget(self.error)
        self.countdown = QLabel()
        self.countdown.setAccessibleName(_("Wait before the next attempt"))
        self.countdown.hide()
        self.column.addWidget(self.countdown)
        self.busy = BusyIndicator()
        self.column.addWidget(self.busy)
        self.unlock = QPushButton(_("Unlock"))
        self.unlock.setAccessibleName(_("Unlock"))
        self.unlock.setDefault(True)
        self.unlock.clicked.connect(self.submit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.unlock)
        self.column.addLayout(buttons)
        self._ticker = QTimer(self)
        self._ticker.setInterval(self.TICK_MS)
        self._ticker.timeout.connect(self._tick)
        self._working = False
        self._ready = False
        """The count of earlier wrong passphrases is known (until then, no attempt)."""
        self._submit_when_ready = False
        self.warning_box: QMessageBox | None = None
        self.unlock.setEnabled(False)
        self.setFocusProxy(self.passphrase)
        folder = session.folder
        runner.run(
            "unlock attempts",
            lambda: _attempts(folder),
            self._attempts_known,
            lambda _error: self._attempts_known(None),
            owner=self,
        )

    @property
    def waiting_seconds(self) -> int:
        """Seconds left before another attempt is allowed."""
        return self._remaining

    @property
    def working(self) -> bool:
        return self._working

    @property
    def ready(self) -> bool:
        """The count of earlier wrong passphrases is known."""
        return self._ready

    def try_remembered(self) -> None:
        """Unlock with the passphrase remembered in the keyring, if the user asked for that."""
        folder = self._session.folder
        warnings: list[str] = []
        notices: list[str] = []
        self._set_working(True, _("Looking for a passphrase remembered on this device…"))
        self._runner.run(
            "unlock (remembered)",
            lambda: _unlock_remembered(folder, warnings, notices),
            lambda vault: self._remembered_result(vault, warnings, notices),
            self._remembered_failed,
            owner=self,
            discard=_close,
        )

    def submit(self) -> None:
        if self._working or self._remaining > 0:
            return
        if not self._ready:
            self._submit_when_ready = True
            return
        passphrase = self.passphrase.text()
        if not passphrase:
            self._show_error(_("Type your passphrase."))
            return
        folder = self._session.folder
        warnings: list[str] = []
        notices: list[str] = []
        self._set_working(True, _("Deriving the key from your passphrase…"))
        self._runner.run(
            "unlock",
            lambda: _unlock(folder, passphrase, warnings, notices),
            lambda vault: self._unlocked(vault, warnings, notices),
            self._failed,
            owner=self,
            discard=_close,
        )

    def _unlocked(self, vault: Vault, warnings: list[str], notices: list[str]) -> None:
        self._set_working(False)
        self.passphrase.clear()
        self._session.open(vault)
        self._warn(warnings, notices)

    def _warn(self, warnings: list[str], notices: list[str]) -> None:
        """Show what the unlock found to warn about (a count of wrong passphrases removed or
        altered since the last unlock, a key file weaker than fieldkit makes), then what it did
        for the user (the forms updated with fieldkit), in one box."""
        if not warnings and not notices:
            return
        text = "\n\n".join(warnings + notices)
        if warnings:
            icon, name = QMessageBox.Icon.Warning, _("Warning")
        else:
            icon, name = QMessageBox.Icon.Information, _("Information")
        box = QMessageBox(icon, "fieldkit", text, parent=self.window())
        box.setAccessibleName(name)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.warning_box = box

    def _failed(self, error: BaseException) -> None:
        self._set_working(False)
        self.passphrase.selectAll()
        self.passphrase.setFocus()
        self._show_error(user_message(error))
        self._start_wait(_wait_after(error))

    def _attempts_known(self, attempts: Attempts | None) -> None:
        self._ready = True
        self.unlock.setEnabled(not self._working and self._remaining == 0)
        if attempts is not None:
            self._start_wait(attempts.wait_left())
        submit, self._submit_when_ready = self._submit_when_ready, False
        if submit:
            self.submit()

    def _start_wait(self, seconds: int) -> None:
        if seconds <= 0:
            return
        self._remaining = seconds
        self.unlock.setEnabled(False)
        self._show_countdown()
        self._ticker.setInterval(self.TICK_MS)
        self._ticker.start()
        self.wait_started.emit(seconds)

    def _remembered_result(
        self, vault: Vault | None, warnings: list[str], notices: list[str]
    ) -> None:
        self._set_working(False)
        if vault is not None:
            self._session.open(vault)
            self._warn(warnings, notices)
        else:
            self.passphrase.setFocus()

    def _remembered_failed(self, error: BaseException) -> None:
        self._set_working(False)
        if _is_wrong_passphrase(error):
            # Not a guess: the passphrase was changed elsewhere. Ask for it, with no wait.
            self._show_error(
                _("The passphrase remembered on this device no longer opens the vault; type it.")
            )
        else:
            self._show_error(user_message(error))
        self.passphrase.setFocus()

    def _tick(self) -> None:
        self._remaining = max(0, self._remaining - 1)
        if self._remaining == 0:
            self._ticker.stop()
            self.countdown.hide()
            self.unlock.setEnabled(not self._working)
            return
        self._show_countdown()

    def _show_countdown(self) -> None:
        n = self._remaining
        self.countdown.setText(
            ngettext(
                "You can try again in {n} second.", "You can try again in {n} seconds.", n
            ).format(n=n)
        )
        self.countdown.show()

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def _set_working(self, working: bool, what: str = "") -> None:
        self._working = working
        self.passphrase.setReadOnly(working)
        self.unlock.setEnabled(not working and self._ready and self._remaining == 0)
        if working:
            self.error.hide()
            self.busy.start(what)
        else:
            self.busy.stop()
