"""HQ ingest (security.md tests 6 and 8 at HQ): accepted, replayed, forked, gaps, revoked,
unknown, wrong recipient, damaged, conflicts; nothing stored unless everything verified."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fieldkit.domain.records import sha256_hex
from fieldkit.hq.batches import build_batch
from fieldkit.hq.ingest import BundleResult, Outcome
from fieldkit.hq.repository.base import AlarmKind
from fieldkit.hq.sealing import open_batch, read_attachment
from fieldkit.hq.spool import EncryptingSink
from tests.bundle.factory import decrypt, open_bytes
from tests.hq.support import (
    CANARY_CONTACT,
    CANARY_NAME,
    Device,
    Hq,
    files_in,
    holds,
    hq,
    snapshot,
)

__all__ = ["hq"]

PHOTO = b"\xff\xd8 a photograph of a checkpoint " * 1000


@pytest.fixture
def device(hq: Hq) -> Device:
    enrolled = Device()
    enrolled.register(hq.repository)
    return enrolled


def counts_without_alarms(hq: Hq) -> dict[str, int]:
    counts = hq.repository.counts()
    counts.pop("alarms")
    return counts


def test_a_bundle_is_accepted_stored_and_answered(hq: Hq, device: Device) -> None:
    first = device.revision(attachments=[sha256_hex(PHOTO)])
    second = device.revision(record_id=first.record_id, number=2, previous=first.sha256)
    path = hq.bundle(device, [first, second], [PHOTO])

    result = hq.ingestor().ingest_file(path)

    assert result.outcome is Outcome.ACCEPTED and result.ok
    assert set(result.accepted) == {first.sha256, second.sha256} and result.known == ()
    counts = hq.repository.counts()
    assert (counts["bundles"], counts["revisions"], counts["attachments"]) == (1, 2, 1)
    assert counts["receipts"] == 1 and counts["alarms"] == 0
    assert result.receipt is not None and result.receipt.parent == hq.paths.receipts
    receipt = hq.receipt_of(device, result.receipt)
    assert receipt.device_key_id == device.key.key_id and receipt.sequence == 1
    assert set(receipt.accepted) == {first.sha256, second.sha256}
    stored = b"".join(read_attachment(hq.paths.attachments, sha256_hex(PHOTO), hq.keys.hq[0]))
    assert stored == PHOTO
    assert not files_in(hq.paths.spool), "the spool is emptied"
    records = hq.repository.records()
    assert [(r.record_id, r.revisions, r.latest.number) for r in records] == [
        (first.record_id, 2, 2)
    ]
    assert "witness_name" not in records[0].latest.answers


def test_identifying_answers_are_never_in_clear_in_the_hq_folder(hq: Hq, device: Device) -> None:
    path = hq.bundle(device, [device.revision()], [PHOTO])
    assert hq.ingestor().ingest_file(path).outcome is Outcome.ACCEPTED
    (revision,) = hq.repository.iter_revisions()
    assert CANARY_NAME not in repr(revision) and CANARY_CONTACT not in repr(revision)
    assert revision.answers["victims"] == [{"age": 34}, {"age": 15}]
    for text in (CANARY_NAME, CANARY_CONTACT, PHOTO[200:260]):
        assert holds(hq.paths.root, text) == [], text
    if hq.paths.database.exists():  # SQLite: the scan does see what is stored in clear
        found = holds(hq.paths.root, "Fuel levy at the bridge")
        assert found and all(p.name.startswith(hq.paths.database.name) for p in found)
    # Kept, sealed to HQ's keys: nothing the device sent is dropped.
    entry = open_batch(hq.repository.sealed_batch(revision.batch_id), hq.keys.hq[0])[0]
    assert entry.identifying == {
        "witness_name": CANARY_NAME,
        "victims": [{"contact": CANARY_CONTACT}, {}],
    }


def test_a_replayed_bundle_adds_nothing_and_a_folder_can_be_ingested_again(
    hq: Hq, device: Device
) -> None:
    hq.bundle(device, [device.revision()])
    hq.bundle(device, [device.revision()])
    first = hq.ingestor().run([hq.stick])
    assert first.ok and [r.outcome for r in first.results] == [Outcome.ACCEPTED] * 2
    counts = hq.repository.counts()

    again = hq.ingestor().run([hq.stick])

    assert again.ok
    assert [r.outcome for r in again.results] == [Outcome.ALREADY_INGESTED] * 2
    assert all(r.receipt is None for r in again.results), "their receipts are recorded"
    assert hq.repository.counts() == counts
    assert again.gaps == ()


def test_a_bundle_stored_without_its_receipt_gets_one_on_the_next_ingest(
    hq: Hq, device: Device, tmp_path: Path
) -> None:
    revision = device.revision()
    path = hq.bundle(device, [revision])
    spool = tmp_path / "open"
    spool.mkdir(mode=0o700)
    opened = open_bytes(
        path.read_bytes(),
        hq.keys,
        spool,
        trusted=lambda _k, _p: True,
        sink=EncryptingSink(spool, hq.config.recipients),
    )
    batch = build_batch(opened, set(), hq.config.recipients, hq.paths.attachments, [])
    hq.repository.store_bundle(batch)  # as a crash right after storing would leave it

    result = hq.ingestor().ingest_file(path)

    assert result.outcome is Outcome.ALREADY_INGESTED and result.receipt is not None
    assert hq.receipt_of(device, result.receipt).accepted == (revision.sha256,)
    assert hq.repository.counts()["receipts"] == 1
    assert hq.ingestor().ingest_file(path).receipt is None


def test_a_fork_is_refused_and_only_its_alarm_is_stored(hq: Hq, device: Device) -> None:
    assert hq.ingestor().ingest_file(hq.bundle(device, [device.revision()])).ok
    before = counts_without_alarms(hq)
    forked = hq.bundle(device, [device.revision()], sequence=1, previous=None, advance=False)

    result = hq.ingestor().ingest_file(forked)
    again = hq.ingestor().ingest_file(forked)

    assert result.outcome is Outcome.REJECTED and result.alarm is AlarmKind.FORK
    assert result.reason is not None and "fork" in result.reason
    assert counts_without_alarms(hq) == before
    alarms = hq.repository.alarms()
    assert [(a.kind, a.sequence) for a in alarms] == [(AlarmKind.FORK, 1)]
    assert alarms[0].manifest_sha256 == result.bundle.manifest_sha256  # type: ignore[union-attr]
    assert again.outcome is Outcome.REJECTED and len(hq.repository.alarms()) == 1
    assert again.reason == result.reason, "the same reason, and no second alarm"


def test_gaps_are_reported_once_and_judged_after_the_whole_run(hq: Hq, device: Device) -> None:
    paths = [hq.bundle(device, [device.revision()]) for _ in range(4)]
    # Bundles 2 and 4 only, then 1: bundle 3 is missing.
    report = hq.ingestor().run([paths[3], paths[1], paths[0]])
    assert report.ok
    assert [(g.missing, g.new) for g in report.gaps] == [((3,), (3,))]
    gaps = [a for a in hq.repository.alarms() if a.kind is AlarmKind.GAP]
    assert [a.detail["missing"] for a in gaps] == [[3]]

    still = hq.ingestor().run([paths[0]])
    assert [(g.missing, g.new) for g in still.gaps] == [((3,), ())], "no second alarm"
    filled = hq.ingestor().run([paths[2]])
    assert filled.gaps == () and len(hq.repository.alarms()) == 1


def test_a_stick_in_random_order_raises_no_gap(hq: Hq, device: Device) -> None:
    paths = [hq.bundle(device, [device.revision()]) for _ in range(3)]
    report = hq.ingestor().run(reversed(paths))
    assert report.ok and report.gaps == () and hq.repository.alarms() == []
    assert hq.repository.counts()["bundles"] == 3


def test_a_device_revoked_entirely_or_from_a_sequence_is_refused(hq: Hq, device: Device) -> None:
    first = hq.bundle(device, [device.revision()])
    second = hq.bundle(device, [device.revision()])
    third = hq.bundle(device, [device.revision()])
    assert hq.ingestor().ingest_file(first).ok
    hq.repository.revoke_device(device.key.key_id, 3, "2026-03-15T00:00:00Z")
    assert hq.ingestor().ingest_file(second).outcome is Outcome.ACCEPTED

    refused = hq.ingestor().ingest_file(third)
    assert refused.outcome is Outcome.REJECTED
    assert refused.reason is not None and "revoked (from bundle 3 on)" in refused.reason
    assert hq.repository.counts()["bundles"] == 2

    other = Device(name="seized laptop")
    other.register(hq.repository)
    hq.repository.revoke_device(other.key.key_id, 1, "2026-03-15T00:00:00Z")
    entirely = hq.ingestor().ingest_file(hq.bundle(other, [other.revision()]))
    assert entirely.outcome is Outcome.REJECTED
    assert entirely.reason is not None and "unknown or revoked device" in entirely.reason
    assert hq.repository.counts()["bundles"] == 2


def test_an_unknown_device_is_refused(hq: Hq) -> None:
    stranger = Device()
    result = hq.ingestor().ingest_file(hq.bundle(stranger, [stranger.revision()]))
    assert result.outcome is Outcome.REJECTED and result.bundle is None
    assert result.reason is not None and stranger.key.key_id in result.reason
    assert hq.repository.counts()["bundles"] == 0


def test_a_bundle_for_another_hq_is_refused(hq: Hq, device: Device) -> None:
    path = hq.bundle(device, [device.revision()], recipients=[hq.keys.other[1]])
    result = hq.ingestor().ingest_file(path)
    assert result.outcome is Outcome.REJECTED
    assert result.reason is not None and "not encrypted to this headquarters" in result.reason
    assert hq.repository.counts()["bundles"] == 0


def test_a_damaged_bundle_is_refused_and_nothing_is_kept(hq: Hq, device: Device) -> None:
    path = hq.bundle(device, [device.revision()], [PHOTO])
    data = bytearray(path.read_bytes())
    data[-100] ^= 0x01
    path.write_bytes(bytes(data))

    result = hq.ingestor().ingest_file(path)

    assert result.outcome is Outcome.REJECTED
    assert result.reason is not None and "damaged or has been tampered with" in result.reason
    assert hq.repository.counts()["bundles"] == 0
    assert files_in(hq.paths.attachments) == [] and files_in(hq.paths.spool) == []


def test_missing_files_and_empty_folders_are_reported(hq: Hq, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    report = hq.ingestor().run([tmp_path / "nope.fkb", empty])
    assert not report.ok
    assert [r.outcome for r in report.results] == [Outcome.REJECTED] * 2
    assert "no such file" in (report.results[0].reason or "")
    assert "no bundle files" in (report.results[1].reason or "")


def test_a_conflicting_revision_is_refused_with_an_alarm(hq: Hq, device: Device) -> None:
    original = device.revision()
    assert hq.ingestor().ingest_file(hq.bundle(device, [original])).ok
    other_photo = PHOTO + b"other"
    altered = device.revision(
        record_id=original.record_id,
        data={"subject": "another text"},
        attachments=[sha256_hex(other_photo)],
    )
    before = counts_without_alarms(hq)

    result = hq.ingestor().ingest_file(hq.bundle(device, [altered], [other_photo]))

    assert result.outcome is Outcome.REJECTED and result.alarm is AlarmKind.CONFLICT
    assert result.reason is not None and "CONFLICT alarm raised, nothing stored" in result.reason
    assert counts_without_alarms(hq) == before
    alarms = hq.repository.alarms()
    assert [a.kind for a in alarms] == [AlarmKind.CONFLICT]
    assert alarms[0].detail == {"other_revision": original.sha256}
    assert files_in(hq.paths.attachments) == [], "the attachment written for it is removed"


def test_a_broken_chain_is_refused_with_an_alarm(hq: Hq, device: Device) -> None:
    assert hq.ingestor().ingest_file(hq.bundle(device, [device.revision()])).ok
    wrong = hq.bundle(device, [device.revision()], previous="ab" * 32)
    result = hq.ingestor().ingest_file(wrong)
    assert result.outcome is Outcome.REJECTED and result.alarm is AlarmKind.CHAIN
    assert result.reason is not None and "CHAIN alarm raised, nothing stored" in result.reason
    assert [a.kind for a in hq.repository.alarms()] == [AlarmKind.CHAIN]
    assert hq.repository.counts()["bundles"] == 1


def test_a_revision_already_held_is_known_not_stored_twice(hq: Hq, device: Device) -> None:
    revision = device.revision()
    assert hq.ingestor().ingest_file(hq.bundle(device, [revision])).ok
    again = hq.ingestor().ingest_file(hq.bundle(device, [revision]))  # re-sent, no receipt
    assert again.outcome is Outcome.ACCEPTED
    assert again.accepted == () and again.known == (revision.sha256,)
    assert hq.repository.counts()["revisions"] == 1
    assert again.receipt is not None
    assert hq.receipt_of(device, again.receipt).known == (revision.sha256,)


def test_receipts_go_to_the_folder_named_and_a_missing_folder_is_refused(
    hq: Hq, device: Device, tmp_path: Path
) -> None:
    out = tmp_path / "out-stick"
    with pytest.raises(Exception, match="no such folder"):
        hq.ingestor(receipts_dir=out)
    out.mkdir()
    result = hq.ingestor(receipts_dir=out).ingest_file(hq.bundle(device, [device.revision()]))
    assert result.receipt is not None and result.receipt.parent == out
    assert decrypt(result.receipt.read_bytes(), device.age[0]).startswith(b"FKRECEIPT")


BIG_PHOTO = bytes(range(256)) * 1200  # several age chunks: the manifest comes long before the end


def _damage(path: Path, how: str) -> Path:
    """A damaged copy of the bundle in ``path``, in a folder of its own."""
    data = bytearray(path.read_bytes())
    if how == "flip":
        data[-100] ^= 0x01  # in the last chunk: found only when the age stream ends
    else:
        del data[-300:]
    copy = path.parent.parent / f"damaged-{how}" / path.name
    copy.parent.mkdir(exist_ok=True)
    copy.write_bytes(bytes(data))
    return copy


def _unchanged(hq: Hq, result: BundleResult, counts: dict[str, int], folder: Any) -> None:
    assert result.outcome is Outcome.REJECTED and result.alarm is None
    assert result.reason is not None and "damaged or has been tampered with" in result.reason
    assert result.bundle is None and result.receipt is None
    assert hq.repository.counts() == counts, "nothing stored, no alarm"
    assert snapshot(hq.paths.root) == folder, "nothing written in the HQ folder"


@pytest.mark.parametrize("how", ["flip", "truncate"])
def test_a_damaged_copy_of_a_bundle_held_is_damaged_not_a_replay(
    hq: Hq, device: Device, how: str
) -> None:
    """docs/bundle-format.md section 2: nothing is decided before the age stream is verified."""
    path = hq.bundle(device, [device.revision()], [BIG_PHOTO])
    assert hq.ingestor().ingest_file(path).outcome is Outcome.ACCEPTED
    ingestor = hq.ingestor()
    counts, folder = hq.repository.counts(), snapshot(hq.paths.root)

    result = ingestor.ingest_file(_damage(path, how))

    _unchanged(hq, result, counts, folder)
    assert ingestor.run([path]).results[0].outcome is Outcome.ALREADY_INGESTED, "the original"


@pytest.mark.parametrize("how", ["flip", "truncate"])
def test_a_damaged_copy_of_a_fork_is_damaged_and_raises_no_alarm(
    hq: Hq, device: Device, how: str
) -> None:
    assert hq.ingestor().ingest_file(hq.bundle(device, [device.revision()])).ok
    forked = hq.bundle(device, [device.revision()], [BIG_PHOTO], sequence=1, advance=False)
    ingestor = hq.ingestor()
    counts, folder = hq.repository.counts(), snapshot(hq.paths.root)

    result = ingestor.ingest_file(_damage(forked, how))

    _unchanged(hq, result, counts, folder)
    assert hq.repository.alarms() == []
    assert ingestor.ingest_file(forked).alarm is AlarmKind.FORK, "the intact fork is an alarm"


def test_a_bundle_held_from_before_a_revocation_is_still_a_replay(hq: Hq, device: Device) -> None:
    first = hq.bundle(device, [device.revision()], [BIG_PHOTO])
    second = hq.bundle(device, [device.revision()], [BIG_PHOTO])
    assert hq.ingestor().run([first, second]).ok
    hq.repository.revoke_device(device.key.key_id, 2, "2026-03-15T00:00:00Z")
    counts, folder = hq.repository.counts(), snapshot(hq.paths.root)

    again = hq.ingestor().ingest_file(second)
    damaged = hq.ingestor().ingest_file(_damage(second, "truncate"))

    assert again.outcome is Outcome.ALREADY_INGESTED
    _unchanged(hq, damaged, counts, folder)
    refused = hq.ingestor().ingest_file(hq.bundle(device, [device.revision()]))
    assert refused.reason is not None and "revoked (from bundle 2 on)" in refused.reason
