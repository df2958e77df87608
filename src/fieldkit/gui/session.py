"""The open vault of this window, if any.

Wrong passphrases are counted by ``services.unlocking``, on disk beside the key file, so that the
growing wait after them survives a restart; the session holds no count of its own."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from fieldkit.vault.store import Vault

log = logging.getLogger(__name__)


class VaultSession(QObject):
    """Holds the unlocked :class:`Vault` (or nothing). ``close()`` disposes of its engine."""

    opened = Signal()
    closed = Signal()
    key_replacing = Signal()
    """The database key is about to be replaced: the open vault will be closed and a new one
    opened under the new key (what is typed and not yet saved must be saved now)."""

    def __init__(self, folder: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder = folder
        self._vault: Vault | None = None

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
        log.info("vault unlocked")
        self.opened.emit()

    def close(self) -> None:
        vault, self._vault = self._vault, None
        if vault is None:
            return
        vault.close()
        log.info("vault locked")
        self.closed.emit()
