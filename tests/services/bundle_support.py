"""Headquarters for the device-side tests, played by the bundle format's own functions with test
keys made here; a stick; sealed records to export."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage
import pytest

from fieldkit.bundle import (
    make_enrolment,
    make_receipt,
    open_bundle,
)
from fieldkit.crypto.identity import SigningKey
from fieldkit.services import records
from fieldkit.services.vaults import device_identity
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

    def receipt(
        self,
        vault: Any,
        opened: Any,
        known: int = 0,
        *,
        manifest_sha256: str | None = None,
        device_key_id: str | None = None,
    ) -> Path:
        """A receipt for ``opened``, encrypted to the vault's device; ``manifest_sha256`` and
        ``device_key_id`` replace what it names (signed all the same)."""
        hashes = [revision.sha256 for revision in opened.revisions]
        identity = device_identity(vault)
        data = make_receipt(
            hq_key=self.signing,
            device_recipient=identity.age_recipient,
            bundle_id=opened.manifest.bundle_id,
            manifest_sha256=manifest_sha256 or opened.manifest_sha256,
            device_key_id=device_key_id or identity.key_id,
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


def sealed_records(vault: Any, n: int, tmp_path: Path | None = None) -> list[str]:
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
