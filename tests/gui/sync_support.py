"""Stand-ins for the background sync's tests: a network whose state the test sets, a sync
function that does what the test says (on the task runner's worker, like the real one), a
back-off with short delays, and outbox items in each state."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal

from fieldkit.gui.sync_scheduler import SyncScheduler
from fieldkit.services.sync import ItemState, OutboxItem, SyncReport


class FakeNetwork(QObject):
    changed = Signal()

    def __init__(self, reachable: bool = True, metered: bool = False) -> None:
        super().__init__()
        self.is_reachable = reachable
        self.is_metered = metered

    def reachable(self) -> bool:
        return self.is_reachable

    def metered(self) -> bool:
        return self.is_metered

    def set(self, *, reachable: bool | None = None, metered: bool | None = None) -> None:
        if reachable is not None:
            self.is_reachable = reachable
        if metered is not None:
            self.is_metered = metered
        self.changed.emit()


class QuickBackoff:
    """``services.sync.Backoff``'s schedule, in hundredths: 0.06 s, 0.12 s, ..."""

    made: list[QuickBackoff] = []  # noqa: RUF012 - a registry the tests read

    def __init__(self) -> None:
        self.tries = 0
        self.resets = 0
        QuickBackoff.made.append(self)

    def next_delay(self) -> float:
        self.tries += 1
        return 0.06 * 2 ** (self.tries - 1)

    def reset(self) -> None:
        self.tries = 0
        self.resets += 1


def item(
    sequence: int,
    state: ItemState,
    *,
    kind: str = "records",
    size: int = 200_000,
    sent: int | None = None,
    reason: str | None = None,
    delivered_at: str | None = None,
) -> OutboxItem:
    done = sent if sent is not None else (size if state != ItemState.WAITING else 0)
    return OutboxItem(
        sequence=sequence,
        kind=kind,
        revisions=3 if kind == "records" else 0,
        attachments=2 if kind == "attachments" else 0,
        size=size,
        sent=done,
        state=state,
        reason=reason,
        created_at="2026-12-07T09:15:00Z",
        delivered_at=delivered_at,
    )


def every_state() -> list[OutboxItem]:
    return [
        item(5, ItemState.WAITING, kind="attachments", size=3_000_000),
        item(4, ItemState.SENDING, sent=84_000),
        item(3, ItemState.AT_HQ),
        item(2, ItemState.REFUSED, reason="the bundle's signature does not verify"),
        item(1, ItemState.DELIVERED, delivered_at="2026-12-07T10:42:00Z"),
    ]


Step = Callable[[Callable[[OutboxItem], None], threading.Event], SyncReport]


@dataclass
class FakeSync:
    """Each call runs the next step (or returns nothing sent); ``items`` is what status says."""

    steps: list[Step] = field(default_factory=list)
    items: list[OutboxItem] = field(default_factory=list)
    calls: int = 0
    vault: Any = None

    def __call__(
        self,
        vault: Any,
        *,
        progress: Callable[[OutboxItem], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> SyncReport:
        self.calls += 1
        self.vault = vault
        step = self.steps.pop(0) if self.steps else None
        if step is None:
            return report()
        return step(progress or (lambda _item: None), cancel or threading.Event())

    def status(self, vault: Any) -> list[OutboxItem]:
        return list(self.items)


def report(delivered: int = 0, waiting: int = 0, refused: int = 0) -> SyncReport:
    return SyncReport(
        delivered=delivered, waiting=waiting, refused=refused, forms_installed=(), erased=False
    )


def fake_scheduler(sync: FakeSync, network: FakeNetwork) -> Callable[..., SyncScheduler]:
    def make(session: Any, runner: Any) -> SyncScheduler:
        return SyncScheduler(
            session, runner, sync=sync, status=sync.status, network=network, backoff=QuickBackoff
        )

    return make
