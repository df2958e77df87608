"""The open vault of this window, if any, and the wrong passphrases typed since the last unlock."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from fieldkit.vault.store import Vault

log = logging.getLogger(__name__)

MAX_DELAY_SECONDS = 60


def retry_delay(failures: int) -> int:
    """Seconds to wait after ``failures`` wrong passphrases in a row: 1, 2, 4, 8 ... at most 60."""
    if failures <= 0:
        return 0
    return int(min(2 ** (failures - 1), MAX_DELAY_SECONDS))


class VaultSession(QObject):
    """Holds the unlocked :class:`Vault` (or nothing). ``close()`` disposes of its engine."""

    opened = Signal()
    closed = Signal()

    def __init__(self, folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self._vault: Vault | None = None
        self.failed_attempts = 0
        """Wrong passphrases since the last unlock; the next unlock writes them to the audit log."""

    @property
    def vault(self) -> Vault:
        if self._vault is None or not self._vault.is_open:
            raise RuntimeError("the vault is locked")
        return self._vault

    @property
    def is_open(self) -> bool:
        return self._vault is not None and self._vault.is_open

    def open(self, vault: Vault) -> None:
        if self._vault is not None:
            self._vault.close()
        self._vault = vault
        self.failed_attempts = 0
        log.info("vault unlocked")
        self.opened.emit()

    def close(self) -> None:
        vault, self._vault = self._vault, None
        if vault is None:
            return
        vault.close()
        log.info("vault locked")
        self.closed.emit()
