"""Compatibility guard: today's code opens the frozen example files byte for byte.

The files in tests/data/bundle were made once by regenerate.py (beside them) with TEST-ONLY keys.
If a change to the code makes this test fail, bundles, receipts, enrolment files or published
forms already in the field would stop opening: make the change backwards compatible, or version
the format.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from fieldkit.bundle import (
    make_published_form,
    read_device_identity_file,
    read_enrolment,
    read_published_form,
    read_receipt,
)
from fieldkit.bundle.agefile import identity_from_key_file
from fieldkit.crypto.identity import SigningKey
from tests.bundle.factory import Keys, open_bytes
from tests.conftest import DATA

FROZEN = DATA / "bundle"


def _signing_key(name: str) -> SigningKey:
    lines = [ln for ln in (FROZEN / name).read_text().splitlines() if not ln.startswith("#")]
    return SigningKey.from_private_bytes(bytes.fromhex(lines[0]))


@pytest.fixture(scope="module")
def expected() -> dict[str, object]:
    value: dict[str, object] = json.loads((FROZEN / "expected.json").read_text())
    return value


def test_the_frozen_bundle_opens(expected: dict[str, object], tmp_path: Path) -> None:
    hq_identity = identity_from_key_file((FROZEN / "hq-ingest.agekey").read_text())
    device = _signing_key("device-signing.key")
    keys = Keys(device=device, hq=(hq_identity, str(expected["hq_recipient"])))
    opened = open_bytes((FROZEN / "example.fkb").read_bytes(), keys, tmp_path / "spool")

    assert opened.manifest.bundle_id == expected["bundle_id"] == "0123456789abcdef0123456789abcdef"
    assert opened.manifest_sha256 == expected["manifest_sha256"]
    assert opened.manifest.created == "2026-03-14T12:00:00Z"
    assert opened.manifest.sequence == 1 and opened.manifest.previous is None
    assert opened.device.key_id == expected["device_key_id"] == device.key_id
    assert [
        {"record": r.record_id, "revision": r.number, "sha256": r.sha256} for r in opened.revisions
    ] == expected["revisions"]
    revisions = expected["revisions"]
    assert isinstance(revisions, list)
    assert [hashlib.sha256(r.content).hexdigest() for r in opened.revisions] == [
        r["sha256"] for r in revisions
    ]
    envelope = opened.revisions[1].envelope()
    assert envelope.number == 2 and envelope.previous == opened.revisions[0].sha256
    assert envelope.data["narrative"] == "TEST: amended: levy doubled."
    assert envelope.data["position"] == {"lat": 12.5042, "lon": -1.25}
    assert [{"id": f.form_id, "version": f.version, "sha256": f.sha256} for f in opened.forms] == (
        expected["forms"]
    )
    (form,) = opened.forms
    assert hashlib.sha256(form.content).hexdigest() == form.sha256
    assert form.definition.is_identifying("photos")
    assert not form.definition.is_identifying("narrative")
    assert opened.form_for(envelope.form_id, envelope.form_version) is form
    (attachment,) = opened.attachments
    assert attachment.sha256 == expected["attachment_sha256"]
    assert attachment.path.read_bytes().startswith(b"TEST attachment")
    assert attachment.size == expected["attachment_size"]


def test_the_frozen_receipt_opens(expected: dict[str, object]) -> None:
    device_identity = identity_from_key_file((FROZEN / "device.agekey").read_text())
    hq = _signing_key("hq-signing.key")
    receipt = read_receipt(
        (FROZEN / "example-receipt.fkr").read_bytes(),
        device_identity,
        hq.public.public_key,
        device_key_id=str(expected["device_key_id"]),
    )
    revisions = expected["revisions"]
    assert isinstance(revisions, list)
    assert receipt.receipt_id == expected["receipt_id"]
    assert receipt.bundle_id == expected["bundle_id"]
    assert receipt.manifest_sha256 == expected["manifest_sha256"]
    assert receipt.accepted == (revisions[0]["sha256"],)
    assert receipt.known == (revisions[1]["sha256"],)
    assert receipt.hq_key_id == expected["hq_signing_key_id"] == hq.key_id
    assert receipt.issued == "2026-03-14T12:00:00Z"


def test_the_frozen_enrolment_and_identity_files_open(expected: dict[str, object]) -> None:
    enrolment = read_enrolment((FROZEN / "enrolment.json").read_bytes())
    hq = _signing_key("hq-signing.key")
    assert enrolment.signing_public_key == hq.public.public_key
    assert enrolment.hq_name == "TEST Mission HQ"
    assert enrolment.ingest_recipient == expected["hq_recipient"]
    assert enrolment.escrow_recipient is None
    assert enrolment.address == "https://hq.example.org/fieldkit"
    assert enrolment.fingerprint == hq.public.fingerprint

    identity = read_device_identity_file((FROZEN / "device-identity.json").read_bytes())
    assert identity.key_id == expected["device_key_id"]
    assert identity.age_recipient == expected["device_recipient"]
    assert identity.device_name == "TEST laptop 3"


def test_the_frozen_files_are_labelled_test_only() -> None:
    for name in ("hq-ingest.agekey", "device.agekey", "hq-signing.key", "device-signing.key"):
        assert "TEST-ONLY" in (FROZEN / name).read_text().splitlines()[0]


def test_the_frozen_published_form_verifies_with_the_hq_key(expected: dict[str, object]) -> None:
    hq = _signing_key("hq-signing.key")
    data = (FROZEN / "example-form.fkf").read_bytes()
    info = expected["published_form"]
    assert isinstance(info, dict)
    assert hashlib.sha256(data).hexdigest() == info["file_sha256"]

    published = read_published_form(data, hq.public.public_key)

    assert (published.form_id, published.version) == (info["id"], info["version"])
    assert published.sha256 == info["sha256"] and published.published == info["published"]
    assert published.hq_key_id == hq.key_id == expected["hq_signing_key_id"]
    assert published.definition.title == {"en": "TEST observation"}
    assert (
        make_published_form(hq_key=hq, form=published.definition, published=str(info["published"]))
        == data
    )
