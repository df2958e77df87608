"""The device side of bundles: enrolment, identity export, export, receipts and purge.

Headquarters is played by the bundle format's own functions, with test keys made here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage
import pytest

from fieldkit.bundle import (
    make_enrolment,
    make_receipt,
    open_bundle,
    read_device_identity_file,
)
from fieldkit.crypto.identity import SigningKey
from fieldkit.errors import ConflictError
from fieldkit.services import enrolment, exporting, receipts, records
from fieldkit.services.vaults import device_identity
from fieldkit.vault.repo import RecordFilter
from tests.conftest import all_types_answers


@dataclass
class HQ:
    signing: SigningKey
    ingest: Any  # pyrage.x25519.Identity
    folder: Path

    @property
    def enrolment_file(self) -> Path:
        path = self.folder / "enrolment.fke"
        if not path.exists():
            path.write_bytes(
                make_enrolment(
                    hq_key=self.signing,
                    hq_name="Mission HQ",
                    ingest_recipient=str(self.ingest.to_public()),
                )
            )
        return path

    def open(self, bundle: Path, spool: Path) -> Any:
        spool.mkdir(mode=0o700, exist_ok=True)
        with bundle.open("rb") as handle:
            return open_bundle(handle, [str(self.ingest)], lambda key_id, public: True, spool)

    def receipt(self, vault: Any, opened: Any, known: int = 0) -> Path:
        hashes = [revision.sha256 for revision in opened.revisions]
        identity = device_identity(vault)
        data = make_receipt(
            hq_key=self.signing,
            device_recipient=identity.age_recipient,
            bundle_id=opened.manifest.bundle_id,
            manifest_sha256=opened.manifest_sha256,
            device_key_id=identity.key_id,
            sequence=opened.manifest.sequence,
            accepted=hashes[known:],
            known=hashes[:known],
        )
        path = self.folder / f"receipt-{opened.manifest.sequence}.fkr"
        path.write_bytes(data)
        return path


@pytest.fixture
def hq(tmp_path: Path) -> HQ:
    folder = tmp_path / "hq"
    folder.mkdir()
    return HQ(SigningKey.generate(), pyrage.x25519.Identity.generate(), folder)


@pytest.fixture
def stick(tmp_path: Path) -> Path:
    folder = tmp_path / "stick"
    folder.mkdir()
    return folder


def _sealed(vault: Any, n: int, tmp_path: Path | None = None) -> list[str]:
    ids = []
    for i in range(n):
        attachments = []
        if tmp_path is not None and i == 0:
            photo = tmp_path / "photo.jpg"
            photo.write_bytes(b"\xff\xd8\xff" + b"photo" * 500)
            attachments = [(None, photo)]
        ids.append(
            records.create(
                vault,
                "all-types",
                all_types_answers(subject=f"Convoy {i}"),
                attachments=attachments,
                final=True,
            )
        )
    return ids


def test_export_refuses_without_enrolment(vault: Any, stick: Path) -> None:
    _sealed(vault, 1)
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


def test_the_purge_policy_is_off_until_set(vault: Any) -> None:
    assert receipts.purge_policy(vault) is False
    receipts.set_purge(vault, True)
    assert receipts.purge_policy(vault) is True


def test_a_tampered_enrolment_file_is_refused(vault: Any, hq: HQ) -> None:
    from fieldkit.bundle import BundleError

    document = json.loads(hq.enrolment_file.read_bytes())
    document["body"]["hq_name"] = "Someone else"
    hq.enrolment_file.write_text(json.dumps(document))
    with pytest.raises(BundleError):
        enrolment.enroll(vault, hq.enrolment_file)
    assert enrolment.current(vault) is None


def test_identity_export_is_verifiable(vault: Any, tmp_path: Path) -> None:
    path = enrolment.export_identity(vault, tmp_path)
    identity = read_device_identity_file(path.read_bytes())
    mine = device_identity(vault)
    assert identity.key_id == mine.key_id and identity.age_recipient == mine.age_recipient
    assert identity.device_name == "test laptop"


def test_export_ingest_receipt_round_trip(vault: Any, hq: HQ, stick: Path, tmp_path: Path) -> None:
    enrolment.enroll(vault, hq.enrolment_file)
    ids = _sealed(vault, 3, tmp_path)
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
    _sealed(vault, 2)
    first = exporting.export(vault, stick)
    first.path.unlink()  # the stick is lost
    second = exporting.export(vault, stick)
    assert second.sequence == first.sequence + 1
    assert second.revisions == first.revisions
    opened = hq.open(second.path, tmp_path / "spool")
    assert opened.manifest.previous is not None
    assert exporting.pending_count(vault) == 2


def test_a_receipt_for_someone_else_or_forged_is_refused(
    vault: Any, hq: HQ, stick: Path, tmp_path: Path
) -> None:
    from fieldkit.bundle import BundleError

    enrolment.enroll(vault, hq.enrolment_file)
    _sealed(vault, 1)
    opened = hq.open(exporting.export(vault, stick).path, tmp_path / "spool")
    impostor = HQ(SigningKey.generate(), hq.ingest, hq.folder / "impostor")
    impostor.folder.mkdir()
    with pytest.raises(BundleError):
        receipts.import_receipt(vault, impostor.receipt(vault, opened))
    assert records.count(vault, RecordFilter(status="acknowledged")) == 0


def test_purge_removes_content_of_acknowledged_records_only(
    vault: Any, hq: HQ, stick: Path, tmp_path: Path
) -> None:
    enrolment.enroll(vault, hq.enrolment_file)
    receipts.set_purge(vault, True)
    ids = _sealed(vault, 2, tmp_path)
    opened = hq.open(exporting.export(vault, stick).path, tmp_path / "spool")
    kept = records.create(vault, "all-types", all_types_answers(subject="kept"), final=True)
    result = receipts.import_receipt(vault, hq.receipt(vault, opened))
    assert result.purged_records == 2
    for record_id in ids:
        detail = records.detail(vault, record_id)
        assert detail.sealed is None and detail.revisions[0].purged
        assert detail.revisions[0].sha256 and detail.item.status == "acknowledged"
        assert detail.item.title == ""
    assert records.detail(vault, kept).sealed is not None
    assert records.list_items(vault, RecordFilter(search="Convoy")) == []
    with vault.read() as session:
        from fieldkit.vault import attachments

        assert attachments.all_hashes(session) == []
        from fieldkit.vault.audit import verify

        assert verify(session).ok


def test_sequence_is_reserved_before_the_file_is_written(
    vault: Any, hq: HQ, stick: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bundle that reached the stick but was never recorded still takes its number."""
    enrolment.enroll(vault, hq.enrolment_file)
    _sealed(vault, 1)

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(exporting, "export_bundle_file", interrupted)
    with pytest.raises(KeyboardInterrupt):
        exporting.export(vault, stick)
    monkeypatch.undo()
    assert exporting.export(vault, stick).sequence == 2
    assert records.count(vault, RecordFilter(status="final")) == 0
