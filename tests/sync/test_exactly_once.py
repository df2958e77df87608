"""Exactly once through a bad network: devices send their bundles to a real ``fieldkit-hq
serve`` through the fault proxy (connections cut at random bytes both ways, stalled, throttled)
and keep trying as a device does until each receipt verifies; HQ then holds every revision and
every bundle once, with one receipt each, and no upload half-stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.hq.conftest import postgres_url
from tests.hq.support import Hq
from tests.hq.sync_server import Server, make_hq
from tests.sync.fault_proxy import Direction, FaultProxy, Faults
from tests.sync.harness import (
    add_bundle,
    check_exactly_once,
    client_deliver,
    enrol,
    keep_trying,
    run_all,
)

__all__ = ["postgres_url"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def hq_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Hq, Server]]:
    """HQ served by two workers, on SQLite and on PostgreSQL."""
    db_url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    hq, url = make_hq(tmp_path, db_url)
    running = Server(hq, url, tmp_path / "server.log", "--workers", "2").start()
    yield hq, running
    running.stop()
    hq.repository.close()


@pytest.mark.slow
def test_bundles_of_several_devices_arrive_exactly_once_through_cuts_stalls_and_throttling(
    hq_server: tuple[Hq, Server],
) -> None:
    hq, server = hq_server
    devices = enrol(hq, 3)
    for field_device in devices:
        first = add_bundle(hq, field_device, revisions=3, attachment_size=300_000)
        add_bundle(hq, field_device, revisions=2, attachment_size=150_000)
        # Sent again in a later bundle (exported twice): HQ knows it, stores it once.
        add_bundle(hq, field_device, revisions=1, repeat=first.revisions[:1])
    faults = Faults(
        seed=20261207,
        cut=1.0,
        cut_up_within=150_000,
        cut_down_within=2_500,
        stall=0.4,
        stall_within=30_000,
        stall_seconds=0.5,
        rate=4 * 1024 * 1024,
    )
    with FaultProxy(("127.0.0.1", server.port), faults) as proxy:
        run_all(hq, devices, client_deliver(hq, proxy.url, chunk_size=64 * 1024))
    # The network did misbehave, in both directions, or this test proves nothing.
    assert proxy.counters.cuts >= 3
    assert proxy.counters.cut_directions == {Direction.UP, Direction.DOWN}
    assert proxy.counters.stalls >= 1
    check_exactly_once(hq, devices)


def test_a_lost_answer_to_the_last_chunk_does_not_ingest_the_bundle_twice(
    hq_server: tuple[Hq, Server],
) -> None:
    """The upload completes and HQ ingests it, but the answer never reaches the device: it asks
    again, is told the upload is complete, and fetches the one receipt."""
    hq, server = hq_server
    [field_device] = enrol(hq, 1)
    bundle = add_bundle(hq, field_device, revisions=2, attachment_size=100_000)
    size = bundle.path.stat().st_size
    with FaultProxy(("127.0.0.1", server.port)) as proxy:
        proxy.lose_answer_after(size)
        deliver = client_deliver(hq, proxy.url, chunk_size=2 * size)  # one chunk: answer lost
        keep_trying(hq, field_device, deliver, deadline=60)
    assert proxy.counters.cuts == 1
    assert proxy.counters.connections >= 2  # the client asked again on a new connection
    check_exactly_once(hq, [field_device])
