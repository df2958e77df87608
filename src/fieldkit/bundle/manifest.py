"""The bundle manifest: what a bundle holds, signed by the device that wrote it.

The manifest is the first frame of a bundle. It lists every revision, form definition and
attachment with its SHA-256 and size, in the order the frames follow, and binds the device's key,
the bundle's place in the device's chain of bundles, and the age recipients the device encrypted
to. The device
signs ``MANIFEST_DOMAIN + manifest`` with its Ed25519 key; the manifest is parsed only after that
signature has been verified with a key the caller trusts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fieldkit.bundle import schema
from fieldkit.bundle.agefile import parse_recipient
from fieldkit.bundle.container import (
    BUNDLE_MAGIC,
    FRAME_HEADER,
    SIGNATURE_BYTES,
    SIGNATURE_FRAME_BYTES,
    attachment_frames_bytes,
    data_frame_count,
)
from fieldkit.bundle.limits import Limits
from fieldkit.bundle.schema import HEX32, HEX64, NewerFormatError, SchemaError, SizeLimitError
from fieldkit.crypto.identity import key_id_of
from fieldkit.domain.records import REVISION_FORMAT, REVISION_KIND, canonical_json
from fieldkit.i18n import _

MANIFEST_KIND = "fieldkit/bundle-manifest"
MANIFEST_VERSION = 1
MANIFEST_DOMAIN = b"fieldkit-bundle-manifest-v1\n"
MAX_SEQUENCE = 2**31 - 1
MAX_REVISION_NUMBER = 2**31 - 1

_MANIFEST_KEYS = {
    "kind",
    "v",
    "bundle",
    "created",
    "device",
    "sequence",
    "previous",
    "recipients",
    "revisions",
    "forms",
    "attachments",
}
_REVISION_KEYS = {
    "kind",
    "v",
    "record",
    "revision",
    "form",
    "data",
    "attachments",
    "previous",
    "sealed_at",
    "device",
}


@dataclass(frozen=True)
class RevisionEntry:
    record_id: str
    number: int
    sha256: str
    size: int


@dataclass(frozen=True)
class FormEntry:
    """A form definition the bundle carries: one the revisions name, by id and version."""

    form_id: str
    version: str
    sha256: str
    size: int

    @property
    def key(self) -> tuple[str, str]:
        return (self.form_id, self.version)


@dataclass(frozen=True)
class AttachmentEntry:
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    bundle_id: str
    created: str
    device_key_id: str
    device_public_key: bytes
    sequence: int
    previous: str | None
    """SHA-256 of the canonical manifest of the device's previous bundle; None for the first."""
    recipients: tuple[str, ...]
    revisions: tuple[RevisionEntry, ...]
    attachments: tuple[AttachmentEntry, ...]
    forms: tuple[FormEntry, ...] = ()
    """Sorted by (id, version): exactly the forms the revisions name."""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": MANIFEST_KIND,
            "v": MANIFEST_VERSION,
            "bundle": self.bundle_id,
            "created": self.created,
            "device": {"key_id": self.device_key_id, "public_key": self.device_public_key.hex()},
            "sequence": self.sequence,
            "previous": self.previous,
            "recipients": list(self.recipients),
            "revisions": [
                {"record": r.record_id, "revision": r.number, "sha256": r.sha256, "size": r.size}
                for r in self.revisions
            ],
            "forms": [
                {"id": f.form_id, "version": f.version, "sha256": f.sha256, "size": f.size}
                for f in self.forms
            ],
            "attachments": [{"sha256": a.sha256, "size": a.size} for a in self.attachments],
        }

    def canonical(self) -> bytes:
        return canonical_json(self.to_json())

    def frame_count(self) -> int:
        """Frames after the magic: manifest, signature, revisions, forms, attachments and data,
        end."""
        return (
            3
            + len(self.revisions)
            + len(self.forms)
            + sum(1 + data_frame_count(a.size) for a in self.attachments)
        )

    def plaintext_bytes(self, manifest_bytes: int) -> int:
        """Exact size of the inner plaintext, given the manifest's encoded size."""
        header = FRAME_HEADER.size
        return (
            len(BUNDLE_MAGIC)
            + 1
            + header
            + manifest_bytes
            + header
            + SIGNATURE_FRAME_BYTES
            + sum(header + SIGNATURE_BYTES + r.size for r in self.revisions)
            + sum(header + f.size for f in self.forms)
            + sum(attachment_frames_bytes(a.size) for a in self.attachments)
            + header
        )


def signed_message(manifest_bytes: bytes) -> bytes:
    return MANIFEST_DOMAIN + manifest_bytes


