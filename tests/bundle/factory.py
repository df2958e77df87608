"""Factories for bundle tests: keys, forms, sealed revisions, bundles, and raw frame surgery."""

from __future__ import annotations

import io
import json
import os
import struct
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyrage

from fieldkit.bundle import (
    DEFAULT_LIMITS,
    AttachmentSink,
    AttachmentSource,
    BundleInfo,
    FormSource,
    Limits,
    OpenedBundle,
    SealedRevision,
    form_bytes,
    open_bundle,
    write_bundle,
)
from fieldkit.bundle.agefile import new_identity, parse_identity, parse_recipient
from fieldkit.bundle.manifest import signed_message
from fieldkit.crypto.identity import SigningKey
from fieldkit.domain.forms import FormDefinition
from fieldkit.domain.records import (
    RevisionEnvelope,
    canonical_json,
    new_record_id,
    revision_signing_message,
    sha256_hex,
)

FRAME = struct.Struct(">BQ")
MAGIC = b"FKBUNDLE\x01"
MANIFEST, SIGNATURE, REVISION, ATTACHMENT, DATA, FORM, END = 1, 2, 3, 4, 5, 7, 0xFF

TEST_FORM = FormDefinition.model_validate(
    {
        "id": "test-observation",
        "version": "1",
        "title": {"en": "TEST observation"},
        "languages": ["en"],
        "fields": [
            {"name": "narrative", "type": "long_text", "label": {"en": "Narrative"}},
            {"name": "weight", "type": "decimal", "label": {"en": "Weight"}},
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
"""A small form every test revision names unless told otherwise."""


@dataclass
class Keys:
    device: SigningKey = field(default_factory=SigningKey.generate)
    hq_signing: SigningKey = field(default_factory=SigningKey.generate)
    hq: tuple[str, str] = field(default_factory=new_identity)
    escrow: tuple[str, str] = field(default_factory=new_identity)
    device_age: tuple[str, str] = field(default_factory=new_identity)
    other: tuple[str, str] = field(default_factory=new_identity)

    @property
    def recipients(self) -> list[str]:
        return [self.hq[1], self.escrow[1]]

    def trusts_device(self, key_id: str, public_key: bytes) -> bool:
        return public_key == self.device.public.public_key and key_id == self.device.key_id


def form_source(form: FormDefinition = TEST_FORM) -> FormSource:
    """A form as a device's vault hands it to the bundle writer."""
    definition = form_bytes(form)
    return FormSource(form.id, form.version, sha256_hex(definition), definition)


def forms_for(
    revisions: Sequence[SealedRevision], known: Sequence[FormDefinition] = (TEST_FORM,)
) -> list[FormSource]:
    """The form sources of the forms ``revisions`` name, taken from ``known``."""
    by_key = {(f.id, f.version): f for f in known}
    named = set()
    for revision in revisions:
        form = json.loads(revision.content)["form"]
        named.add((form["id"], form["version"]))
    return [form_source(by_key[key]) for key in sorted(named) if key in by_key]


def sealed(
    device: SigningKey,
    *,
    record_id: str | None = None,
    number: int = 1,
    previous: str | None = None,
    data: dict[str, Any] | None = None,
    attachments: Sequence[str] = (),
    device_field: str | None = None,
    form: FormDefinition = TEST_FORM,
    sealed_at: str = "2026-03-14T10:00:00Z",
) -> SealedRevision:
    record_id = record_id or new_record_id()
    envelope = RevisionEnvelope(
        record_id=record_id,
        number=number,
        form_id=form.id,
        form_version=form.version,
        data=data if data is not None else {"narrative": f"test {record_id} {number}"},
        attachments=tuple(sorted(attachments)),
        previous=previous,
        sealed_at=sealed_at,
        device=device_field or device.key_id,
    )
    content = envelope.canonical()
    return SealedRevision(
        record_id,
        number,
        sha256_hex(content),
        content,
        device.sign(revision_signing_message(content)),
    )


def source(data: bytes, piece: int = 300_000) -> AttachmentSource:
    def chunks() -> Iterator[bytes]:
        for i in range(0, len(data), piece):
            yield data[i : i + piece]

    return AttachmentSource(sha256_hex(data), len(data), chunks)


def standard_items(keys: Keys, attachments: Sequence[bytes]) -> list[SealedRevision]:
    """Two revisions of one record, the first referring to every attachment."""
    hashes = [sha256_hex(a) for a in attachments]
    first = sealed(keys.device, attachments=hashes)
    second = sealed(
        keys.device, record_id=first.record_id, number=2, previous=first.sha256, attachments=hashes
    )
    return [first, second]


def make_bundle(
    keys: Keys,
    revisions: Sequence[SealedRevision],
    attachments: Sequence[bytes] = (),
    *,
    sequence: int = 1,
    previous: str | None = None,
    recipients: Sequence[str] | None = None,
    device: SigningKey | None = None,
    limits: Limits | None = None,
    forms: Sequence[FormSource] | None = None,
) -> tuple[bytes, BundleInfo]:
    """A bundle of ``revisions``; ``forms`` defaults to the test forms they name."""
    out = io.BytesIO()
    info = write_bundle(
        out,
        device_key=device or keys.device,
        sequence=sequence,
        previous=previous,
        recipients=list(recipients) if recipients is not None else keys.recipients,
        revisions=revisions,
        attachments=[source(a) for a in attachments],
        forms=forms_for(revisions) if forms is None else forms,
        limits=limits or DEFAULT_LIMITS,
    )
    return out.getvalue(), info


def open_bytes(
    data: bytes,
    keys: Keys,
    spool: Path,
    *,
    identities: Sequence[str] | None = None,
    trusted: Callable[[str, bytes], bool] | None = None,
    limits: Limits | None = None,
    sink: AttachmentSink | None = None,
) -> OpenedBundle:
    """Open ``data``, its attachments spooled in clear into ``spool`` (or given to ``sink``)."""
    spool.mkdir(parents=True, exist_ok=True, mode=0o700)
    return open_bundle(
        io.BytesIO(data),
        list(identities) if identities is not None else [keys.hq[0]],
        trusted or keys.trusts_device,
        sink or spool,
        limits or DEFAULT_LIMITS,
    )


# -- frame surgery: decrypt with HQ's key, edit the plaintext, encrypt to the same keys ---------


def decrypt(data: bytes, identity: str) -> bytes:
    plaintext: bytes = pyrage.decrypt(data, [parse_identity(identity)])
    return plaintext


def encrypt(plaintext: bytes, recipients: Sequence[str]) -> bytes:
    encrypted: bytes = pyrage.encrypt(
        plaintext, [parse_recipient(r, "recipient") for r in recipients]
    )
    return encrypted


def split(plaintext: bytes) -> list[tuple[int, bytes]]:
    assert plaintext.startswith(MAGIC)
    frames: list[tuple[int, bytes]] = []
    pos = len(MAGIC)
    while pos < len(plaintext):
        kind, length = FRAME.unpack_from(plaintext, pos)
        pos += FRAME.size
        frames.append((kind, plaintext[pos : pos + length]))
        pos += length
    assert pos == len(plaintext)
    return frames


def join(frames: Sequence[tuple[int, bytes]], magic: bytes = MAGIC) -> bytes:
    return magic + b"".join(FRAME.pack(kind, len(payload)) + payload for kind, payload in frames)


def frame(kind: int, payload: bytes) -> bytes:
    return FRAME.pack(kind, len(payload)) + payload


def resign(
    frames: list[tuple[int, bytes]],
    signer: SigningKey,
    edit: Callable[[dict[str, Any]], None] | None = None,
    *,
    raw: bytes | None = None,
) -> list[tuple[int, bytes]]:
    """Replace the manifest (edited, or ``raw`` bytes) and sign it with ``signer``."""
    assert frames[0][0] == MANIFEST and frames[1][0] == SIGNATURE
    if raw is None:
        manifest = json.loads(frames[0][1])
        if edit is not None:
            edit(manifest)
        raw = canonical_json(manifest)
    signature = signer.public.public_key + signer.sign(signed_message(raw))
    return [(MANIFEST, raw), (SIGNATURE, signature), *frames[2:]]


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def impersonating_bundle(
    keys: Keys,
    signer: SigningKey,
    named: SigningKey,
    attachments: Sequence[bytes] = (),
    *,
    form: FormDefinition = TEST_FORM,
    data: dict[str, Any] | None = None,
) -> tuple[bytes, SealedRevision]:
    """A bundle by device ``signer`` passing itself off as device ``named``: its revision
    names ``named`` but is signed by ``signer``, and so is the manifest, which names ``named``
    as its device. Every signature verifies and the revision names the manifest's device: only
    the check that the manifest's device is its signer refuses it. Returns the bundle and the
    forged revision."""
    hashes = [sha256_hex(a) for a in attachments]
    honest = sealed(signer, data=data, form=form, attachments=hashes)
    forged = sealed(
        signer,
        record_id=honest.record_id,
        data=data,
        form=form,
        attachments=hashes,
        device_field=named.key_id,
    )
    bundle, _info = make_bundle(
        keys, [honest], attachments, device=signer, forms=[form_source(form)]
    )

    def pass_off(manifest: dict[str, Any]) -> None:
        public = named.public.public_key.hex()
        manifest["device"] = {"key_id": named.key_id, "public_key": public}
        manifest["revisions"][0].update(sha256=forged.sha256, size=len(forged.content))

    frames = resign(split(decrypt(bundle, keys.hq[0])), signer, pass_off)
    frames = [
        (kind, forged.signature + forged.content if kind == REVISION else payload)
        for kind, payload in frames
    ]
    return encrypt(join(frames), keys.recipients), forged


def make_temporaries_stale(folder: Path) -> None:
    """Date the temporary files in ``folder`` back past the age at which an export removes the
    ones no export holds (a kill's leftovers are removed by a later export, once stale)."""
    from fieldkit.bundle.writer import STALE_TEMPORARY_S
    from fieldkit.files import TEMP_PREFIX

    then = time.time() - STALE_TEMPORARY_S - 60
    for leftover in folder.glob(f"{TEMP_PREFIX}*"):
        os.utime(leftover, (then, then))
