"""A device HQ declared lost: its next sync erases the vault on HQ's verified order; an order
that does not verify erases nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fieldkit.bundle.erase_order import make_erase_order
from fieldkit.crypto.identity import SigningKey
from fieldkit.errors import ConflictError
from fieldkit.hq.lost import declare_lost
from fieldkit.services import erasure, sync
from fieldkit.services.vaults import device_identity
from fieldkit.sync.client import HqClient
from fieldkit.sync.errors import DeviceLostError
from fieldkit.vault.keyfile import key_path
from tests.hq.support import Hq
from tests.hq.sync_server import Server, server, shared_hq
from tests.services.bundle_support import sealed_records
from tests.services.sync_support import enrol, key_id

__all__ = ["server", "shared_hq"]


def test_a_lost_device_erases_its_vault_at_its_next_sync(
    vault: Any, shared_hq: Hq, server: Server, tmp_path: Path
) -> None:
    enrol(vault, shared_hq, server, tmp_path / "enrol")
    sealed_records(vault, 1)
    assert sync.sync_once(vault).delivered == 1
    declare_lost(shared_hq.repository, key_id(vault), 1, "2026-12-07T09:00:00Z")
    sealed_records(vault, 1)
    folder = vault.folder
    assert key_path(folder).exists()
    with pytest.raises(sync.VaultErasedError, match="reported this device lost") as raised:
        sync.sync_once(vault)
    assert "Test HQ" in str(raised.value)
    assert not vault.is_open
    assert not key_path(folder).exists()
    notice = erasure.erased_notice(folder)
    assert notice is not None and notice.issued == "2026-12-07T09:00:00Z"


class _ForgedOrder(HqClient):
    """A server that answers as HQ would for a lost device, with an order HQ did not sign."""

    device = ""

    def ping(self) -> None:
        order = make_erase_order(SigningKey.generate(), self.device, "2026-12-07T09:00:00Z")
        raise DeviceLostError(order)


def test_an_erase_order_that_does_not_verify_erases_nothing(
    vault: Any, shared_hq: Hq, server: Server, tmp_path: Path
) -> None:
    enrol(vault, shared_hq, server, tmp_path / "enrol")
    _ForgedOrder.device = device_identity(vault).key_id
    with pytest.raises(ConflictError, match="nothing was erased"):
        sync.sync_once(vault, client_factory=_ForgedOrder)
    assert vault.is_open and key_path(vault.folder).exists()
    assert erasure.erased_notice(vault.folder) is None
