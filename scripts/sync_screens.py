"""The sync status area for the screenshots (used by render_screens.py).

The app runs its real scheduler, panel and status bar; only what it sends through is a stand-in
(no headquarters listens in a screenshot): an outbox with a bundle of each state, an attachments
bundle caught at 42 % on its way, and, for the error screen, a network that does not answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QObject, Signal

from fieldkit.gui.sync_scheduler import SyncScheduler
from fieldkit.i18n import _
from fieldkit.services.sync import ItemState, OutboxItem, SyncReport
from fieldkit.sync.errors import not_reachable

ADDRESS = "https://hq.mission.example"


def _today(hour: int, minute: int) -> str:
    now = datetime.now(UTC)
    return now.replace(hour=hour, minute=minute, second=0, microsecond=0).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def _item(
    sequence: int,
    kind: str,
    count: int,
    size: int,
    state: ItemState,
    made: str,
    *,
    sent: int | None = None,
    reason: str | None = None,
    delivered: str | None = None,
) -> OutboxItem:
    return OutboxItem(
        sequence=sequence,
        kind=kind,
        revisions=count if kind == "records" else 0,
        attachments=count if kind == "attachments" else 0,
        size=size,
        sent=size if sent is None else sent,
        state=state,
        reason=reason,
        created_at=made,
        delivered_at=delivered,
    )


def outbox(sending: bool) -> list[OutboxItem]:
    """Newest first: what a field laptop's outbox holds after a few days on a thin link."""
    photos = 18_400_000
    return [
        _item(15, "attachments", 1, 9_700_000, ItemState.WAITING, _today(10, 55), sent=0),
        _item(
            14,
            "attachments",
            3,
            photos,
            ItemState.SENDING if sending else ItemState.WAITING,
            _today(10, 55),
            sent=photos * 42 // 100,
        ),
        _item(13, "records", 12, 184_000, ItemState.AT_HQ, _today(10, 55)),
        _item(
            12,
            "records",
            2,
            21_000,
            ItemState.REFUSED,
            _today(9, 30),
            reason=_(
                "it was written for another headquarters; what it held goes into a new bundle"
            ),
        ),
        _item(
            11, "records", 7, 96_000, ItemState.DELIVERED, _today(8, 5), delivered=_today(10, 42)
        ),
    ]


class Online(QObject):
    changed = Signal()

    def reachable(self) -> bool:
        return True

    def metered(self) -> bool:
        return False


class Stand_in:  # noqa: N801 - reads as what it is
    """``sync_once`` for the screenshots: either it stops part-way through the attachments
    (until ``release``), or the network does not answer."""

    def __init__(self, failing: bool) -> None:
        self.failing = failing
        self.sending = threading.Event()
        self.released = threading.Event()

    def __call__(
        self,
        vault: Any,
        *,
        progress: Callable[[OutboxItem], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> SyncReport:
        if self.failing:
            raise not_reachable(ADDRESS, "no answer within 60 seconds")
        for item in outbox(sending=True):
            if progress is not None:
                progress(item)
        self.sending.set()
        self.released.wait(30)
        return SyncReport(delivered=0, waiting=3, refused=0, forms_installed=(), erased=False)

    def status(self, vault: Any) -> list[OutboxItem]:
        return outbox(sending=False)


def scheduler(stand_in: Stand_in) -> Callable[[Any, Any], SyncScheduler]:
    def make(session: Any, runner: Any) -> SyncScheduler:
        return SyncScheduler(
            session, runner, sync=stand_in, status=stand_in.status, network=Online()
        )

    return make


_STAND_INS: dict[int, Stand_in] = {}
"""The stand-in of each window showing a send in progress, to let it end."""

Unlocked = Callable[[Callable[[Any, Any], SyncScheduler]], Any]
"""Unlock the screenshots' vault in a new window whose scheduler this makes; the shell."""


def _wait_until(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = QDeadlineTimer(int(seconds * 1000))
    while not condition():
        if deadline.hasExpired():
            raise TimeoutError("the sync screen did not settle")
        QCoreApplication.processEvents()


def _open_panel(shell: Any) -> Any:
    area = shell.window.sync_area
    if area is None:
        raise RuntimeError("the sync status area is not there")
    area.show_panel()
    return area


def sending(unlocked: Unlocked) -> Any:
    """The window with the status area open while an attachments bundle is on its way."""
    stand_in = Stand_in(failing=False)
    shell = unlocked(scheduler(stand_in))
    area = _open_panel(shell)
    _wait_until(stand_in.sending.is_set)
    _wait_until(lambda: shell.window.sync.current is not None)
    area.dock.panel.table.clearFocus()
    _STAND_INS[id(shell)] = stand_in
    return shell


def finish(shell: Any) -> None:
    """Let the stand-in's attempt end (before the window closes)."""
    shell.window.sync.stop()
    _STAND_INS.pop(id(shell), Stand_in(False)).released.set()


def failed_try(unlocked: Unlocked) -> Any:
    """The window with the status area open after a try that found no network."""
    shell = unlocked(scheduler(Stand_in(failing=True)))
    area = _open_panel(shell)
    scheduler_ = shell.window.sync
    _wait_until(lambda: scheduler_.last_error is not None and bool(scheduler_.items))
    area.dock.panel.table.clearFocus()
    return shell
