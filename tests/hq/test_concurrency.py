"""Concurrent ingests: of one device they take turns, and exactly one bundle wins a sequence.

Each test holds the lock that store_bundle takes (SQLite's write lock; the device's row on
PostgreSQL) from a connection of its own, starts two ingests, waits until both are blocked, and
lets go: without the lock, both would check the chain before either stored anything.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from fieldkit.hq.repository import (
    AlarmKind,
    AlreadyStoredError,
    BundleBatch,
    BundleRefusedError,
    Repository,
    SqlRepository,
    StoreOutcome,
    open_repository,
    sqlite_url,
)
from tests.hq import factory
from tests.hq.conftest import SQL_BACKENDS, postgres_base_url

# The ingests are counted by their connections' name across the whole PostgreSQL server: a name
# of this run's own, so that another test run on the same server is not counted.
APPLICATION = f"fieldkit-concurrency-test-{secrets.token_hex(6)}"
REGISTERED = "2026-03-02T08:00:00Z"


@pytest.fixture(params=SQL_BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Repository]]:
    if request.param == "sqlite":
        url = sqlite_url(tmp_path / "hq.sqlite3")
    else:
        address = sa.make_url(request.getfixturevalue("postgres_url"))
        url = address.update_query_dict({"application_name": APPLICATION}).render_as_string(
            hide_password=False
        )
    repository = open_repository(url)
    yield request.param, repository
    repository.close()


@contextmanager
def held(kind: str, repository: Repository, key_id: str) -> Iterator[Callable[[int], None]]:
    """Hold store_bundle's lock; yield a function that waits until ``n`` ingests wait for it."""
    assert isinstance(repository, SqlRepository)
    if kind == "sqlite":
        database = repository.engine.url.database
        assert database is not None
        blocker = sqlite3.connect(database, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            yield lambda n: time.sleep(0.5)  # nothing to watch: give the threads time to block
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        return
    with repository.engine.connect() as blocker:
        blocker.execute(
            sa.text("SELECT key_id FROM devices WHERE key_id = :k FOR UPDATE"), {"k": key_id}
        )

        def wait_for(n: int) -> None:
            query = sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
                "AND wait_event_type = 'Lock'"
            )
            with sa.create_engine(postgres_base_url()).connect() as watcher:
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    if watcher.execute(query, {"name": APPLICATION}).scalar() == n:
                        return
                    time.sleep(0.05)
            pytest.fail(f"the ingests did not wait for the device's lock ({n} expected)")

        yield wait_for
        blocker.rollback()


def race(
    kind: str, repository: Repository, key_id: str, batches: Sequence[BundleBatch]
) -> list[StoreOutcome | BaseException]:
    results: list[StoreOutcome | BaseException] = []

    def ingest(made: BundleBatch) -> None:
        try:
            results.append(repository.store_bundle(made))
        except BaseException as error:
            results.append(error)

    threads = [threading.Thread(target=ingest, args=(made,)) for made in batches]
    with held(kind, repository, key_id) as wait_for:
        for thread in threads:
            thread.start()
        wait_for(len(threads))
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_two_bundles_at_one_sequence(backend: tuple[str, Repository]) -> None:
    kind, repository = backend
    identity = factory.identity()
    repository.add_device(identity, REGISTERED)
    chain = factory.DeviceChain(identity.key_id)
    one = factory.batch(identity.key_id, 1, chain.records(2000))
    other = factory.batch(identity.key_id, 1, chain.records(1500))
    results = race(kind, repository, identity.key_id, [one, other])
    won = [r for r in results if isinstance(r, StoreOutcome)]
    lost = [r for r in results if not isinstance(r, StoreOutcome)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], BundleRefusedError) and lost[0].kind is AlarmKind.FORK
    winner = one if len(won[0].accepted) == 2000 else other
    assert lost[0].other == winner.manifest_sha256
    assert repository.manifest_at(identity.key_id, 1) == winner.manifest_sha256
    count = len(winner.candidates)
    assert repository.counts() == {
        "devices": 1,
        "bundles": 1,
        "bundle_revisions": count,
        "forms": 1,
        "sealed_batches": len(factory.sealed_of(winner)),
        "revisions": count,
        "identifying": count,
        "attachments": 0,
        "alarms": 0,
        "receipts": 0,
    }


def test_one_bundle_ingested_twice_at_once(backend: tuple[str, Repository]) -> None:
    kind, repository = backend
    identity = factory.identity()
    repository.add_device(identity, REGISTERED)
    made = factory.batch(identity.key_id, 1, factory.DeviceChain(identity.key_id).records(1000))
    results = race(kind, repository, identity.key_id, [made, made])
    assert sorted(type(r).__name__ for r in results) == ["AlreadyStoredError", "StoreOutcome"]
    assert any(isinstance(r, AlreadyStoredError) for r in results)
    assert repository.counts()["revisions"] == 1000
    assert repository.counts()["bundle_revisions"] == 1000


def test_two_devices_bringing_the_same_new_form(backend: tuple[str, Repository]) -> None:
    """Ingests of different devices do not wait for each other, and both insert the form."""
    _kind, repository = backend
    first, second = factory.identity(), factory.identity()
    for identity in (first, second):
        repository.add_device(identity, REGISTERED)
    batches = [
        factory.batch(i.key_id, 1, factory.DeviceChain(i.key_id).records(1000))
        for i in (first, second)
    ]
    barrier = threading.Barrier(2)
    results: list[StoreOutcome | BaseException] = []

    def ingest(made: BundleBatch) -> None:
        barrier.wait()
        try:
            results.append(repository.store_bundle(made))
        except BaseException as error:
            results.append(error)

    threads = [threading.Thread(target=ingest, args=(made,)) for made in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(isinstance(r, StoreOutcome) for r in results) and len(results) == 2, results
    counts = repository.counts()
    assert (counts["forms"], counts["bundles"], counts["revisions"]) == (1, 2, 2000)
