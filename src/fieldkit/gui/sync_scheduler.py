"""Background sync: when to send the outbox to headquarters over the network, and what came of it.

The scheduler runs ``services.sync.sync_once`` in the app's one task runner, never on the main
thread, one attempt at a time. An attempt starts on its own (when automatic sending is on) at
unlock, when the network comes back or stops being metered, when a record is sealed and when the
back-off time after a failure is over; and whenever the user asks ("Sync now"), whatever the
settings and the network say. It does not start on its own while the system reports no network,
a captive portal, or (with "not on metered links") a metered link.

A failure that may pass (no network, a timeout, a busy server, a captive portal) is retried after
``services.sync.Backoff``: a minute, then longer, never giving up; a success resets it. A failure
that cannot pass by waiting (the device revoked, a key that is not headquarters', no enrolment)
stops the automatic attempts until the next unlock or "Sync now": retrying would change nothing.
A vault that cannot send at all (not enrolled, or enrolled without an address or TLS pin) is not
an error: the status area says what to do, and nothing is tried on its own until the next unlock
or "Sync now". A lost-device erase (``VaultErasedError``: the vault is already closed and its
key destroyed) is passed on at once by ``erased``, with its message.

Everything the status area shows is here: the outbox items (with the one being sent and its
progress), the last error and the time of the next try, and why nothing is tried now.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from fieldkit.errors import ConflictError
from fieldkit.gui import sync_states as states
from fieldkit.gui.errors import user_message
from fieldkit.gui.session import VaultSession
from fieldkit.gui.sync_network import NetworkSource, QtNetwork
from fieldkit.gui.tasks import Progress, TaskRunner
from fieldkit.i18n import _
from fieldkit.sync.errors import SyncError
from fieldkit.vault.erased import VaultErasedError

if TYPE_CHECKING:  # the services and the vault are imported once a vault opens (see below)
    from fieldkit.services.sync import Backoff, OutboxItem, SyncReport, SyncSettings
    from fieldkit.vault.store import Vault

log = logging.getLogger(__name__)


class SyncFunction(Protocol):
    """``services.sync.sync_once``, or a stand-in with its signature (tests)."""

    def __call__(
        self,
        vault: Vault,
        *,
        progress: Callable[[OutboxItem], None] | None = ...,
        cancel: threading.Event | None = ...,
    ) -> SyncReport: ...


StatusFunction = Callable[["Vault"], list["OutboxItem"]]
Clock = Callable[[], datetime]


def _now() -> datetime:
    return datetime.now(UTC)


def _load(vault: Vault, status: StatusFunction) -> tuple[SyncSettings, list[OutboxItem]]:
    from fieldkit.services import sync as sync_service

    return sync_service.settings(vault), status(vault)


def _sync_once(
    vault: Vault,
    *,
    progress: Callable[[OutboxItem], None] | None = None,
    cancel: threading.Event | None = None,
) -> SyncReport:
    """``services.sync.sync_once``, imported on the worker at the first attempt. What waits is
    written into the outbox first, so that the status area lists it even when headquarters
    cannot be reached (``sync_once`` writes it only once headquarters answers)."""
    from fieldkit.services import sync as sync_service

    sync_service.endpoint(vault)  # a vault that cannot send says so before writing anything
    sync_service.prepare(vault)
    return sync_service.sync_once(vault, progress=progress, cancel=cancel)


def _status(vault: Vault) -> list[OutboxItem]:
    from fieldkit.services import sync as sync_service

    return sync_service.status(vault)


def _backoff() -> Backoff:
    from fieldkit.services.sync import Backoff

    return Backoff()


def retryable(error: BaseException) -> bool:
    """Whether waiting can help: the client's errors say so; a vault that is not enrolled, or
    another state only the user can change, cannot; anything unexpected is tried again."""
    flag = getattr(error, "retryable", None)
    if isinstance(flag, bool):
        return flag
    return not isinstance(error, ConflictError)


class SyncScheduler(QObject):
    changed = Signal()
    """Anything the status area shows changed."""
    erased = Signal(str)
    """Headquarters reported this device lost and the vault was erased (the message)."""
    delivered = Signal()
    """Headquarters' receipt for new records was imported (their status changed)."""
    forms_installed = Signal()
    """New forms from headquarters were installed."""

    def __init__(
        self,
        session: VaultSession,
        runner: TaskRunner,
        *,
        sync: SyncFunction | None = None,
        status: StatusFunction | None = None,
        network: NetworkSource | None = None,
        backoff: Callable[[], Backoff] = _backoff,
        clock: Clock = _now,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._runner = runner
        self._sync: SyncFunction = sync or _sync_once
        self._status: StatusFunction = status or _status
        self.network: NetworkSource = network or QtNetwork(self)
        self._new_backoff = backoff
        self._backoff: Backoff | None = None
        """Made at the first failure after an unlock (making it imports the services)."""
        self._clock = clock
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._retry_due)
        self._cancel = threading.Event()
        self._again = False
        self._blocked = False
        self.settings: SyncSettings | None = None
        self.items: list[OutboxItem] = []
        self.running = False
        self.last_error: str | None = None
        self.not_set_up: str | None = None
        """Why this vault cannot send at all (no enrolment, address or pin), if so."""
        self.next_retry: datetime | None = None
        self.last_report: SyncReport | None = None
        session.opened.connect(self._opened)
        session.closed.connect(self._closed)
        self.network.changed.connect(self._network_changed)

    # -- what the status area reads -----------------------------------------------------------

    @property
    def current(self) -> OutboxItem | None:
        """The item being sent now, if any."""
        return next((i for i in self.items if i.state == states.SENDING), None)

    def count(self, *wanted: str) -> int:
        """How many items are in one of these states (``sync_states``)."""
        return sum(1 for item in self.items if item.state in wanted)

    @property
    def last_sent(self) -> datetime | None:
        """When headquarters' receipt last came in (from the outbox, so it survives a restart)."""
        times = [_parse(item.delivered_at) for item in self.items if item.delivered_at]
        found = [t for t in times if t is not None]
        return max(found) if found else None

    def holding_back(self) -> str | None:
        """Why no attempt starts on its own now, or None when one would."""
        if self.settings is None:
            return None
        if self.not_set_up is not None:
            return self.not_set_up
        if not self.settings.automatic:
            return _("Sending is manual: use “Sync now”.")
        if not self.network.reachable():
            return _("Waiting for a network connection.")
        if self.settings.not_on_metered and self.network.metered():
            return _("Waiting for a network that is not metered.")
        return None

    # -- triggers -----------------------------------------------------------------------------

    def sync_now(self) -> None:
        """The user asked: try now, whatever the settings and the network say."""
        self._blocked = False
        self.not_set_up = None
        self._attempt()

    def enrolled(self) -> None:
        """The vault was just enrolled: it may be able to send now."""
        self._blocked = False
        self.not_set_up = None
        self.changed.emit()
        self._maybe_attempt()

    def poke(self) -> None:
        """Something new waits to be sent (a record was sealed): try if trying is allowed."""
        self._maybe_attempt()

    def apply_settings(self, chosen: SyncSettings) -> None:
        """The settings were saved: follow them (turning sending on tries at once)."""
        self.settings = chosen
        self.changed.emit()
        self._maybe_attempt()

    def _opened(self) -> None:
        self._reset()
        vault, status = self._session.vault, self._status
        self._runner.run(
            "sync status", lambda: _load(vault, status), self._loaded, self._load_failed, owner=self
        )

    def _loaded(self, loaded: tuple[SyncSettings, list[OutboxItem]]) -> None:
        if not self._session.is_open:
            return
        self.settings, self.items = loaded
        self.changed.emit()
        self._maybe_attempt()

    def _load_failed(self, error: BaseException) -> None:
        self.last_error = user_message(error)
        self.changed.emit()

    def _closed(self) -> None:
        """Locked: stop everything; a running attempt is asked to stop and reports to nobody."""
        self._cancel.set()
        self._reset()
        self.changed.emit()

    def _reset(self) -> None:
        self._timer.stop()
        self._cancel = threading.Event()
        self._backoff = None
        self._again = self._blocked = self.running = False
        self.settings, self.items = None, []
        self.last_error = self.not_set_up = self.next_retry = self.last_report = None

    def _network_changed(self) -> None:
        self.changed.emit()
        self._maybe_attempt()

    def _retry_due(self) -> None:
        self.next_retry = None
        self._maybe_attempt()

    def _maybe_attempt(self) -> None:
        if self._blocked or self.holding_back() is not None or self.settings is None:
            return
        self._attempt()

    # -- one attempt --------------------------------------------------------------------------

    def _attempt(self) -> None:
        if not self._session.is_open:
            return
        if self.running:
            self._again = True
            return
        self._timer.stop()
        self.next_retry = None
        self.running = True
        self.changed.emit()
        vault, sync, status, cancel = self._session.vault, self._sync, self._status, self._cancel
        updates: queue.SimpleQueue[OutboxItem] = queue.SimpleQueue()

        def work(report: Progress) -> tuple[SyncReport, list[OutboxItem]]:
            def progress(item: OutboxItem) -> None:
                updates.put(item)
                report(item.sent, max(item.size, 1))

            outcome = sync(vault, progress=progress, cancel=cancel)
            return outcome, status(vault)

        self._runner.run_with_progress(
            "sync",
            work,
            lambda _done, _total: self._progressed(updates),
            self._succeeded,
            self._failed,
            owner=self,
        )

    def _progressed(self, updates: queue.SimpleQueue[OutboxItem]) -> None:
        changed = False
        while not updates.empty():
            self._update(updates.get_nowait())
            changed = True
        if changed:
            self.changed.emit()

    def _update(self, item: OutboxItem) -> None:
        for index, known in enumerate(self.items):
            if known.sequence == item.sequence:
                self.items[index] = item
                return
        self.items.insert(0, item)

    def _succeeded(self, outcome: tuple[SyncReport, list[OutboxItem]]) -> None:
        report, self.items = outcome
        self.last_report = report
        self.not_set_up = None
        self.running = False
        self.last_error = None
        if self._backoff is not None:
            self._backoff.reset()
        if report.delivered:
            self.delivered.emit()
        if report.forms_installed:
            self.forms_installed.emit()
        if report.waiting and not self._again:
            self._schedule()  # a receipt headquarters has not made yet: ask again later
        self._finished()

    def _failed(self, error: BaseException) -> None:
        self.running = False
        if isinstance(error, VaultErasedError):
            log.warning("sync: the vault was erased on headquarters' order")
            self._reset()
            self.changed.emit()
            self.erased.emit(user_message(error))
            return
        if isinstance(error, ConflictError) and not isinstance(error, SyncError):
            self.not_set_up, self.last_error = user_message(error), None
            self._blocked = True
            self._again = False
            self._finished()
            return
        self.last_error = user_message(error)
        if retryable(error):
            self._schedule(getattr(error, "retry_after", None))
        else:
            self._blocked = True
            self._again = False
        self._finished()
        if self._session.is_open:  # show how far the items got
            vault, status = self._session.vault, self._status
            self._runner.run("sync status", lambda: status(vault), self._items_in, owner=self)

    def _items_in(self, items: list[OutboxItem]) -> None:
        if self._session.is_open:
            self.items = items
            self.changed.emit()

    def _finished(self) -> None:
        self.changed.emit()
        if self._again:
            self._again = False
            self._maybe_attempt()

    def _schedule(self, at_least: float | None = None) -> None:
        """The next try after the back-off's delay (or later, when headquarters said so)."""
        if self._backoff is None:
            self._backoff = self._new_backoff()
        seconds = max(1.0, float(self._backoff.next_delay()), float(at_least or 0))
        self.next_retry = self._clock() + timedelta(seconds=seconds)
        self._timer.start(int(seconds * 1000))

    def stop(self) -> None:
        """At exit: no new attempt; a running one is asked to stop."""
        self._cancel.set()
        self._timer.stop()


def _parse(stamp: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
