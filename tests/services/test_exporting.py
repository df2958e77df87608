"""The device side of bundles: enrolment, identity export, export, and the round trip through a
receipt (receipts refused, and the purge: test_receipts.py).

Headquarters is played by the bundle format's own functions, with test keys made here
(bundle_support.py).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyrage
import pytest

from fieldkit.bundle import (
    read_device_identity_file,
)
from fieldkit.crypto.identity import SigningKey
from fieldkit.errors import ConflictError
from fieldkit.services import enrolment, exporting, receipts, records
from fieldkit.services.vaults import device_identity
from fieldkit.vault.repo import RecordFilter
from tests.bundle.factory import make_temporaries_stale
from tests.bundle.vault_export_child import POINTS
from tests.conftest import PASSPHRASE, all_types_answers
from tests.services.bundle_support import HQ, hq, sealed_records, stick

__all__ = ["hq", "stick"]


def test_export_refuses_without_enrolment(vault: Any, stick: Path) -> None:
    sealed_records(vault, 1)
    with pytest.raises(ConflictError, match="not enrolled"):
        exporting.export(vault, stick)
    assert list(stick.iterdir()) == []


def test_enrolment_pins_hq_and_shows_its_fingerprint(vault: Any, hq: HQ, tmp_path: Path) -> None:
    enrolled = enrolment.enroll(vault, hq.enrolment_file)
    assert enrolled.fingerprint == hq.signing.public.fingerprint
    assert enrolled.recipients == (str(hq.ingest.to_public()),)
    assert enrolment.current(vault) == enrolled
    assert enrolment.enroll(vault, hq.enrolment_file).hq_key_id == enrolled.hq_key_id  # idempotent
    other = HQ(SigningKey.generate(), pyrage.x25519.Identity.generate(), tmp_path)
    with pytest.raises(ConflictError, match="already enrolled"):
        enrolment.enroll(vault, other.enrolment_file)
    assert (
        enrolment.enroll(vault, other.enrolment_file, replace=True).hq_key_id
        == other.signing.key_id
    )


def test_an_enrolment_file_swapped_after_its_fingerprint_was_compared_is_refused(
    vault: Any, hq: HQ, tmp_path: Path
) -> None:
    compared = enrolment.inspect_enrolment(hq.enrolment_file)
    other = HQ(SigningKey.generate(), pyrage.x25519.Identity.generate(), tmp_path)
    hq.enrolment_file.write_bytes(other.enrolment_file.read_bytes())
    with pytest.raises(ConflictError, match="changed after you compared"):
        enrolment.enroll(vault, hq.enrolment_file, expected_key_id=compared.signing_key_id)
    assert enrolment.current(vault) is None
    pinned = enrolment.enroll(vault, hq.enrolment_file, expected_key_id=other.signing.key_id)
    assert pinned.hq_key_id == other.signing.key_id


def test_a_tampered_enrolment_file_is_refused(vault: Any, hq: HQ) -> None:
    from fieldkit.bundle import BundleError

    document = json.loads(hq.enrolment_file.read_bytes())
    document["body"]["hq_name"] = "Someone else"
    hq.enrolment_file.write_text(json.dumps(document))
    with pytest.raises(BundleError, match="the signature does not verify"):
        enrolment.enroll(vault, hq.enrolment_file)
    assert enrolment.current(vault) is None


def test_identity_export_is_verifiable(vault: Any, tmp_path: Path) -> None:
    path = enrolment.export_identity(vault, tmp_path)
    identity = read_device_identity_file(path.read_bytes())
    mine = device_identity(vault)
    assert identity.key_id == mine.key_id and identity.age_recipient == mine.age_recipient
    assert identity.device_name == "test laptop"


@pytest.mark.parametrize("stored", ["", "   ", "laptop\x073"])
def test_identity_export_names_a_vault_without_a_usable_name(
    vault: Any, tmp_path: Path, stored: str
) -> None:
    from fieldkit.services.vaults import SETTING_DEVICE_NAME
    from fieldkit.vault import repo

    with vault.write() as session:
        repo.set_setting(session, SETTING_DEVICE_NAME, stored)
    identity = read_device_identity_file(enrolment.export_identity(vault, tmp_path).read_bytes())
    assert identity.device_name == f"Device {device_identity(vault).key_id[:8]}"


def test_export_ingest_receipt_round_trip(vault: Any, hq: HQ, stick: Path, tmp_path: Path) -> None:
    enrolment.enroll(vault, hq.enrolment_file)
    ids = sealed_records(vault, 3, tmp_path)
    records.create(vault, "all-types", {"subject": "still a draft"})
    result = exporting.export(vault, stick)
    assert (result.sequence, result.revisions, result.attachments) == (1, 3, 1)
    assert [p.name for p in stick.iterdir()] == [result.path.name]
    assert result.path.name.endswith(".fkb") and "Convoy" not in result.path.name
    assert {item.status for item in records.list_items(vault, RecordFilter(status="exported"))} == {
        "exported"
    }
    assert records.count(vault, RecordFilter(status="exported")) == 3

    opened = hq.open(result.path, tmp_path / "spool")
    assert {revision.envelope().record_id for revision in opened.revisions} == set(ids)
    assert {f.key for f in opened.forms} == {("all-types", "1")}
    receipt = hq.receipt(vault, opened)
    outcome = receipts.import_receipt(vault, receipt)
    assert (outcome.acknowledged, outcome.already_imported, outcome.sequence) == (3, False, 1)
    assert records.count(vault, RecordFilter(status="acknowledged")) == 3
    again = receipts.import_receipt(vault, receipt)
    assert again.already_imported and again.acknowledged == 0
    with pytest.raises(ConflictError, match="Nothing to export"):
        exporting.export(vault, stick)


def test_re_export_after_a_lost_stick_sends_the_same_revisions_again(
    vault: Any, hq: HQ, stick: Path, tmp_path: Path
) -> None:
    enrolment.enroll(vault, hq.enrolment_file)
    sealed_records(vault, 2)
    first = exporting.export(vault, stick)
    first.path.unlink()  # the stick is lost
    second = exporting.export(vault, stick)
    assert second.sequence == first.sequence + 1
    assert second.revisions == first.revisions
    opened = hq.open(second.path, tmp_path / "spool")
    assert opened.manifest.previous is not None
    assert exporting.pending_count(vault) == 2


def _bundle_rows(vault: Any) -> list[tuple[int, str]]:
    from sqlmodel import select

    from fieldkit.vault.models import BundleRow

    with vault.read() as session:
        return [(row.seq, row.state) for row in session.exec(select(BundleRow)).all()]


def test_an_export_to_a_missing_folder_reserves_no_number(
    vault: Any, hq: HQ, stick: Path, tmp_path: Path
) -> None:
    from fieldkit.errors import NotFoundError

    enrolment.enroll(vault, hq.enrolment_file)
    sealed_records(vault, 1)
    with pytest.raises(NotFoundError, match="does not exist"):
        exporting.export(vault, tmp_path / "nonexistent")
    assert _bundle_rows(vault) == []
    result = exporting.export(vault, stick)
    assert result.sequence == 1
    assert hq.open(result.path, tmp_path / "spool").manifest.previous is None


@pytest.mark.parametrize("failure", ["read-back", "source", "disk"])
def test_a_failed_export_gives_its_number_back(
    vault: Any,
    hq: HQ,
    stick: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    failure: str,
) -> None:
    """The next export reuses the number, so headquarters never sees a gap for it."""
    from fieldkit.bundle import ExportVerificationError, SourceChangedError
    from fieldkit.bundle import writer as bundle_writer

    enrolment.enroll(vault, hq.enrolment_file)
    sealed_records(vault, 2, tmp_path)
    expected: type[BaseException]
    if failure == "read-back":

        def unreadable(path: Path, info: Any) -> None:
            raise ExportVerificationError("the medium returned other bytes")

        monkeypatch.setattr(bundle_writer, "verify_bundle_file", unreadable)
        expected, reason = ExportVerificationError, "the medium returned other bytes"
    elif failure == "source":
        monkeypatch.setattr(bundle_writer, "_data_frames", _lying_data_frames)
        expected, reason = SourceChangedError, "does not match its recorded hash or size"
    else:

        def full(*args: Any, **kwargs: Any) -> Any:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(bundle_writer, "write_bundle", full)
        expected, reason = OSError, "No space left on device"
    with pytest.raises(expected, match=reason):
        exporting.export(vault, stick)
    monkeypatch.undo()

    assert list(stick.iterdir()) == [], "the file is removed"
    assert _bundle_rows(vault) == [], "the number is given back"
    assert records.count(vault, RecordFilter(status="exported")) == 0
    result = exporting.export(vault, stick)
    assert result.sequence == 1 and _bundle_rows(vault) == [(1, "written")]
    assert hq.open(result.path, tmp_path / "spool").manifest.previous is None


def _lying_data_frames(entry: Any, source: Any) -> Any:
    from fieldkit.bundle.writer import _source_changed

    yield b""
    raise _source_changed()


def test_a_failed_export_whose_file_stays_keeps_its_number(
    vault: Any, hq: HQ, stick: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A file that reached the stick was not removed: its number may be at HQ, never reused."""
    enrolment.enroll(vault, hq.enrolment_file)
    sealed_records(vault, 1)
    real = exporting.export_bundle_file

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise KeyboardInterrupt  # after the file is complete, before anything is marked

    monkeypatch.setattr(exporting, "export_bundle_file", interrupted)
    with pytest.raises(KeyboardInterrupt):
        exporting.export(vault, stick)
    monkeypatch.undo()
    (left,) = stick.iterdir()
    assert _bundle_rows(vault) == [(1, "reserved")]
    assert records.count(vault, RecordFilter(status="exported")) == 0

    resumed = exporting.export(vault, stick)  # the same bundle, written again in its place

    assert resumed.sequence == 1 and resumed.path == left and list(stick.iterdir()) == [left]
    assert records.count(vault, RecordFilter(status="final")) == 0

    records.create(vault, "all-types", all_types_answers(subject="later"), final=True)
    monkeypatch.setattr(exporting, "export_bundle_file", interrupted)
    with pytest.raises(KeyboardInterrupt):
        exporting.export(vault, stick)
    monkeypatch.undo()
    assert _bundle_rows(vault) == [(1, "written"), (2, "reserved")]
    records.create(vault, "all-types", all_types_answers(subject="later still"), final=True)
    # Another content now: never under number 2, whose file may be at HQ already.
    third = exporting.export(vault, stick)
    assert third.sequence == 3
    assert hq.open(third.path, tmp_path / "spool").manifest.previous is not None


