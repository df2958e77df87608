"""The one task runner: blocking work (key derivation, big queries, writes) off the main thread.

A task is a plain callable run on a ``QThreadPool`` worker. Its result or its exception comes back
to the main thread by a queued signal, and only there are the callbacks called: no widget is ever
touched from a worker. ``cancel_all`` (used when the vault locks) drops queued tasks and makes
every result still in flight be ignored, so a late page of records never reaches a cleared view.

A task started with ``run_with_progress`` gets a progress callback to call from its worker. The
callback passes ``(done, total)`` on to the main thread by the same queued signals, at most every
``PROGRESS_INTERVAL_S`` seconds and always for the last step, so that a fast loop cannot flood the
event queue.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from fieldkit.gui.errors import log_failure

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]
Progress = Callable[[int, int], None]
"""``(done, total)``: called from the worker by the task, and on the main thread for the owner."""

PROGRESS_INTERVAL_S = 0.05


class _Relay(QObject):
    """Lives on the main thread; workers emit its signals, Qt queues them to the main thread."""

    finished = Signal(int, object)
    failed = Signal(int, object)
    progressed = Signal(int, object, object)
    """(task id, done, total); objects, because byte counts outgrow a C++ int."""


class _Throttle:
    """The progress callback a task calls on its worker: at most one signal per interval."""

    def __init__(self, task_id: int, relay: _Relay, interval: float) -> None:
        self._task_id = task_id
        self._relay = relay
        self._interval = interval
        self._last: float | None = None

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        final = done >= total
        if not final and self._last is not None and now - self._last < self._interval:
            return
        self._last = now
        self._relay.progressed.emit(self._task_id, done, total)


class _Job(QRunnable):
    def __init__(self, task_id: int, work: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._task_id = task_id
        self._work: Callable[[], Any] | None = work
        self._relay = relay
        self.setAutoDelete(True)

    def run(self) -> None:
        work, self._work = self._work, None  # drop the closure (it may hold a passphrase) early
        if work is None:
            return
        try:
            result = work()
        except BaseException as exc:  # every failure goes back to the main thread
            self._relay.failed.emit(self._task_id, exc)
        else:
            self._relay.finished.emit(self._task_id, result)


@dataclass
class _Pending:
    name: str
    on_done: Done | None
    on_error: Failed | None
    owner: QObject | None
    discard: Done | None
    on_progress: Progress | None = None

    def deliverable(self) -> bool:
        """False once the widget the callbacks belong to is deleted."""
        return self.owner is None or shiboken6.isValid(self.owner)


class TaskRunner(QObject):
    """Run callables on a thread pool; call ``on_done``/``on_error`` on the main thread."""

    busy_changed = Signal(bool)
    failed = Signal(str, object)
    """(task name, exception) for failures that have no ``on_error`` of their own."""

    def __init__(self, pool: QThreadPool | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = pool or QThreadPool(self)
        if pool is None:
            self._pool.setMaxThreadCount(
                max(2, min(4, QThreadPool.globalInstance().maxThreadCount()))
            )
        self._relay = _Relay(self)
        self._relay.finished.connect(self._on_finished)
        self._relay.failed.connect(self._on_failed)
        self._relay.progressed.connect(self._on_progress)
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._orphans: dict[int, Done] = {}

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def run(
        self,
        name: str,
        work: Callable[[], Any],
        on_done: Done | None = None,
        on_error: Failed | None = None,
        owner: QObject | None = None,
        discard: Done | None = None,
    ) -> int:
        """Start ``work`` in the background. ``name`` says what it is (for the log: never content).

        The callbacks are dropped if ``owner`` (the widget they update) is deleted meanwhile, or
        if the task is cancelled; a result that nobody takes is passed to ``discard`` (an opened
        vault that nobody takes is closed there).
        """
        task_id = next(self._ids)
        self._start(task_id, work, _Pending(name, on_done, on_error, owner, discard))
        return task_id

    def run_with_progress(
        self,
        name: str,
        work: Callable[[Progress], Any],
        on_progress: Progress,
        on_done: Done | None = None,
        on_error: Failed | None = None,
        owner: QObject | None = None,
    ) -> int:
        """Like ``run``; ``work`` is given a progress callback, ``on_progress`` hears it."""
        task_id = next(self._ids)
        report = _Throttle(task_id, self._relay, PROGRESS_INTERVAL_S)
        pending = _Pending(name, on_done, on_error, owner, None, on_progress)
        self._start(task_id, lambda: work(report), pending)
        return task_id

    def _start(self, task_id: int, work: Callable[[], Any], pending: _Pending) -> None:
        was_busy = self.busy
        self._pending[task_id] = pending
        self._pool.start(_Job(task_id, work, self._relay))
        if not was_busy:
            self.busy_changed.emit(True)

    def cancel_all(self) -> None:
        """Forget every task: queued ones never start, running ones report to nobody."""
        self._pool.clear()
        had = self.busy
        for task_id, pending in self._pending.items():
            if pending.discard is not None:
                self._orphans[task_id] = pending.discard
        self._pending.clear()
        if had:
            self.busy_changed.emit(False)

    def wait(self, msecs: int = 5000) -> bool:
        """Block until the running tasks end (used on lock, before the vault is closed)."""
        return bool(self._pool.waitForDone(msecs))

    def _take(self, task_id: int) -> _Pending | None:
        pending = self._pending.pop(task_id, None)
        if pending is not None and not self._pending:
            self.busy_changed.emit(False)
        return pending

    @Slot(int, object, object)
    def _on_progress(self, task_id: int, done: int, total: int) -> None:
        pending = self._pending.get(task_id)
        if pending is None or pending.on_progress is None or not pending.deliverable():
            return
        pending.on_progress(int(done), int(total))

    @Slot(int, object)
    def _on_finished(self, task_id: int, result: Any) -> None:
        pending = self._take(task_id)
        if pending is None:
            discard = self._orphans.pop(task_id, None)
        elif not pending.deliverable():
            discard = pending.discard
        else:
            if pending.on_done is not None:
                pending.on_done(result)
            return
        if discard is not None:
            discard(result)

    @Slot(int, object)
    def _on_failed(self, task_id: int, error: BaseException) -> None:
        pending = self._take(task_id)
        self._orphans.pop(task_id, None)
        if pending is None:
            log.info("task %d failed after it was cancelled: %s", task_id, type(error).__name__)
            return
        log_failure(pending.name, error)
        if not pending.deliverable():
            return
        if pending.on_error is not None:
            pending.on_error(error)
        else:
            self.failed.emit(pending.name, error)
