"""security.md test 6 at HQ: a damaged bundle, ingested through the Ingestor the CLI uses, is
rejected with a reason and leaves the repository and the HQ folder exactly as they were.

One valid bundle (bundle 2 of an enrolled device whose bundle 1 HQ already holds: the repository
is not empty, so "unchanged" means something) is built once for the module. Hypothesis then flips
bits, truncates and appends garbage anywhere, with extra weight on the age header, the last bytes
and the boundaries of age's 64 KiB chunks. A damaged bundle cannot be read far enough to name its
device, so it raises no alarm either (alarms are only for FORK, CHAIN and CONFLICT, which need a
valid signature): every table must keep its rows. The untouched bundle is accepted last, which
proves the setup and shows that the state compared does change when something is stored.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldkit.domain.records import sha256_hex
from fieldkit.hq.ingest import Ingestor, Outcome
from fieldkit.hq.repository import open_repository, sqlite_url
from tests.bundle.factory import impersonating_bundle
from tests.hq.support import FORM_V1, FORM_V2, Device, Hq, canary_answers, files_in

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    # tests/conftest.py's autouse fixture only sets environment variables: sharing it between
    # examples is harmless. Everything stateful here is module-scoped on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

AGE_CHUNK = 64 * 1024 + 16  # a STREAM chunk of ciphertext: 64 KiB and its Poly1305 tag
REASONS = re.compile(
    r"^(The bundle is damaged or has been tampered with \(.+\)\."
    r"|This file is not a fieldkit bundle, or it is not encrypted to this headquarters' key\.)$"
)
"""The two reasons docs/hq.md gives for a file that fails its checks."""


@dataclass
class Sample:
    hq: Hq
    device: Device
    other: Device
    ingestor: Ingestor
    data: bytes
    hashes: tuple[str, ...]
    header_end: int
    """Where the age payload (its 16-byte nonce, then the chunks) starts."""
    target: Path
    """Where damaged copies are written: on the stick, outside the HQ folder."""

    @property
    def chunk_boundaries(self) -> list[int]:
        start = self.header_end + 16
        return list(range(start, len(self.data) + 1, AGE_CHUNK))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sample]:
    root = tmp_path_factory.mktemp("hq-tamper")
    (root / "hq").mkdir(mode=0o700)
    repository = open_repository(sqlite_url(root / "hq" / "hq.sqlite3"))  # as the CLI opens it
    hq = Hq(root, repository)
    device, other = Device(name="Kidal laptop 3"), Device(name="Gao laptop 1")
    device.register(repository)
    other.register(repository)
    ingestor = hq.ingestor()

    held_photo = os.urandom(20_000)
    held = device.revision(attachments=[sha256_hex(held_photo)])
    assert ingestor.ingest_file(hq.bundle(device, [held], [held_photo])).ok  # bundle 1

    photo = os.urandom(150_000)  # three age chunks of attachment bytes
    first = device.revision(attachments=[sha256_hex(photo)])
    second = device.revision(
        record_id=first.record_id,
        number=2,
        previous=first.sha256,
        attachments=[sha256_hex(photo)],
    )
    amended_held = device.revision(
        record_id=held.record_id,
        number=2,
        previous=held.sha256,
        form=FORM_V2,
        data=canary_answers(route="north road"),
    )
    revisions = [first, second, amended_held]
    path = hq.bundle(device, revisions, [photo])  # bundle 2, chained to bundle 1
    data = path.read_bytes()
    path.unlink()
    assert data.startswith(b"age-encryption.org/v1\n")
    header_end = data.index(b"\n--- ") + len(b"\n--- ") + 43 + 1
    assert data[header_end - 1 : header_end] == b"\n"
    yield Sample(
        hq,
        device,
        other,
        ingestor,
        data,
        tuple(r.sha256 for r in revisions),
        header_end,
        hq.stick / "0123456789abcdef0123456789abcdef.fkb",
    )
    repository.close()


def _dump(database: Path) -> list[str]:
    """Every row of every table, through a read-only connection of its own."""
    connection = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


def state(sample: Sample) -> dict[str, Any]:
    """What HQ holds: every table's count, the devices, bundles, records, revisions, alarms,
    receipts and forms as the repository reads them, the rows themselves, and every file in the
    HQ folder with its bytes (but SQLite's shared-memory index, which readers write to)."""
    repository, paths = sample.hq.repository, sample.hq.paths
    devices = repository.devices()
    return {
        "counts": repository.counts(),
        "devices": devices,
        "bundles": [
            repository.bundle_at(d.key_id, n)
            for d in devices
            for n in range(1, repository.last_sequence(d.key_id) + 2)
        ],
        "missing": {d.key_id: repository.missing_sequences(d.key_id) for d in devices},
        "records": repository.records(),
        "revisions": list(repository.iter_revisions()),
        "alarms": repository.alarms(),
        "receipts": repository.receipts(),
        "forms": repository.forms(),
        "rows": _dump(paths.database),
        "files": {
            str(p.relative_to(paths.root)): p.read_bytes()
            for p in files_in(paths.root)
            if not p.name.endswith("-shm")
        },
    }


def assert_rejected_and_nothing_changed(sample: Sample, damaged: bytes) -> None:
    assert damaged != sample.data
    sample.target.write_bytes(damaged)
    before = state(sample)

    report = sample.ingestor.run([sample.target])

    (result,) = report.results
    assert result.outcome is Outcome.REJECTED and not report.ok
    assert result.reason is not None and REASONS.match(result.reason), result.reason
    assert result.alarm is None and result.receipt is None and result.accepted == ()
    assert report.gaps == ()
    after = state(sample)
    assert after.keys() == before.keys()
    for part in before:
        assert after[part] == before[part], part
    assert files_in(sample.hq.paths.spool) == [], "the spool is emptied"


def _bit_positions(sample: Sample) -> st.SearchStrategy[int]:
    bits = len(sample.data) * 8
    return st.one_of(
        st.integers(0, sample.header_end * 8 - 1),  # the age header: stanzas and MAC
        st.integers(0, bits - 1),  # anywhere
        st.integers(bits - 8 * 1024, bits - 1),  # the last chunk: the END frame, the last tag
        st.sampled_from([b * 8 for b in sample.chunk_boundaries if b < len(sample.data)]),
    )


@SETTINGS
@given(data=st.data())
def test_a_bit_flip_anywhere_is_rejected_and_changes_nothing(
    sample: Sample, data: st.DataObject
) -> None:
    bit = data.draw(_bit_positions(sample), label="bit")
    flipped = bytearray(sample.data)
    flipped[bit // 8] ^= 1 << (bit % 8)
    assert_rejected_and_nothing_changed(sample, bytes(flipped))


@SETTINGS
@given(data=st.data())
def test_a_truncation_at_any_length_is_rejected_and_changes_nothing(
    sample: Sample, data: st.DataObject
) -> None:
    size = len(sample.data)
    length = data.draw(
        st.one_of(
            st.integers(0, size - 1),
            st.integers(0, sample.header_end + 16),  # nothing of the payload, or its nonce
            st.sampled_from([b for b in sample.chunk_boundaries if b < size]),  # whole chunks
            st.integers(max(0, size - 64), size - 1),  # a few bytes short of the end
        ),
        label="length",
    )
    assert_rejected_and_nothing_changed(sample, sample.data[:length])


def _garbage(sample: Sample) -> st.SearchStrategy[bytes]:
    data = sample.data
    return st.one_of(
        st.binary(min_size=1, max_size=256),
        # about one more age chunk of bytes: a pattern repeated to a length near AGE_CHUNK
        st.tuples(
            st.binary(min_size=1, max_size=32), st.integers(AGE_CHUNK - 64, AGE_CHUNK + 64)
        ).map(lambda t: (t[0] * (t[1] // len(t[0]) + 1))[: t[1]]),
        # pieces of the bundle itself: its last chunk again, its payload, the whole file again
        st.sampled_from(
            [data[-AGE_CHUNK:], data[-17:], data[sample.header_end :], data, data[:40]]
        ),
    )


@SETTINGS
@given(data=st.data())
def test_appended_garbage_is_rejected_and_changes_nothing(
    sample: Sample, data: st.DataObject
) -> None:
    garbage = data.draw(_garbage(sample), label="garbage")
    assert_rejected_and_nothing_changed(sample, sample.data + garbage)


@SETTINGS
@given(data=st.data())
def test_bytes_overwritten_anywhere_are_rejected_and_change_nothing(
    sample: Sample, data: st.DataObject
) -> None:
    at = data.draw(st.integers(0, len(sample.data) - 1), label="at")
    patch = data.draw(st.binary(min_size=1, max_size=64), label="patch")
    edited = bytearray(sample.data)
    edited[at : at + len(patch)] = patch
    damaged = bytes(edited)
    if damaged == sample.data:  # the patch wrote what was there
        damaged = sample.data[:at] + bytes([sample.data[at] ^ 0xFF]) + sample.data[at + 1 :]
    assert_rejected_and_nothing_changed(sample, damaged)


def test_an_enrolled_device_passing_itself_off_as_another_is_refused_and_changes_nothing(
    sample: Sample,
) -> None:
    """Enrolled device A re-seals a revision naming enrolled device B, signs it and the
    manifest with its own key, and names B in the manifest: every signature verifies and the
    revision names the manifest's device, so only the check that the manifest's device is its
    signer stands between it and B's records."""
    signer, named = sample.device, sample.other
    photo = os.urandom(30_000)
    data, forged = impersonating_bundle(
        sample.hq.keys, signer.key, named.key, [photo], form=FORM_V1, data=canary_answers()
    )
    sample.target.write_bytes(data)
    before = state(sample)

    report = sample.ingestor.run([sample.target])

    (result,) = report.results
    assert result.outcome is Outcome.REJECTED and result.alarm is None
    assert result.reason == (
        "The bundle is damaged or has been tampered with (the manifest names another device "
        "than its signer)."
    )
    assert state(sample) == before, "nothing is stored, under either device"
    repository = sample.hq.repository
    assert repository.last_sequence(named.key.key_id) == 0
    assert repository.known_revisions([forged.sha256]) == set()
    assert files_in(sample.hq.paths.spool) == []


def test_zz_the_untouched_bundle_is_accepted(sample: Sample) -> None:
    """Last in the module: the same file, undamaged, goes in; so the setup was valid and the
    comparison above would have seen a change."""
    sample.target.write_bytes(sample.data)
    before = state(sample)

    report = sample.ingestor.run([sample.target])

    (result,) = report.results
    assert report.ok and result.outcome is Outcome.ACCEPTED, result.reason
    assert result.bundle is not None and result.bundle.sequence == 2
    assert result.bundle.device_key_id == sample.device.key.key_id
    assert set(result.accepted) == set(sample.hashes) and result.known == ()
    assert result.receipt is not None and result.receipt.parent == sample.hq.paths.receipts
    receipt = sample.hq.receipt_of(sample.device, result.receipt)
    assert set(receipt.accepted) == set(sample.hashes) and receipt.sequence == 2
    after = state(sample)
    counts, was = after["counts"], before["counts"]
    assert (counts["bundles"], counts["revisions"], counts["receipts"]) == (
        was["bundles"] + 1,
        was["revisions"] + 3,
        was["receipts"] + 1,
    )
    assert counts["attachments"] == was["attachments"] + 1 and counts["alarms"] == 0
    assert after["rows"] != before["rows"] and after["files"] != before["files"]
    assert [r.revisions for r in after["records"]] == [2, 2]
    assert report.gaps == ()
    again = sample.ingestor.run([sample.target])
    assert [r.outcome for r in again.results] == [Outcome.ALREADY_INGESTED]
    assert state(sample) == after, "a replay changes nothing either"