CHILD = Path(__file__).parents[1] / "bundle" / "vault_export_child.py"
ROOT = Path(__file__).resolve().parents[2]


class _Headquarters:
    """A real HQ ingest (fake repository) with the keys of ``hq``, the device registered."""

    def __init__(self, vault: Any, hq: HQ, root: Path) -> None:
        from fieldkit.hq.ingest import Ingestor
        from fieldkit.hq.keys import HqConfig, HqKeys
        from fieldkit.hq.paths import HqPaths
        from fieldkit.hq.repository import FakeRepository

        self.repository = FakeRepository()
        identity = enrolment.export_identity(vault, root.parent)
        self.repository.add_device(
            read_device_identity_file(identity.read_bytes()), "2026-03-14T09:00:00Z"
        )
        config = HqConfig(
            name="Mission HQ",
            address=None,
            ingest_recipient=str(hq.ingest.to_public()),
            escrow_recipient=None,
            signing_public_key=hq.signing.public.public_key,
            created="2026-03-01T00:00:00Z",
        )
        keys = HqKeys(ingest_identity=str(hq.ingest), signing_key=hq.signing)
        self.ingestor = Ingestor(self.repository, HqPaths(root), config, keys)

    def ingest(self, folder: Path) -> list[str]:
        """Ingest every bundle in ``folder``; the outcomes. There must be no gap and no alarm."""
        report = self.ingestor.run([folder])
        assert report.ok, [r.reason for r in report.results]
        assert report.gaps == () and self.repository.alarms() == []
        return [r.outcome.value for r in report.results]


