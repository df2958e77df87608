"""Headquarters for GUI tests, made with the bundle format's own functions: real keys, a signed
enrolment file, bundles opened with HQ's identity, and signed receipts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fieldkit.bundle import OpenedBundle, make_enrolment, make_receipt, open_bundle
from fieldkit.bundle.agefile import new_identity
from fieldkit.crypto.identity import SigningKey
from fieldkit.services import records
from fieldkit.services.vaults import device_identity
from tests.conftest import all_types_answers


@dataclass
class Headquarters:
    name: str
    signing: SigningKey
    identity: str
    recipient: str
    folder: Path

    @property
    def fingerprint(self) -> str:
        return self.signing.public.fingerprint

    def enrolment_file(self, address: str | None = None) -> Path:
        path = self.folder / "enrolment.fke"
        path.write_bytes(
            make_enrolment(
                hq_key=self.signing,
                hq_name=self.name,
                ingest_recipient=self.recipient,
                address=address,
            )
        )
        return path

    def open(self, bundle: Path) -> OpenedBundle:
        spool = self.folder / "spool"
        spool.mkdir(mode=0o700, exist_ok=True)
        with bundle.open("rb") as handle:
            return open_bundle(handle, [self.identity], lambda _key_id, _public: True, spool)

    def receipt(self, vault: Any, opened: OpenedBundle, name: str = "receipt.fkr") -> Path:
        device = device_identity(vault)
        path = self.folder / name
        path.write_bytes(
            make_receipt(
                hq_key=self.signing,
                device_recipient=device.age_recipient,
                bundle_id=opened.manifest.bundle_id,
                manifest_sha256=opened.manifest_sha256,
                device_key_id=device.key_id,
                sequence=opened.manifest.sequence,
                accepted=[revision.sha256 for revision in opened.revisions],
                known=[],
            )
        )
        return path


def make_hq(folder: Path, name: str = "Mission HQ Bamako") -> Headquarters:
    folder.mkdir(parents=True, exist_ok=True)
    identity, recipient = new_identity()
    return Headquarters(name, SigningKey.generate(), identity, recipient, folder)


def seal(vault: Any, subjects: list[str]) -> list[str]:
    """Finalized all-types records with these subjects; their ids."""
    return [
        records.create(vault, "all-types", all_types_answers(subject=subject), final=True)
        for subject in subjects
    ]
