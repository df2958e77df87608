"""The outbox on the device: text first (records apart from their attachments, attachments split
by size), nothing written twice, USB export beside it (waiting bundles copied as they are, a new
bundle only of what no outbox bundle holds), a USB receipt delivering an outbox item, and the
purge policy keeping attachments that are not delivered yet."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fieldkit.services import enrolment, exporting, outbox, receipts, records
from fieldkit.services.outbox import ItemState
from fieldkit.services.sync_settings import Backoff, SyncSettings, save_settings, settings
from fieldkit.vault.models import AttachmentRow
from fieldkit.vault.repo import RecordFilter
from tests.services.bundle_support import HQ, hq, sealed_records, stick
from tests.services.sync_support import photo_record

__all__ = ["hq", "stick"]


def test_text_first_puts_records_first_and_splits_attachments_by_size(
    vault: Any, hq: HQ, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    enrolment.enroll(vault, hq.enrolment_file)
    sealed_records(vault, 2)
    photo_record(vault, tmp_path, [3000, 3000, 5000])
    monkeypatch.setattr(outbox, "ATTACHMENT_BUNDLE_BYTES", 7000)
    items = outbox.prepare(vault)
    assert [(item.kind, item.revisions, item.attachments) for item in items] == [
        ("records", 3, 0),
        ("attachments", 0, 2),
        ("attachments", 0, 1),
    ]
    assert all(item.state == ItemState.WAITING and item.sent == 0 for item in items)
    assert [item.sequence for item in items] == [1, 2, 3]
    assert (outbox.folder(vault).stat().st_mode & 0o777) == 0o700
    first = hq.open(outbox.path_of(vault, items[0]), tmp_path / "spool")
    assert len(first.revisions) == 3 and first.attachments == ()
    second = hq.open(outbox.path_of(vault, items[1]), tmp_path / "spool2")
    assert second.revisions == () and len(second.attachments) == 2
    assert outbox.prepare(vault) == []  # nothing new waits
    assert [item.sequence for item in outbox.status(vault)] == [3, 2, 1]  # newest first
    sealed_records(vault, 1)
    [later] = outbox.prepare(vault)
    assert (later.kind, later.sequence) == ("records", 4)
    open_order = [(item.kind, item.sequence) for item in outbox.open_items(vault)]
    assert open_order == [("records", 1), ("records", 4), ("attachments", 2), ("attachments", 3)]


def test_without_text_first_one_bundle_carries_records_and_attachments(
    vault: Any, hq: HQ, tmp_path: Path
) -> None:
    enrolment.enroll(vault, hq.enrolment_file)
    sealed_records(vault, 2, tmp_path)
    [item] = outbox.prepare(vault, text_first=False)
    assert (item.kind, item.revisions, item.attachments) == ("records", 2, 1)
    assert outbox.prepare(vault, text_first=False) == []


def test_usb_export_copies_waiting_outbox_bundles_and_adds_only_new_revisions(
    vault: Any, hq: HQ, stick: Path, tmp_path: Path
) -> None:
    enrolment.enroll(vault, hq.enrolment_file)
    sealed_records(vault, 2, tmp_path)
    waiting = outbox.prepare(vault)
    sealed_records(vault, 1)  # sealed after the outbox was written
    result = exporting.export(vault, stick)
    names = {path.name for path in result.copied}
    assert names == {item.file_name for item in waiting}
    for item in waiting:
        assert (stick / item.file_name).read_bytes() == outbox.path_of(vault, item).read_bytes()
    assert (result.sequence, result.revisions, result.attachments) == (3, 1, 0)
    assert sorted(p.name for p in stick.iterdir()) == sorted(names | {result.path.name})
    # Exported again with nothing new: the waiting bundles are copied again, nothing else.
    receipts.import_receipt(vault, hq.receipt(vault, hq.open(result.path, tmp_path / "spool")))
    again = exporting.export(vault, stick)
    assert {path.name for path in again.copied} == names
    assert again.sequence in {item.sequence for item in waiting}


def test_a_usb_receipt_delivers_the_outbox_item(
    vault: Any, hq: HQ, stick: Path, tmp_path: Path
) -> None:
    enrolment.enroll(vault, hq.enrolment_file)
    sealed_records(vault, 2)
    [item] = outbox.prepare(vault)
    exporting.export(vault, stick)
    opened = hq.open(stick / item.file_name, tmp_path / "spool")
    receipts.import_receipt(vault, hq.receipt(vault, opened))
    [after] = outbox.status(vault)
    assert after.state == ItemState.DELIVERED and after.delivered_at is not None
    assert after.sent == after.size
    assert not outbox.path_of(vault, item).exists()  # its file is no longer needed
    assert outbox.open_items(vault) == []
    with pytest.raises(Exception, match="Nothing to export"):
        exporting.export(vault, stick)


def test_purge_keeps_attachments_until_their_bundle_is_delivered(
    vault: Any, hq: HQ, tmp_path: Path
) -> None:
    enrolment.enroll(vault, hq.enrolment_file)
    receipts.set_purge(vault, True)
    record_id = photo_record(vault, tmp_path, [2000])
    text, photos = outbox.prepare(vault)
    opened = hq.open(outbox.path_of(vault, text), tmp_path / "spool")
    receipts.import_receipt(vault, hq.receipt(vault, opened))
    assert records.count(vault, RecordFilter(status="acknowledged")) == 1
    with vault.read() as session:
        assert session.exec(_attachments()).all()  # still waiting to be delivered
    assert _content_kept(vault, record_id)  # kept whole until then
    opened = hq.open(outbox.path_of(vault, photos), tmp_path / "spool2")
    result = receipts.import_receipt(vault, hq.receipt(vault, opened))
    assert result.purged_records == 1
    assert not _content_kept(vault, record_id)
    with vault.read() as session:
        assert session.exec(_attachments()).all() == []
    assert {item.state for item in outbox.status(vault)} == {ItemState.DELIVERED}


def _content_kept(vault: Any, record_id: str) -> bool:
    from sqlmodel import select

    from fieldkit.vault.models import RevisionRow

    with vault.read() as session:
        query = select(RevisionRow.content).where(RevisionRow.record_id == record_id)
        return all(content is not None for content in session.exec(query))


def _attachments() -> Any:
    from sqlmodel import select

    return select(AttachmentRow.sha256)


def test_sync_settings_are_kept_in_the_vault(vault: Any) -> None:
    assert settings(vault) == SyncSettings(automatic=True, not_on_metered=True)
    save_settings(vault, SyncSettings(automatic=False, not_on_metered=False))
    assert settings(vault) == SyncSettings(automatic=False, not_on_metered=False)


def test_backoff_grows_from_a_minute_to_an_hour_and_resets() -> None:
    import itertools
    import random

    backoff = Backoff(rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(12)]
    assert 54 <= delays[0] <= 66
    assert 108 <= delays[1] <= 132
    assert all(later >= earlier * 1.5 for earlier, later in itertools.pairwise(delays[:6]))
    assert all(3240 <= delay <= 3600 for delay in delays[7:])  # capped, never giving up
    backoff.reset()
    assert 54 <= backoff.next_delay() <= 66


def test_an_outbox_file_removed_by_hand_is_written_again(
    vault: Any, hq: HQ, stick: Path, tmp_path: Path
) -> None:
    enrolment.enroll(vault, hq.enrolment_file)
    sealed_records(vault, 2, tmp_path)
    text, photos = outbox.prepare(vault)
    outbox.path_of(vault, text).unlink()
    result = exporting.export(vault, stick)
    assert [path.name for path in result.copied] == [photos.file_name]
    assert (result.revisions, result.attachments) == (2, 0)  # the photo is in the copied bundle
    states = {item.sequence: (item.state, item.reason) for item in outbox.status(vault)}
    assert states[text.sequence][0] == ItemState.REFUSED
    assert "missing from the outbox" in (states[text.sequence][1] or "")
    [again] = outbox.prepare(vault)  # the revisions are in no outbox bundle still kept
    assert (again.kind, again.revisions) == ("records", 2)


def test_outbox_bundles_for_a_former_headquarters_are_set_aside(
    vault: Any, hq: HQ, stick: Path, tmp_path: Path
) -> None:
    import pyrage

    from fieldkit.crypto.identity import SigningKey

    enrolment.enroll(vault, hq.enrolment_file)
    sealed_records(vault, 2, tmp_path)
    old = outbox.prepare(vault)
    other = HQ(SigningKey.generate(), pyrage.x25519.Identity.generate(), tmp_path / "other")
    other.folder.mkdir()
    enrolment.enroll(vault, other.enrolment_file, replace=True)
    result = exporting.export(vault, stick)
    assert result.copied == ()  # not the former headquarters' bundles
    assert (result.revisions, result.attachments) == (2, 1)
    other.open(result.path, tmp_path / "spool")  # the new headquarters opens it
    reasons = {item.sequence: item.reason for item in outbox.status(vault)}
    assert all("another headquarters" in (reasons[item.sequence] or "") for item in old)
