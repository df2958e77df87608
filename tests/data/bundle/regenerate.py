"""Regenerate the frozen bundle example in this folder (TEST-ONLY keys; never use them for real).

usage: .venv/bin/python tests/data/bundle/regenerate.py [--new-keys]

The test suite never runs this: the files here are a compatibility guard, so that a change to the
format that would stop today's bundles from opening fails the tests. Regenerate only on purpose
(a deliberate, versioned format change), and say so in the commit. Keys are kept unless
``--new-keys`` is given. age encryption is randomised, so the .fkb and .fkr files change on every
run; everything signed (manifest, revisions, receipt body, enrolment, identity, published form)
is deterministic.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

from fieldkit.bundle import (
    AttachmentSource,
    FormSource,
    SealedRevision,
    form_bytes,
    make_device_identity_file,
    make_enrolment,
    make_published_form,
    make_receipt,
    write_bundle,
)
from fieldkit.bundle.agefile import (
    identity_from_key_file,
    new_identity,
    parse_identity,
    recipient_of,
)
from fieldkit.crypto.identity import SigningKey
from fieldkit.domain.forms import FormDefinition
from fieldkit.domain.records import RevisionEnvelope, revision_signing_message, sha256_hex

HERE = Path(__file__).resolve().parent
WARNING = "# TEST-ONLY KEY from the fieldkit test suite. It is public. Never use it for real data."
RECORD_ID = "6b1f0c7e2a9d4e3f8c5b7a6d9e0f1a2b"
BUNDLE_ID = "0123456789abcdef0123456789abcdef"
RECEIPT_ID = "fedcba9876543210fedcba9876543210"
CREATED = "2026-03-14T12:00:00Z"
ATTACHMENT = b"TEST attachment: a photo of a checkpoint would go here.\n"
FORM = FormDefinition.model_validate(
    {
        "id": "test-observation",
        "version": "1",
        "title": {"en": "TEST observation"},
        "languages": ["en"],
        "fields": [
            {"name": "narrative", "type": "long_text", "label": {"en": "Narrative"}},
            {"name": "position", "type": "geopoint", "label": {"en": "Position"}},
            {
                "name": "photos",
                "type": "attachment",
                "label": {"en": "Photos"},
                "sensitivity": "identifying",
            },
        ],
    }
)


def _age_key(path: Path, new: bool) -> str:
    if path.exists() and not new:
        return identity_from_key_file(path.read_text(encoding="utf-8"))
    identity, recipient = new_identity()
    path.write_text(f"{WARNING}\n# public key: {recipient}\n{identity}\n", encoding="utf-8")
    return identity


def _signing_key(path: Path, new: bool) -> SigningKey:
    if path.exists() and not new:
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln[:1] != "#"]
        return SigningKey.from_private_bytes(bytes.fromhex(lines[0].strip()))
    key = SigningKey.generate()
    comment = f"# Ed25519 private key (hex); key id {key.key_id}"
    path.write_text(f"{WARNING}\n{comment}\n{key.private_bytes().hex()}\n", encoding="utf-8")
    return key


def _revision(
    device: SigningKey,
    number: int,
    previous: str | None,
    data: dict[str, object],
    attachments: tuple[str, ...],
) -> SealedRevision:
    envelope = RevisionEnvelope(
        record_id=RECORD_ID,
        number=number,
        form_id=FORM.id,
        form_version=FORM.version,
        data=data,
        attachments=attachments,
        previous=previous,
        sealed_at=f"2026-03-14T1{number}:00:00Z",
        device=device.key_id,
    )
    content = envelope.canonical()
    return SealedRevision(
        RECORD_ID,
        number,
        sha256_hex(content),
        content,
        device.sign(revision_signing_message(content)),
    )


def write_published_form(hq_signing: SigningKey) -> dict[str, object]:
    """``example-form.fkf``: the example form as HQ publishes it (deterministic)."""
    signed = make_published_form(hq_key=hq_signing, form=FORM, published=CREATED)
    (HERE / "example-form.fkf").write_bytes(signed)
    return {
        "id": FORM.id,
        "version": FORM.version,
        "sha256": sha256_hex(form_bytes(FORM)),
        "published": CREATED,
        "file_sha256": sha256_hex(signed),
    }


def main(new_keys: bool) -> None:
    hq_age = _age_key(HERE / "hq-ingest.agekey", new_keys)
    device_age = _age_key(HERE / "device.agekey", new_keys)
    hq_signing = _signing_key(HERE / "hq-signing.key", new_keys)
    device = _signing_key(HERE / "device-signing.key", new_keys)
    hq_recipient = recipient_of(parse_identity(hq_age))
    device_recipient = recipient_of(parse_identity(device_age))

    attachment_sha = sha256_hex(ATTACHMENT)
    ref = {
        "sha256": attachment_sha,
        "name": "../x checkpoint.txt",
        "media_type": "text/plain",
        "size": len(ATTACHMENT),
    }
    first = _revision(
        device,
        1,
        None,
        {"narrative": "TEST: fuel levy at the bridge.", "photos": [ref]},
        (attachment_sha,),
    )
    second = _revision(
        device,
        2,
        first.sha256,
        {
            "narrative": "TEST: amended: levy doubled.",
            "photos": [ref],
            "position": {"lat": 12.5042, "lon": -1.25},
        },
        (attachment_sha,),
    )
    definition = form_bytes(FORM)
    form = FormSource(FORM.id, FORM.version, sha256_hex(definition), definition)
    out = io.BytesIO()
    info = write_bundle(
        out,
        device_key=device,
        sequence=1,
        previous=None,
        recipients=[hq_recipient],
        revisions=[first, second],
        attachments=[AttachmentSource(attachment_sha, len(ATTACHMENT), lambda: [ATTACHMENT])],
        forms=[form],
        bundle_id=BUNDLE_ID,
        created=CREATED,
    )
    (HERE / "example.fkb").write_bytes(out.getvalue())
    (HERE / "example-receipt.fkr").write_bytes(
        make_receipt(
            hq_key=hq_signing,
            device_recipient=device_recipient,
            bundle_id=info.bundle_id,
            manifest_sha256=info.manifest_sha256,
            device_key_id=device.key_id,
            sequence=1,
            accepted=[first.sha256],
            known=[second.sha256],
            receipt_id=RECEIPT_ID,
            issued=CREATED,
        )
    )
    (HERE / "enrolment.json").write_bytes(
        make_enrolment(
            hq_key=hq_signing,
            hq_name="TEST Mission HQ",
            ingest_recipient=hq_recipient,
            address="https://hq.example.org/fieldkit",
            created=CREATED,
        )
    )
    (HERE / "device-identity.json").write_bytes(
        make_device_identity_file(
            device_key=device,
            age_recipient=device_recipient,
            device_name="TEST laptop 3",
            created=CREATED,
        )
    )
    expected = {
        "bundle_id": info.bundle_id,
        "manifest_sha256": info.manifest_sha256,
        "device_key_id": device.key_id,
        "revisions": [
            {"record": r.record_id, "revision": r.number, "sha256": r.sha256}
            for r in (first, second)
        ],
        "forms": [{"id": form.form_id, "version": form.version, "sha256": form.sha256}],
        "attachment_sha256": attachment_sha,
        "attachment_size": len(ATTACHMENT),
        "receipt_id": RECEIPT_ID,
        "hq_signing_key_id": hq_signing.key_id,
        "hq_recipient": hq_recipient,
        "device_recipient": device_recipient,
        "published_form": write_published_form(hq_signing),
    }
    (HERE / "expected.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")
    print(f"wrote the example to {HERE}")


if __name__ == "__main__":
    main("--new-keys" in sys.argv[1:])
