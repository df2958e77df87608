"""Receipts on the device: a receipt signed by the pinned headquarters key acknowledges what it
lists, once; one for another device or another manifest, or from another key, acknowledges
nothing; the purge policy then removes the content of acknowledged records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fieldkit.bundle import DamagedError, UntrustedSignerError
from fieldkit.crypto.identity import SigningKey
from fieldkit.errors import ConflictError
from fieldkit.services import enrolment, exporting, receipts, records
from fieldkit.vault.repo import RecordFilter
from tests.conftest import all_types_answers
from tests.services.bundle_support import HQ, hq, sealed_records, stick

__all__ = ["hq", "stick"]


def test_the_purge_policy_is_off_until_set(vault: Any) -> None:
    assert receipts.purge_policy(vault) is False
    receipts.set_purge(vault, True)
    assert receipts.purge_policy(vault) is True


def test_a_receipt_for_someone_else_or_forged_is_refused(
    vault: Any, hq: HQ, stick: Path, tmp_path: Path
) -> None:
    enrolment.enroll(vault, hq.enrolment_file)
    sealed_records(vault, 1)
    opened = hq.open(exporting.export(vault, stick).path, tmp_path / "spool")
    impostor = HQ(SigningKey.generate(), hq.ingest, hq.folder / "impostor")
    impostor.folder.mkdir()
    with pytest.raises(UntrustedSignerError, match="not signed by the headquarters this device"):
        receipts.import_receipt(vault, impostor.receipt(vault, opened))
    assert records.count(vault, RecordFilter(status="acknowledged")) == 0


def _acknowledged(vault: Any) -> dict[str, list[Any]]:
    """The revisions, and the bundles, that became acknowledged."""
    from sqlmodel import col, select

    from fieldkit.vault.models import BundleRow, RevisionRow

    with vault.read() as session:
        revisions = select(RevisionRow.sha256).where(RevisionRow.status == "acknowledged")
        bundles = select(BundleRow.seq).where(col(BundleRow.acknowledged_at).is_not(None))
        return {
            "revisions": list(session.exec(revisions).all()),
            "bundles": list(session.exec(bundles).all()),
        }


def test_a_receipt_signed_by_hq_for_another_manifest_of_a_bundle_is_refused(
    vault: Any, hq: HQ, stick: Path, tmp_path: Path
) -> None:
    """Signed by the pinned HQ key, addressed to this device, naming one of its bundles, but
    with another manifest hash: another bundle under the same id (a fork) was acknowledged,
    not this one."""
    enrolment.enroll(vault, hq.enrolment_file)
    sealed_records(vault, 2)
    opened = hq.open(exporting.export(vault, stick).path, tmp_path / "spool")
    forked = hq.receipt(vault, opened, manifest_sha256="ab" * 32)

    with pytest.raises(ConflictError, match="for a bundle this device did not write"):
        receipts.import_receipt(vault, forked)

    assert _acknowledged(vault) == {"revisions": [], "bundles": []}
    assert records.count(vault, RecordFilter(status="acknowledged")) == 0
    assert records.count(vault, RecordFilter(status="exported")) == 2


def test_a_receipt_signed_by_hq_for_another_device_is_refused(
    vault: Any, hq: HQ, stick: Path, tmp_path: Path
) -> None:
    """Signed by the pinned HQ key and encrypted to this device, naming its bundle, but
    addressed to another device key."""
    enrolment.enroll(vault, hq.enrolment_file)
    sealed_records(vault, 2)
    opened = hq.open(exporting.export(vault, stick).path, tmp_path / "spool")
    other_device = SigningKey.generate().key_id
    misaddressed = hq.receipt(vault, opened, device_key_id=other_device)

    with pytest.raises(DamagedError, match="it is addressed to another device key"):
        receipts.import_receipt(vault, misaddressed)

    assert _acknowledged(vault) == {"revisions": [], "bundles": []}
    assert records.count(vault, RecordFilter(status="acknowledged")) == 0
    assert records.count(vault, RecordFilter(status="exported")) == 2


def test_purge_removes_content_of_acknowledged_records_only(
    vault: Any, hq: HQ, stick: Path, tmp_path: Path
) -> None:
    enrolment.enroll(vault, hq.enrolment_file)
    receipts.set_purge(vault, True)
    ids = sealed_records(vault, 2, tmp_path)
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
