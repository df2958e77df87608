"""The whole device path through a bad network: a vault with sealed records and photos syncs
(``services.sync.sync_once``: outbox bundles, upload, receipt imported) with HQ through the fault
proxy, run again after each failure as the app does, until nothing waits; every record is then
acknowledged on the device and HQ holds each revision and each bundle once."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fieldkit.crypto.identity import SigningKey
from fieldkit.services import outbox, records, sync
from fieldkit.services.outbox import ItemState
from fieldkit.sync.client import HqClient, HqEndpoint
from fieldkit.sync.errors import SyncError
from fieldkit.vault.repo import RecordFilter
from tests.conftest import all_types_answers
from tests.hq.support import Hq
from tests.hq.sync_server import Server, make_hq
from tests.services.bundle_support import sealed_records
from tests.services.sync_support import enrol, held_at_hq, key_id, revision_hashes
from tests.sync.fault_proxy import FaultProxy, Faults


@pytest.fixture
def hq_server(tmp_path: Path) -> Iterator[tuple[Hq, Server]]:
    hq, url = make_hq(tmp_path / "hq-root")
    running = Server(hq, url, tmp_path / "server.log").start()
    yield hq, running
    running.stop()
    hq.repository.close()


def _photos(vault: Any, folder: Path, sizes: list[int]) -> None:
    attachments = []
    for i, size in enumerate(sizes):
        photo = folder / f"photo{i}.jpg"
        photo.write_bytes(b"\xff\xd8\xff" + os.urandom(size))
        attachments.append((None, photo))
    answers = all_types_answers(subject="Photos")
    records.create(vault, "all-types", answers, attachments=attachments, final=True)


def _client(endpoint: HqEndpoint, key: SigningKey) -> HqClient:
    return HqClient(endpoint, key, chunk_size=64 * 1024, pause=0.01, timeout=20)


@pytest.mark.slow
def test_a_vault_syncs_through_cuts_stalls_and_throttling_and_hq_holds_everything_once(
    vault: Any,
    hq_server: tuple[Hq, Server],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hq, server = hq_server
    enrol(vault, hq, server, tmp_path / "enrol")
    sealed_records(vault, 4, tmp_path)
    _photos(vault, tmp_path, [150_000, 150_000, 150_000])
    monkeypatch.setattr(outbox, "ATTACHMENT_BUNDLE_BYTES", 200_000)  # several bundles
    faults = Faults(
        seed=7,
        cut=1.0,
        cut_up_within=120_000,
        cut_down_within=2_500,
        stall=0.3,
        stall_within=20_000,
        stall_seconds=0.5,
        rate=2 * 1024 * 1024,
    )
    failures: Counter[str] = Counter()
    with FaultProxy(("127.0.0.1", server.port), faults) as proxy:
        give_up = time.monotonic() + 240
        while True:
            try:
                report = sync.sync_once(vault, address=proxy.url, client_factory=_client)
            except SyncError as error:
                assert error.retryable, error
                failures[type(error).__name__] += 1
            else:
                if report.waiting == 0:
                    break
            assert time.monotonic() < give_up, f"still waiting after {dict(failures)}"
            time.sleep(0.05)
    assert proxy.counters.cuts >= 3  # the network did misbehave
    items = sync.status(vault)
    assert len(items) >= 3 and {i.state for i in items} == {ItemState.DELIVERED}
    assert records.count(vault, RecordFilter(status="acknowledged")) == 5
    assert held_at_hq(hq, vault) == revision_hashes(vault)
    stored = Counter(r.sha256 for r in hq.repository.iter_revisions())
    assert set(stored) == revision_hashes(vault) and max(stored.values()) == 1
    assert hq.repository.counts()["bundles"] == len(items)  # each outbox bundle once
    for sequence in range(1, len(items) + 1):
        bundle = hq.repository.bundle_at(key_id(vault), sequence)
        assert bundle is not None
        assert len(hq.repository.receipts(bundle.manifest_sha256)) == 1  # ingested once
    assert hq.repository.alarms(key_id(vault)) == []
    assert list(hq.paths.uploads.glob("*.part")) == []
    # And again, on a good link: nothing to send, nothing changes at HQ.
    counts = hq.repository.counts()
    again = sync.sync_once(vault, client_factory=_client)
    assert (again.delivered, again.waiting, again.refused) == (0, 0, 0)
    assert hq.repository.counts() == counts