def parse_manifest(untrusted: bytes, limits: Limits) -> Manifest:
    """Parse and check a manifest whose signature has been verified. Raises :class:`SchemaError`."""
    value = schema.load_json(untrusted, max_depth=4, canonical=True)
    version = schema.header(value, MANIFEST_KIND, _("the manifest"))
    if version > MANIFEST_VERSION:
        raise NewerFormatError(version)
    if version != MANIFEST_VERSION:
        raise SchemaError(_("the manifest has an unknown format version"))
    value = schema.obj(value, _MANIFEST_KEYS, _("the manifest"))
    device = schema.obj(value["device"], {"key_id", "public_key"}, "device")
    key_id = schema.hex_string(device["key_id"], HEX32, "device.key_id")
    public_key = bytes.fromhex(schema.hex_string(device["public_key"], HEX64, "device.public_key"))
    if key_id_of(public_key) != key_id:
        raise SchemaError(_("the device key id does not match the device key"))
    sequence = schema.integer(value["sequence"], 1, MAX_SEQUENCE, "sequence")
    previous = schema.optional_hex(value["previous"], HEX64, "previous")
    if (previous is None) != (sequence == 1):
        raise SchemaError(_("only a device's first bundle may lack the previous bundle's hash"))
    manifest = Manifest(
        bundle_id=schema.hex_string(value["bundle"], HEX32, "bundle"),
        created=schema.timestamp(value["created"], "created"),
        device_key_id=key_id,
        device_public_key=public_key,
        sequence=sequence,
        previous=previous,
        recipients=_recipients(value["recipients"], limits),
        revisions=_revisions(value["revisions"], limits),
        attachments=_attachments(value["attachments"], limits),
        forms=_forms(value["forms"], limits),
    )
    check_totals(manifest, len(untrusted), limits)
    return manifest


def _recipients(value: Any, limits: Limits) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise SchemaError(_("{field} must be a non-empty list").format(field="recipients"))
    if len(value) > limits.max_recipients:
        raise SizeLimitError(_("the number of recipients"), limits.max_recipients)
    for item in value:
        parse_recipient(item, "recipients")
    if len(set(value)) != len(value):
        raise SchemaError(_("a recipient is listed twice"))
    return tuple(value)


_REVISION_ENTRY_KEYS = frozenset({"record", "revision", "sha256", "size"})


def _revisions(value: Any, limits: Limits) -> tuple[RevisionEntry, ...]:
    if not isinstance(value, list):
        raise SchemaError(_("{field} must be a list").format(field="revisions"))
    if len(value) > limits.max_revisions:
        raise SizeLimitError(_("the number of revisions"), limits.max_revisions)
    entries: list[RevisionEntry] = []
    max_size = limits.max_revision_bytes
    record_ok, sha_ok = HEX32.match, HEX64.match
    for item in value:
        # The common case in one expression (a manifest may list 100,000 revisions); anything
        # else goes through the field checks, which name what is wrong.
        if (
            type(item) is dict
            and item.keys() == _REVISION_ENTRY_KEYS
            and type(size := item["size"]) is int
            and 2 <= size <= max_size
            and type(number := item["revision"]) is int
            and 1 <= number <= MAX_REVISION_NUMBER
            and type(record := item["record"]) is str
            and record_ok(record)
            and type(sha := item["sha256"]) is str
            and sha_ok(sha)
        ):
            entries.append(RevisionEntry(record, number, sha, size))
        else:
            entries.append(_revision_entry(item, limits))
    if len({(e.record_id, e.number) for e in entries}) != len(entries):
        raise SchemaError(_("a revision is listed twice"))
    if len({e.sha256 for e in entries}) != len(entries):
        raise SchemaError(_("a revision is listed twice"))
    return tuple(entries)


def _revision_entry(item: Any, limits: Limits) -> RevisionEntry:
    item = schema.obj(item, {"record", "revision", "sha256", "size"}, "revisions[]")
    size = schema.integer(item["size"], 2, schema.MAX_SAFE_INT, "revisions[].size")
    if size > limits.max_revision_bytes:
        raise SizeLimitError(_("the size of a revision"), limits.max_revision_bytes)
    return RevisionEntry(
        record_id=schema.hex_string(item["record"], HEX32, "revisions[].record"),
        number=schema.integer(item["revision"], 1, MAX_REVISION_NUMBER, "revisions[].revision"),
        sha256=schema.hex_string(item["sha256"], HEX64, "revisions[].sha256"),
        size=size,
    )