@pytest.mark.parametrize("point", POINTS)
def test_a_kill_during_export_leaves_no_bundle_or_a_valid_one_and_no_gap(
    vault: Any, vault_dir: Path, hq: HQ, stick: Path, tmp_path: Path, point: str
) -> None:
    """security.md test 9 at the service level: the target holds nothing or one complete,
    valid bundle; nothing is marked exported early; the next export leaves HQ no gap."""
    from fieldkit.bundle import find_bundle_files
    from fieldkit.files import TEMP_PREFIX
    from fieldkit.services.vaults import unlock_vault

    enrolment.enroll(vault, hq.enrolment_file)
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(bytes(range(256)) * 1200)  # several age chunks
    answers = all_types_answers(subject="Convoy")
    records.create(vault, "all-types", answers, attachments=[(None, photo)], final=True)
    sealed_records(vault, 2)
    headquarters = _Headquarters(vault, hq, tmp_path / "hq-folder")
    vault.close()

    child = subprocess.run(
        [sys.executable, str(CHILD), str(vault_dir), PASSPHRASE, str(stick), point],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "PATH": "/usr/bin:/bin"},
        timeout=300,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr

    left = find_bundle_files(stick)
    others = [p for p in stick.iterdir() if p not in left]
    assert all(p.name.startswith(TEMP_PREFIX) for p in others), others
    if point in ("before-write", "mid-write"):
        assert left == []
        assert bool(others) == (point == "mid-write")
    else:
        (complete,) = left
        opened = hq.open(complete, tmp_path / "spool")
        assert len(opened.revisions) == 3 and opened.manifest.sequence == 1
        opened.discard()
        early = tmp_path / "reached-hq"  # the stick went to HQ before the device exported again
        early.mkdir()
        (early / complete.name).write_bytes(complete.read_bytes())
        assert headquarters.ingest(early) == ["accepted"]
    reopened = unlock_vault(vault_dir, PASSPHRASE)
    try:
        assert records.count(reopened, RecordFilter(status="exported")) == 0
        assert _bundle_rows(reopened) == [(1, "reserved")]

        make_temporaries_stale(stick)
        again = exporting.export(reopened, stick)

        assert again.sequence == 1, "the reserved bundle is written again, the same one"
        assert find_bundle_files(stick) == [again.path]
        assert not any(p.name.startswith(TEMP_PREFIX) for p in stick.iterdir())
        assert records.count(reopened, RecordFilter(status="exported")) == 3
        expected = "accepted" if point in ("before-write", "mid-write") else "already-ingested"
        assert headquarters.ingest(stick) == [expected]

        records.create(reopened, "all-types", all_types_answers(subject="later"), final=True)
        following = tmp_path / "next-stick"
        following.mkdir()
        assert exporting.export(reopened, following).sequence == 2
        assert headquarters.ingest(following) == ["accepted"]
        assert headquarters.repository.missing_sequences(hq.signing.key_id) == []
    finally:
        reopened.close()
