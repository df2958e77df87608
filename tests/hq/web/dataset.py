"""One more bundle for the workspace's demonstration HQ: a record with identifying answers and a
small PNG photo, amended once, and a second record of the same device on the same day.

Everything goes through fieldkit's own code, as ``scripts/hq_demo.py`` does: a second field
device is registered with ``fieldkit-hq devices add``; its records are the shipped attack form's
(version 2), checked as a device checks them, signed by the device's key, sealed in a bundle
encrypted to HQ with the photo, and ingested with ``fieldkit-hq ingest``. Every name is
fictional.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from fieldkit.bundle import (
    DEFAULT_LIMITS,
    AttachmentSource,
    SealedRevision,
    make_device_identity_file,
    write_bundle,
)
from fieldkit.bundle.agefile import new_identity
from fieldkit.bundle.writer import new_bundle_file_name
from fieldkit.crypto.identity import SigningKey
from fieldkit.domain.forms import FormDefinition
from fieldkit.domain.records import RevisionEnvelope, revision_signing_message, sha256_hex
from fieldkit.domain.validation import check
from fieldkit.hq.keys import load_config
from fieldkit.hq.paths import HqPaths
from fieldkit.hq.repository import Repository

PHOTO_RECORD = "ab" + "0" * 28 + "01"
"""The record with identifying answers and the photo (two revisions)."""
SAME_DAY_RECORD = "ab" + "0" * 28 + "02"
"""Another record of the same device about the same day."""
VICTIM_NAME = "Aminata CANARY-WS"
"""An identifying answer: the victim's name (fictional)."""
SOURCE_PSEUDONYM = "SRC-WS-CANARY"
"""Another identifying answer."""
RESTRICTED_WORD = "quartzvein"
"""A word written only in a restricted answer (the narrative) of the photo record."""
PUBLIC_PSEUDONYM = "VIC-WS01"
"""The victim's public pseudonym."""
DEVICE_NAME = "Segou field phone"
DAY = "2026-03-21"


def demo_module() -> ModuleType:
    """``scripts/hq_demo.py`` (loaded once, by the workspace's test support)."""
    from tests.hq.web.support import hq_demo  # support builds the HQ with this module

    return hq_demo()


def png(width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (200, 30, 40)) -> bytes:
    """A small PNG image of one colour (made here: no image library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PHOTO = png()
PHOTO_SHA256 = sha256_hex(PHOTO)


@dataclass(frozen=True)
class WorkspaceDataset:
    """What the tests need to know of the added bundle."""

    device_key_id: str
    photo_record: str
    same_day_record: str
    photo_sha256: str
    photo: bytes
    revisions: tuple[str, ...]
    """The photo record's revision hashes, oldest first."""


def _photo_data(demo: ModuleType, narrative: str) -> dict[str, Any]:
    victim = demo._victim_v2(
        VICTIM_NAME,
        PUBLIC_PSEUDONYM,
        "female",
        "age_30_44",
        "kidnapping",
        "armed_group",
        "released",
    )
    victim["victim_photo"] = [
        {"sha256": PHOTO_SHA256, "name": "photo.png", "media_type": "image/png", "size": len(PHOTO)}
    ]
    data: dict[str, Any] = demo._v2(DAY, "ML-4", victim, "armed_group")
    data["information"][0]["source_pseudonym"] = SOURCE_PSEUDONYM
    data["narrative"] = narrative
    return data


def _same_day_data(demo: ModuleType) -> dict[str, Any]:
    victim = demo._victim_v2(
        "Oumar FICTIF", "VIC-WS02", "male", "age_45_59", "other_harmful_act", "unknown", "injured"
    )
    victim["acts"][0]["act_subtype"] = ["death_threat"]
    return dict(demo._v2(DAY, "ML-4", victim, "unknown"), narrative="Fictional: threats.")


