"""The app's background sync on the real path: ``services.sync.sync_once`` against a real
``fieldkit-hq serve`` over pinned TLS. A sealed record goes out at unlock and shows as delivered
in the status area once headquarters' signed receipt is imported; a record sealed later goes out
on its own; the record list then shows them acknowledged. A device headquarters declared lost
erases its vault at its next sync, and the app goes back to its first page saying why."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from fieldkit.gui.sync_model import STATE
from fieldkit.gui.sync_scheduler import SyncScheduler
from fieldkit.gui.unlock import UnlockPage
from fieldkit.hq.lost import declare_lost
from fieldkit.hq.repository import sqlite_url
from fieldkit.services import erasure, records, vaults
from fieldkit.services.sync import ItemState
from fieldkit.vault.keyfile import key_path
from fieldkit.vault.repo import RecordFilter
from fieldkit.vault.store import Vault
from tests.conftest import PASSPHRASE
from tests.gui.conftest import WAIT_MS, Shell, ShellFactory, unlock
from tests.gui.sync_support import FakeNetwork, QuickBackoff
from tests.hq.support import Hq
from tests.hq.sync_server import Server, server, shared_hq
from tests.services.bundle_support import sealed_records
from tests.services.sync_support import enrol, held_at_hq, key_id, revision_hashes

__all__ = ["server", "shared_hq"]

SYNC_WAIT_MS = 60_000


def _states(shell: Shell) -> list[str]:
    area = shell.window.sync_area
    assert area is not None
    model = area.dock.panel.model
    return [
        str(model.index(row, STATE).data(Qt.ItemDataRole.DisplayRole))
        for row in range(model.rowCount())
    ]


def _reachable(session: Any, runner: Any) -> SyncScheduler:
    """The app's real scheduler and sync path, on a network the system says is up."""
    return SyncScheduler(session, runner, network=FakeNetwork(reachable=True))


@contextmanager
def _opened(folder: Path) -> Iterator[Vault]:
    """The vault, opened through the services to prepare it before the app starts."""
    vault = vaults.unlock_vault(folder, PASSPHRASE)
    try:
        yield vault
    finally:
        vault.close()


def test_a_sealed_record_is_sent_and_shows_as_delivered(
    qtbot: Any,
    make_shell: ShellFactory,
    vault_folder: Path,
    shared_hq: Hq,
    server: Server,
    tmp_path: Path,
) -> None:
    with _opened(vault_folder) as vault:
        enrol(vault, shared_hq, server, tmp_path / "enrol")
        sealed_records(vault, 2, tmp_path)  # the first with a photo: records, then attachments
    shell = make_shell(vault_folder, sync=_reachable)
    unlock(qtbot, shell)
    scheduler = shell.window.sync
    qtbot.waitUntil(
        lambda: not scheduler.running and len(scheduler.items) == 2, timeout=SYNC_WAIT_MS
    )
    assert scheduler.last_error is None, scheduler.last_error
    assert _states(shell) == ["Delivered", "Delivered"]
    assert [item.kind for item in scheduler.items] == ["attachments", "records"]
    area = shell.window.sync_area
    assert area is not None
    assert area.status.text().startswith("Nothing waiting to be sent · last sent ")
    opened = shell.session.vault
    assert held_at_hq(shared_hq, opened) == revision_hashes(opened)
    workspace = shell.window.workspace
    assert workspace is not None
    model = workspace.records.model
    qtbot.waitUntil(
        lambda: (
            not model.loading
            and {model.item(r).status for r in range(model.rowCount())} == {"acknowledged"}
        ),  # type: ignore[union-attr]
        timeout=WAIT_MS,
    )

    # A record sealed while the app is open goes out on its own.
    sealed_records(opened, 1)
    with qtbot.waitSignal(scheduler.delivered, timeout=SYNC_WAIT_MS):
        workspace.sealed.emit()
    qtbot.waitUntil(lambda: not scheduler.running, timeout=SYNC_WAIT_MS)
    assert len(scheduler.items) == 3
    assert scheduler.items[0].state == ItemState.DELIVERED
    assert _states(shell) == ["Delivered"] * 3
    assert records.count(opened, RecordFilter(status="acknowledged")) == 3


