"""A device vault enrolled with a real HQ served by ``fieldkit-hq serve`` over TLS
(tests/hq/sync_server.py): its enrolment carries the TLS pin and the server's address."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlmodel import select

from fieldkit.bundle import make_enrolment, read_device_identity_file
from fieldkit.hq import keys, tls
from fieldkit.hq.ingest import Ingestor
from fieldkit.services import enrolment, records
from fieldkit.services.vaults import device_identity
from fieldkit.vault.models import RevisionRow
from tests.conftest import all_types_answers
from tests.hq.support import Hq
from tests.hq.sync_server import Server


def enrolment_file(
    hq: Hq, folder: Path, address: str | None, *, pin: str | None = None, name: str = "Test HQ"
) -> Path:
    """HQ's enrolment file with its TLS pin and ``address``."""
    config = keys.load_config(hq.paths)
    path = folder / "enrolment.fke"
    path.write_bytes(
        make_enrolment(
            hq_key=hq.keys.hq_signing,
            hq_name=name,
            ingest_recipient=config.ingest_recipient,
            escrow_recipient=config.escrow_recipient,
            address=address,
            tls_spki_sha256=pin or tls.read_pin(hq.paths.tls_cert),
        )
    )
    return path


def enrol(vault: Any, hq: Hq, server: Server | None, folder: Path, **options: Any) -> None:
    """Enrol the vault with ``hq`` (at ``server``'s address), and register it at HQ."""
    folder.mkdir(exist_ok=True)
    address = server.base_url if server is not None else None
    enrolment.enroll(vault, enrolment_file(hq, folder, address, **options))
    identity = read_device_identity_file(enrolment.export_identity(vault, folder).read_bytes())
    hq.repository.add_device(identity, "2026-03-14T09:00:00Z")


def ingest_stick(hq: Hq, stick: Path, receipts_dir: Path | None = None) -> Any:
    """HQ ingests the bundles on ``stick`` (as ``fieldkit-hq ingest``, receipts in HQ's
    receipts folder, where the sync server finds them too, unless ``receipts_dir`` says
    otherwise, as ``--receipts DIR`` does)."""
    ingestor = Ingestor(
        hq.repository, hq.paths, keys.load_config(hq.paths), hq.secrets, receipts_dir=receipts_dir
    )
    return ingestor.run([stick])


def photo_record(vault: Any, folder: Path, sizes: list[int]) -> str:
    """A sealed record with one photo of random bytes per size in ``sizes``; its id."""
    attachments = []
    for i, size in enumerate(sizes):
        photo = folder / f"photo{i}.jpg"
        photo.write_bytes(b"\xff\xd8\xff" + os.urandom(size))
        attachments.append((None, photo))
    return records.create(
        vault, "all-types", all_types_answers(subject="Photos"), attachments=attachments, final=True
    )


def revision_hashes(vault: Any) -> set[str]:
    with vault.read() as session:
        return set(session.exec(select(RevisionRow.sha256)))


def held_at_hq(hq: Hq, vault: Any) -> set[str]:
    """The vault's revisions that HQ holds."""
    return hq.repository.known_revisions(revision_hashes(vault))


def key_id(vault: Any) -> str:
    return device_identity(vault).key_id