def _forms(value: Any, limits: Limits) -> tuple[FormEntry, ...]:
    if not isinstance(value, list):
        raise SchemaError(_("{field} must be a list").format(field="forms"))
    if len(value) > limits.max_forms:
        raise SizeLimitError(_("the number of forms"), limits.max_forms)
    entries: list[FormEntry] = []
    for item in value:
        item = schema.obj(item, {"id", "version", "sha256", "size"}, "forms[]")
        size = schema.integer(item["size"], 2, schema.MAX_SAFE_INT, "forms[].size")
        if size > limits.max_form_bytes:
            raise SizeLimitError(_("the size of a form"), limits.max_form_bytes)
        entries.append(
            FormEntry(
                form_id=schema.display_text(item["id"], "forms[].id"),
                version=schema.display_text(item["version"], "forms[].version"),
                sha256=schema.hex_string(item["sha256"], HEX64, "forms[].sha256"),
                size=size,
            )
        )
    keys = [e.key for e in entries]
    if keys != sorted(set(keys)):
        raise SchemaError(_("the forms must be sorted by id and version, each listed once"))
    if len({e.sha256 for e in entries}) != len(entries):
        raise SchemaError(_("a form is listed twice"))
    return tuple(entries)


def _attachments(value: Any, limits: Limits) -> tuple[AttachmentEntry, ...]:
    if not isinstance(value, list):
        raise SchemaError(_("{field} must be a list").format(field="attachments"))
    if len(value) > limits.max_attachments:
        raise SizeLimitError(_("the number of attachments"), limits.max_attachments)
    entries: list[AttachmentEntry] = []
    for item in value:
        item = schema.obj(item, {"sha256", "size"}, "attachments[]")
        size = schema.integer(item["size"], 0, schema.MAX_SAFE_INT, "attachments[].size")
        if size > limits.max_attachment_bytes:
            raise SizeLimitError(_("the size of an attachment"), limits.max_attachment_bytes)
        entries.append(
            AttachmentEntry(schema.hex_string(item["sha256"], HEX64, "attachments[].sha256"), size)
        )
    if len({e.sha256 for e in entries}) != len(entries):
        raise SchemaError(_("an attachment is listed twice"))
    return tuple(entries)


def check_totals(manifest: Manifest, manifest_bytes: int, limits: Limits) -> None:
    if sum(r.size for r in manifest.revisions) > limits.max_revisions_total_bytes:
        raise SizeLimitError(
            _("the size of all revisions together"), limits.max_revisions_total_bytes
        )
    if sum(f.size for f in manifest.forms) > limits.max_forms_total_bytes:
        raise SizeLimitError(_("the size of all forms together"), limits.max_forms_total_bytes)
    if manifest.frame_count() > limits.max_frames:
        raise SizeLimitError(_("the number of items"), limits.max_frames)
    if manifest.plaintext_bytes(manifest_bytes) > limits.max_total_bytes:
        raise SizeLimitError(_("the size of the bundle"), limits.max_total_bytes)


def check_revision(
    content: bytes, entry: RevisionEntry, device_key_id: str, limits: Limits
) -> tuple[tuple[str, str], dict[str, Any]]:
    """Check that ``content`` is a sealed fieldkit revision matching its manifest entry; return
    the (id, version) of the form it names, and the parsed revision.

    The answers inside (``data``) are checked against their form by HQ, not here. They may hold
    numbers with fractions (decimals, coordinates).
    """
    value = schema.load_json(
        content, max_depth=limits.max_json_depth, canonical=True, fractions=True
    )
    version = schema.header(value, REVISION_KIND, _("a revision"))
    if version > REVISION_FORMAT:
        raise NewerFormatError(version)
    value = schema.obj(value, _REVISION_KEYS, _("a revision"))
    if value["record"] != entry.record_id or value["revision"] != entry.number:
        raise SchemaError(_("a revision does not match its manifest entry"))
    if value["device"] != device_key_id:
        raise SchemaError(_("a revision was sealed by another device"))
    form = schema.obj(value["form"], {"id", "version"}, "form")
    form_key = (
        schema.display_text(form["id"], "form.id"),
        schema.display_text(form["version"], "form.version"),
    )
    if not isinstance(value["data"], dict):
        raise SchemaError(_("{field} must be a JSON object").format(field="data"))
    hashes = value["attachments"]
    if not isinstance(hashes, list):
        raise SchemaError(_("{field} must be a list").format(field="attachments"))
    for digest in hashes:
        schema.hex_string(digest, HEX64, "attachments[]")
    previous = schema.optional_hex(value["previous"], HEX64, "previous")
    if (previous is None) != (entry.number == 1):
        raise SchemaError(_("a revision's link to the one before it is wrong"))
    schema.timestamp(value["sealed_at"], "sealed_at")
    return form_key, value
