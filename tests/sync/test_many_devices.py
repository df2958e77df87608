"""Fifty devices send at once to one ``fieldkit-hq serve`` with two workers, on SQLite and on
PostgreSQL: each gets its verified receipt, and HQ holds every revision and bundle once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.hq.conftest import postgres_url
from tests.hq.sync_server import Server, make_hq
from tests.sync.harness import Bundle, FieldDevice, add_bundle, check_exactly_once, enrol, run_all
from tests.sync.harness import client_deliver as make_deliver

__all__ = ["postgres_url"]

DEVICES = 50


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_fifty_devices_sending_at_once_each_get_their_verified_receipt(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    db_url = request.getfixturevalue("postgres_url") if backend == "postgres" else None
    hq, url = make_hq(tmp_path, db_url)
    devices = enrol(hq, DEVICES)
    for field_device in devices:
        add_bundle(hq, field_device, revisions=3, attachment_size=40_000)
    server = Server(hq, url, tmp_path / "server.log", "--workers", "2").start()
    try:
        # All fifty begin their first try at the same moment.
        ready = threading.Barrier(DEVICES)
        deliver = make_deliver(hq, server.base_url, chunk_size=16 * 1024)

        def together(field_device: FieldDevice, bundle: Bundle) -> bytes | None:
            if field_device.tries == 1:
                ready.wait(60)
            return deliver(field_device, bundle)

        run_all(hq, devices, together, deadline=240)
    finally:
        server.stop()
    try:
        assert all(len(d.receipts) == 1 for d in devices)
        check_exactly_once(hq, devices)
    finally:
        hq.repository.close()