def _sealed(
    device: SigningKey,
    form: FormDefinition,
    record_id: str,
    number: int,
    data: dict[str, Any],
    previous: str | None,
    attachments: tuple[str, ...] = (),
) -> SealedRevision:
    demo_clock = demo_module().CLOCK
    outcome = check(form, data, clock=lambda: demo_clock)
    if not outcome.ok:
        problems = "; ".join(p.describe() for p in outcome.problems)
        raise AssertionError(f"workspace record {record_id} does not check: {problems}")
    envelope = RevisionEnvelope(
        record_id=record_id,
        number=number,
        form_id=form.id,
        form_version=form.version,
        data=outcome.data,
        attachments=attachments,
        previous=previous,
        sealed_at=f"{DAY}T1{number}:00:00Z",
        device=device.key_id,
    )
    content = envelope.canonical()
    return SealedRevision(
        record_id,
        number,
        sha256_hex(content),
        content,
        device.sign(revision_signing_message(content)),
    )


def add_workspace_bundle(folder: Path) -> WorkspaceDataset:
    """Register a second device in the demonstration HQ made by ``hq_demo.build(folder)`` and
    ingest its bundle (the HQ passphrase is in the environment, as ``build`` left it)."""
    demo = demo_module()
    device, age = SigningKey.generate(), new_identity()
    identity = folder / "device-2.json"
    identity.write_bytes(
        make_device_identity_file(device_key=device, age_recipient=age[1], device_name=DEVICE_NAME)
    )
    if demo.hq(folder, "devices", "add", str(identity)) != 0:
        raise AssertionError("fieldkit-hq devices add failed")
    config = load_config(HqPaths(folder / "hq"))
    recipients = [config.ingest_recipient, *filter(None, [config.escrow_recipient])]
    form = demo.attack_form("2")
    first = _sealed(
        device,
        form,
        PHOTO_RECORD,
        1,
        _photo_data(demo, "Fictional: taken near the market."),
        None,
        (PHOTO_SHA256,),
    )
    amended = _sealed(
        device,
        form,
        PHOTO_RECORD,
        2,
        _photo_data(demo, f"Fictional: taken near the {RESTRICTED_WORD} workings."),
        first.sha256,
        (PHOTO_SHA256,),
    )
    other = _sealed(device, form, SAME_DAY_RECORD, 1, _same_day_data(demo), None)
    out = io.BytesIO()
    write_bundle(
        out,
        device_key=device,
        sequence=1,
        previous=None,
        recipients=recipients,
        revisions=[first, amended, other],
        attachments=[AttachmentSource(PHOTO_SHA256, len(PHOTO), lambda: [PHOTO])],
        forms=[demo._form_source(form)],
        limits=DEFAULT_LIMITS,
    )
    stick = folder / "stick-2"
    stick.mkdir(exist_ok=True)
    (stick / new_bundle_file_name()).write_bytes(out.getvalue())
    if demo.hq(folder, "ingest", str(stick)) != 0:
        raise AssertionError("fieldkit-hq ingest failed")
    return WorkspaceDataset(
        device.key_id,
        PHOTO_RECORD,
        SAME_DAY_RECORD,
        PHOTO_SHA256,
        PHOTO,
        (first.sha256, amended.sha256),
    )


def rid_demo(number: int) -> str:
    """The id of the demonstration's record ``number`` (``scripts/hq_demo.py``)."""
    value: str = demo_module().rid(number)
    return value


def find_dataset(repository: Repository) -> WorkspaceDataset:
    """What :func:`add_workspace_bundle` added, read back from the repository it went into."""
    device = next(d for d in repository.devices() if d.name == DEVICE_NAME)
    revisions = sorted(
        (r for r in repository.iter_revisions() if r.record_id == PHOTO_RECORD),
        key=lambda r: r.number,
    )
    return WorkspaceDataset(
        device.key_id,
        PHOTO_RECORD,
        SAME_DAY_RECORD,
        PHOTO_SHA256,
        PHOTO,
        tuple(r.sha256 for r in revisions),
    )
