"""The unlock screen. Key derivation runs in the task runner; a wrong passphrase earns a clear
message and a growing wait (1, 2, 4 ... 60 s) with the button disabled and a countdown. Wrong
attempts are counted and recorded in the audit log at the next successful unlock.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from fieldkit.gui.busy import BusyIndicator
from fieldkit.gui.errors import user_message
from fieldkit.gui.fields import error_label, passphrase_field
from fieldkit.gui.page import CentredPage, heading, paragraph
from fieldkit.gui.session import VaultSession, retry_delay
from fieldkit.gui.tasks import TaskRunner
from fieldkit.i18n import _, ngettext

if TYPE_CHECKING:
    from fieldkit.vault.store import Vault


def _unlock(folder: Path, passphrase: str, failed_attempts: int) -> Vault:
    from fieldkit.services import vaults

    return vaults.unlock_vault(folder, passphrase, failed_attempts=failed_attempts)


def _unlock_remembered(folder: Path, failed_attempts: int) -> Vault | None:
    from fieldkit.services import passphrases

    remembered = passphrases.recall(folder)
    if remembered is None:
        return None
    return _unlock(folder, remembered, failed_attempts)


def _close(vault: Vault | None) -> None:
    """An unlocked vault that no page took any more (the page went away meanwhile)."""
    if vault is not None:
        vault.close()


def _is_wrong_passphrase(error: BaseException) -> bool:
    from fieldkit.vault.keyfile import WrongPassphraseError

    return isinstance(error, WrongPassphraseError)


class UnlockPage(CentredPage):
    TICK_MS = 1000
    """One second of the countdown (tests shorten it)."""

    wait_started = Signal(int)
    """A wrong passphrase: the seconds to wait before the next attempt."""

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
        self.setFocusProxy(self.passphrase)

    @property
    def waiting_seconds(self) -> int:
        """Seconds left before another attempt is allowed."""
        return self._remaining

    @property
    def working(self) -> bool:
        return self._working

    def try_remembered(self) -> None:
        """Unlock with the passphrase remembered in the keyring, if the user asked for that."""
        folder, failed = self._session.folder, self._session.failed_attempts
        self._set_working(True, _("Looking for a passphrase remembered on this device…"))
        self._runner.run(
            "unlock (remembered)",
            lambda: _unlock_remembered(folder, failed),
            self._remembered_result,
            self._remembered_failed,
            owner=self,
            discard=_close,
        )

    def submit(self) -> None:
        if self._working or self._remaining > 0:
            return
        passphrase = self.passphrase.text()
        if not passphrase:
            self._show_error(_("Type your passphrase."))
            return
        folder, failed = self._session.folder, self._session.failed_attempts
        self._set_working(True, _("Deriving the key from your passphrase…"))
        self._runner.run(
            "unlock",
            lambda: _unlock(folder, passphrase, failed),
            self._unlocked,
            self._failed,
            owner=self,
            discard=_close,
        )

    def _unlocked(self, vault: Vault) -> None:
        self._set_working(False)
        self.passphrase.clear()
        self._session.open(vault)

    def _failed(self, error: BaseException) -> None:
        self._set_working(False)
        self.passphrase.selectAll()
        self.passphrase.setFocus()
        if not _is_wrong_passphrase(error):
            self._show_error(user_message(error))
            return
        self._session.failed_attempts += 1
        self._show_error(user_message(error))
        self._remaining = retry_delay(self._session.failed_attempts)
        self.unlock.setEnabled(False)
        self._show_countdown()
        self._ticker.setInterval(self.TICK_MS)
        self._ticker.start()
        self.wait_started.emit(self._remaining)

    def _remembered_result(self, vault: Vault | None) -> None:
        self._set_working(False)
        if vault is not None:
            self._session.open(vault)
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
        self.unlock.setEnabled(not working and self._remaining == 0)
        if working:
            self.error.hide()
            self.busy.start(what)
        else:
            self.busy.stop()
