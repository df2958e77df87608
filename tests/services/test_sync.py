"""Network sync against a real ``fieldkit-hq serve`` over TLS: seal, sync, a verified receipt,
delivered; text first; only a verified receipt for the bundle itself delivers it; syncing again
changes nothing; USB beside the network (HQ ingests a bundle once, the second copy is a replay)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fieldkit.errors import ConflictError
from fieldkit.services import exporting, outbox, receipts, records, sync
from fieldkit.services.outbox import ItemState
from fieldkit.sync.client import HqClient, HqEndpoint
from fieldkit.sync.errors import NotReachableError, ProtocolError
from fieldkit.vault.repo import RecordFilter
from tests.hq.support import Hq
from tests.hq.sync_server import Server, server, shared_hq
from tests.services.bundle_support import sealed_records, stick
from tests.services.sync_support import (
    enrol,
    held_at_hq,
    ingest_stick,
    key_id,
    photo_record,
    revision_hashes,
)

__all__ = ["server", "shared_hq", "stick"]


def test_seal_sync_and_the_verified_receipt_delivers(
    vault: Any, shared_hq: Hq, server: Server, tmp_path: Path
) -> None:
    enrol(vault, shared_hq, server, tmp_path / "enrol")
    sealed_records(vault, 3, tmp_path)
    seen: list[tuple[int, ItemState]] = []
    report = sync.sync_once(vault, progress=lambda item: seen.append((item.sequence, item.state)))
    assert (report.delivered, report.waiting, report.refused, report.erased) == (2, 0, 0, False)
    items = sync.status(vault)
    assert [(i.kind, i.state) for i in items] == [
        ("attachments", ItemState.DELIVERED),
        ("records", ItemState.DELIVERED),
    ]
    assert all(i.sent == i.size and i.delivered_at for i in items)
    assert records.count(vault, RecordFilter(status="acknowledged")) == 3
    assert held_at_hq(shared_hq, vault) == revision_hashes(vault)
    assert (1, ItemState.SENDING) in seen and (1, ItemState.AT_HQ) in seen
    assert seen.index((1, ItemState.DELIVERED)) < seen.index((2, ItemState.SENDING))
    assert list(outbox.folder(vault).iterdir()) == []  # delivered files are removed
    # Again: nothing to send, nothing changes at HQ.
    receipts_before = len(shared_hq.repository.receipts())
    again = sync.sync_once(vault)
    assert (again.delivered, again.waiting, again.refused) == (0, 0, 0)
    assert len(sync.status(vault)) == 2
    assert len(shared_hq.repository.receipts()) == receipts_before


def test_text_first_sends_records_before_split_attachments(
    vault: Any, shared_hq: Hq, server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    enrol(vault, shared_hq, server, tmp_path / "enrol")
    photo_record(vault, tmp_path, [40_000, 40_000, 40_000])
    sealed_records(vault, 1)
    monkeypatch.setattr(outbox, "ATTACHMENT_BUNDLE_BYTES", 90_000)
    order: list[tuple[str, ItemState]] = []
    sync.sync_once(vault, progress=lambda item: order.append((item.kind, item.state)))
    delivered = [kind for kind, state in order if state == ItemState.DELIVERED]
    assert delivered == ["records", "attachments", "attachments"]
    kinds = {(i.kind, i.revisions, i.attachments) for i in sync.status(vault)}
    assert kinds == {("records", 2, 0), ("attachments", 0, 2), ("attachments", 0, 1)}
    assert held_at_hq(shared_hq, vault) == revision_hashes(vault)


class _WrongReceipts(HqClient):
    """A client whose receipts are another bundle's (signed by HQ, but not this one's) or
    bytes that are no receipt at all, as a server answering 200 with anything would give."""

    other: bytes | None = None
    garbage = False

    def receipt(self, sha256: str) -> bytes | None:
        real = super().receipt(sha256)
        if self.garbage:
            return b"<html>Welcome to the hotel network</html>"
        if _WrongReceipts.other is None:
            _WrongReceipts.other = real
            return real
        return _WrongReceipts.other


def test_only_a_verified_receipt_for_the_bundle_itself_delivers_it(
    vault: Any, shared_hq: Hq, server: Server, tmp_path: Path
) -> None:
    enrol(vault, shared_hq, server, tmp_path / "enrol")
    sealed_records(vault, 1)
    _WrongReceipts.other, _WrongReceipts.garbage = None, False
    sync.sync_once(vault, client_factory=_WrongReceipts)  # bundle 1, its own receipt
    sealed_records(vault, 1)
    with pytest.raises(ProtocolError, match="another bundle"):
        sync.sync_once(vault, client_factory=_WrongReceipts)
    [second, first] = sync.status(vault)
    assert (first.state, second.state) == (ItemState.DELIVERED, ItemState.AT_HQ)
    assert records.count(vault, RecordFilter(status="acknowledged")) == 1
    _WrongReceipts.garbage = True
    with pytest.raises(ProtocolError, match="does not verify"):
        sync.sync_once(vault, client_factory=_WrongReceipts)
    assert sync.status(vault)[0].state == ItemState.AT_HQ
    report = sync.sync_once(vault)  # the real receipt, asked for again
    assert report.delivered == 1 and sync.status(vault)[0].state == ItemState.DELIVERED
    assert records.count(vault, RecordFilter(status="acknowledged")) == 2


def test_usb_copy_then_network_ingests_once_and_delivers(
    vault: Any, shared_hq: Hq, server: Server, tmp_path: Path, stick: Path
) -> None:
    enrol(vault, shared_hq, server, tmp_path / "enrol")
    sealed_records(vault, 2, tmp_path)
    waiting = sync.prepare(vault)
    assert [item.state for item in waiting] == [ItemState.WAITING, ItemState.WAITING]
    exported = exporting.export(vault, stick)
    assert {p.name for p in exported.copied} == {i.file_name for i in waiting}
    report = ingest_stick(shared_hq, stick)
    assert report.ok and all(r.outcome.value == "accepted" for r in report.results), report
    stored = shared_hq.repository.bundle_at(key_id(vault), 1)
    assert stored is not None
    before = shared_hq.repository.counts()
    result = sync.sync_once(vault)  # the receipt of the stick was not imported
    assert result.delivered == 2
    after = shared_hq.repository.counts()
    for table in ("bundles", "revisions", "attachments", "sealed_batches"):
        assert after[table] == before[table], table  # replays: nothing ingested twice
    assert all(i.state == ItemState.DELIVERED for i in sync.status(vault))
    assert held_at_hq(shared_hq, vault) == revision_hashes(vault)
    assert shared_hq.repository.last_sequence(key_id(vault)) == 2


def test_a_stick_receipt_written_elsewhere_is_signed_again_for_the_network(
    vault: Any, shared_hq: Hq, server: Server, tmp_path: Path, stick: Path
) -> None:
    enrol(vault, shared_hq, server, tmp_path / "enrol")
    sealed_records(vault, 1)
    assert len(sync.prepare(vault)) == 1
    exporting.export(vault, stick)
    elsewhere = tmp_path / "receipts-on-the-stick"
    elsewhere.mkdir()
    [first] = ingest_stick(shared_hq, stick, receipts_dir=elsewhere).results
    assert first.receipt is not None and first.receipt.parent == elsewhere
    before = shared_hq.repository.counts()
    assert sync.sync_once(vault).delivered == 1  # the receipt of the stick was not imported
    assert sync.status(vault)[0].state == ItemState.DELIVERED
    after = shared_hq.repository.counts()
    for table in ("bundles", "revisions", "attachments", "sealed_batches"):
        assert after[table] == before[table], table
    stored = shared_hq.repository.bundle_at(key_id(vault), 1)
    assert stored is not None
    assert len(shared_hq.repository.receipts(stored.manifest_sha256)) == 2


def test_a_usb_receipt_delivers_the_item_so_it_is_not_uploaded(
    vault: Any, shared_hq: Hq, server: Server, tmp_path: Path, stick: Path
) -> None:
    enrol(vault, shared_hq, server, tmp_path / "enrol")
    sealed_records(vault, 1)
    assert len(sync.prepare(vault)) == 1
    exporting.export(vault, stick)
    [result] = ingest_stick(shared_hq, stick).results
    receipts.import_receipt(vault, result.receipt)
    assert sync.status(vault)[0].state == ItemState.DELIVERED

    class NoUpload(HqClient):
        def upload(self, *args: Any, **kwargs: Any) -> None:
            raise AssertionError("a delivered bundle is not uploaded")

    assert sync.sync_once(vault, client_factory=NoUpload).delivered == 0


def test_the_endpoint_needs_an_enrolment_with_an_address(
    vault: Any, shared_hq: Hq, server: Server, tmp_path: Path
) -> None:
    with pytest.raises(ConflictError, match="not enrolled"):
        sync.endpoint(vault)
    enrol(vault, shared_hq, None, tmp_path / "enrol")
    with pytest.raises(ConflictError, match="no network address"):
        sync.sync_once(vault)
    assert sync.endpoint(vault, server.base_url).address == server.base_url
    assert sync.reachable(vault, server.base_url) is True
    sealed_records(vault, 1)
    assert sync.sync_once(vault, address=server.base_url).delivered == 1


def test_an_unreachable_hq_leaves_everything_waiting(
    vault: Any, shared_hq: Hq, server: Server, tmp_path: Path
) -> None:
    from tests.hq.sync_server import free_port

    enrol(vault, shared_hq, server, tmp_path / "enrol")
    sealed_records(vault, 1)
    nowhere = f"https://127.0.0.1:{free_port()}"
    assert sync.reachable(vault, nowhere) is False

    def quick(endpoint: HqEndpoint, key: Any) -> HqClient:
        return HqClient(endpoint, key, attempts=1, pause=0.0, timeout=5.0)

    with pytest.raises(NotReachableError) as raised:
        sync.sync_once(vault, address=nowhere, client_factory=quick)
    assert raised.value.retryable
    assert sync.status(vault) == []  # nothing prepared before HQ answered
    assert sync.sync_once(vault).delivered == 1


def test_an_outbox_file_gone_is_written_again_and_delivered(
    vault: Any, shared_hq: Hq, server: Server, tmp_path: Path
) -> None:
    enrol(vault, shared_hq, server, tmp_path / "enrol")
    sealed_records(vault, 1)
    [item] = sync.prepare(vault)
    outbox.path_of(vault, item).unlink()
    report = sync.sync_once(vault)
    assert (report.delivered, report.refused, report.waiting) == (1, 0, 0)
    assert [i.state for i in sync.status(vault)] == [ItemState.DELIVERED, ItemState.REFUSED]
    assert held_at_hq(shared_hq, vault) == revision_hashes(vault)


def test_records_on_a_stick_not_yet_receipted_are_sent_again_and_delivered(
    vault: Any, shared_hq: Hq, server: Server, tmp_path: Path, stick: Path
) -> None:
    """A USB bundle HQ ingested, whose receipt never came back: the network sends its records
    and attachments again, HQ knows them, and the receipts acknowledge them."""
    enrol(vault, shared_hq, server, tmp_path / "enrol")
    sealed_records(vault, 2, tmp_path)
    exporting.export(vault, stick)
    assert ingest_stick(shared_hq, stick).ok
    report = sync.sync_once(vault)
    assert (report.delivered, report.refused, report.waiting) == (2, 0, 0)
    assert records.count(vault, RecordFilter(status="acknowledged")) == 2
