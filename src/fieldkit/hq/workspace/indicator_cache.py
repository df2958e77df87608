"""Computed indicators kept between requests of the workspace, never served stale.

What is kept is an indicator's :class:`~fieldkit.hq.indicators.model.Counts` (language-free,
the same for every tier): each request lays them out again in its own tier with its own
disclosure control and labels (:func:`fieldkit.hq.indicators.service.laid_out`), so a viewer
never gets an internal figure and a page in French never shows an English note.

The key is the checked request (indicator, period, filters, breakdown, as-of day, km, days)
and a :class:`Fingerprint` of the repository, read before the counts. The indicators read
``an_records``, ``an_victims`` (with ``person_id``), ``an_acts``, ``an_perpetrators``,
``an_markets``, ``an_actors`` and ``review_status``. Their writers, and what each changes in the
fingerprint:

- ingest of a bundle (new records, amended records: :func:`fieldkit.hq.analysis.store.
  write_facts` in the bundle's transaction) stores a revision: ``max(revisions.seq)`` grows;
- a review (``review_status``) and a victim link or unlink decision (``an_victims.person_id``
  through :func:`fieldkit.hq.victims.links.apply_person_ids`) append to the audit log in the
  same transaction: ``max(audit_log.id)`` grows;
- a place settlement (``fieldkit-hq places settle``) writes ``place_settlements`` (no audit
  entry) and the settled records' ``an_records.admin1``: its row count or ``max(settled_at)``
  changes;
- ``fieldkit-hq analysis rebuild`` writes the analysis rows again from the stored revisions (a
  new mapping after an update of fieldkit, revisions stored before the analysis tables) and
  applies the victim links again, touching none of the above: it adds a row to
  ``an_rebuilds`` when it ends, and ``max(an_rebuilds.id)`` grows. (Its batches are committed
  as they go: a view during a rebuild may keep a half-rebuilt result until the rebuild ends.)

Each part is a maximum over a primary key (or a count over a small table kept by hand), read
from the index alone. The cache is bounded (least recently used first out) and thread-safe;
two identical requests at once compute once, the second waiting for the first.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass

import sqlalchemy as sa

from fieldkit.hq.analysis import tables as a
from fieldkit.hq.analysis.session import transaction
from fieldkit.hq.indicators.model import Counts, Request
from fieldkit.hq.repository import tables as t
from fieldkit.hq.repository.base import Repository
from fieldkit.hq.repository.tables_review import audit_log

SIZE = 256
"""Computed indicators kept at most."""


@dataclass(frozen=True)
class Fingerprint:
    """What changes whenever anything an indicator reads changes (see the module docstring)."""

    revision: int
    audit: int
    settlements: int
    settled_at: str
    rebuild: int


def fingerprint(repository: Repository) -> Fingerprint:
    """The repository's fingerprint, in one cheap query."""
    query = sa.select(
        sa.select(sa.func.max(t.revisions.c.seq)).scalar_subquery(),
        sa.select(sa.func.max(audit_log.c.id)).scalar_subquery(),
        sa.select(sa.func.count()).select_from(a.place_settlements).scalar_subquery(),
        sa.select(sa.func.max(a.place_settlements.c.settled_at)).scalar_subquery(),
        sa.select(sa.func.max(a.an_rebuilds.c.id)).scalar_subquery(),
    )
    with transaction(repository) as conn:
        revision, audit, settlements, settled_at, rebuild = conn.execute(query).one()
    return Fingerprint(
        int(revision or 0),
        int(audit or 0),
        int(settlements),
        str(settled_at or ""),
        int(rebuild or 0),
    )


@dataclass(frozen=True)
class Key:
    indicator: str
    request: Request
    fingerprint: Fingerprint


class CountsCache:
    """Least recently used :class:`Counts` by :class:`Key`, at most ``size`` of them."""

    def __init__(self, size: int = SIZE) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._held: OrderedDict[Hashable, Counts] = OrderedDict()
        self._running: dict[Hashable, Future[Counts]] = {}

    def get(self, key: Key, compute: Callable[[], Counts]) -> Counts:
        """The counts kept under ``key``, or ``compute()`` (once, however many ask at once)."""
        with self._lock:
            held = self._held.get(key)
            if held is not None:
                self._held.move_to_end(key)
                return held
            running = self._running.get(key)
            if running is None:
                mine: Future[Counts] = Future()
                self._running[key] = mine
        if running is not None:
            return running.result()
        try:
            counts = compute()
        except BaseException as error:
            with self._lock:
                del self._running[key]
            mine.set_exception(error)
            raise
        with self._lock:
            del self._running[key]
            self._held[key] = counts
            self._held.move_to_end(key)
            while len(self._held) > self._size:
                self._held.popitem(last=False)
        mine.set_result(counts)
        return counts

    def clear(self) -> None:
        with self._lock:
            self._held.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._held)


_CACHES: weakref.WeakKeyDictionary[Repository, CountsCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def cache_of(repository: Repository) -> CountsCache:
    """The cache of ``repository``'s indicators (the web server opens one repository and runs
    one process; each repository has its own, gone with it)."""
    with _CACHES_LOCK:
        found = _CACHES.get(repository)
        if found is None:
            found = _CACHES[repository] = CountsCache()
        return found


def counts(
    repository: Repository, indicator: str, request: Request, compute: Callable[[], Counts]
) -> Counts:
    """``indicator``'s counts for ``request`` in the repository's present state: kept ones, or
    ``compute()``."""
    key = Key(indicator, request, fingerprint(repository))
    return cache_of(repository).get(key, compute)