def test_a_lost_device_is_erased_and_the_app_goes_back_to_the_start(
    qtbot: Any,
    make_shell: ShellFactory,
    vault_folder: Path,
    shared_hq: Hq,
    server: Server,
    tmp_path: Path,
) -> None:
    with _opened(vault_folder) as vault:
        enrol(vault, shared_hq, server, tmp_path / "enrol")
        sealed_records(vault, 1)
        declare_lost(shared_hq.repository, key_id(vault), 1, "2026-12-07T09:00:00Z")
    shell = make_shell(vault_folder, sync=_reachable)
    shell.session.open(vaults.unlock_vault(vault_folder, PASSPHRASE))
    qtbot.waitUntil(lambda: shell.window.erased_notice is not None, timeout=SYNC_WAIT_MS)
    box = shell.window.erased_notice
    assert box is not None and "reported this device lost" in box.text()
    assert "Test HQ" in box.text()
    assert not shell.session.is_open and shell.window.workspace is None
    assert isinstance(shell.window.page, UnlockPage)
    assert not key_path(vault_folder).exists()
    assert erasure.erased_notice(vault_folder) is not None
    area = shell.window.sync_area
    assert area is not None and not area.status.isVisible()


def test_while_headquarters_is_down_the_app_says_why_and_delivers_once_it_is_back(
    qtbot: Any,
    make_shell: ShellFactory,
    vault_folder: Path,
    shared_hq: Hq,
    tmp_path: Path,
) -> None:
    down = Server(shared_hq, sqlite_url(shared_hq.paths.database), tmp_path / "server.log")
    with _opened(vault_folder) as vault:
        enrol(vault, shared_hq, down, tmp_path / "enrol")  # its address; nothing listens yet
        sealed_records(vault, 1)

    def real(session: Any, runner: Any) -> SyncScheduler:
        return SyncScheduler(
            session, runner, network=FakeNetwork(reachable=True), backoff=QuickBackoff
        )

    shell = make_shell(vault_folder, sync=real)
    unlock(qtbot, shell)
    scheduler = shell.window.sync
    qtbot.waitUntil(lambda: scheduler.last_error is not None, timeout=SYNC_WAIT_MS)
    assert "cannot be reached" in scheduler.last_error  # type: ignore[operator]
    assert scheduler.next_retry is not None
    area = shell.window.sync_area
    assert area is not None
    assert area.dock.panel.error.text().startswith("Not sent: Headquarters at ")
    assert "Next try at " in area.dock.panel.error.text()
    assert _states(shell) == ["Waiting"]  # written to the outbox, not sent
    try:
        down.start()
        qtbot.waitUntil(
            lambda: not scheduler.running and _states(shell) == ["Delivered"],
            timeout=SYNC_WAIT_MS,
        )
    finally:
        down.stop()
    assert scheduler.last_error is None and scheduler.next_retry is None
    assert QuickBackoff.made[-1].tries == 0  # the success reset the back-off


def test_enrolling_while_the_app_is_open_starts_sending(
    qtbot: Any,
    make_shell: ShellFactory,
    vault_folder: Path,
    shared_hq: Hq,
    server: Server,
    tmp_path: Path,
) -> None:
    shell = make_shell(vault_folder, sync=_reachable)
    unlock(qtbot, shell)
    scheduler = shell.window.sync
    qtbot.waitUntil(lambda: scheduler.not_set_up is not None, timeout=SYNC_WAIT_MS)
    assert scheduler.last_error is None and scheduler.items == []
    opened = shell.session.vault
    sealed_records(opened, 1)
    enrol(opened, shared_hq, server, tmp_path / "enrol")  # what the enrol dialog does
    bundles = shell.window.bundles
    assert bundles is not None
    with qtbot.waitSignal(scheduler.delivered, timeout=SYNC_WAIT_MS):
        bundles.enrolled.emit()
    qtbot.waitUntil(lambda: not scheduler.running, timeout=SYNC_WAIT_MS)
    assert scheduler.not_set_up is None and _states(shell) == ["Delivered"]
