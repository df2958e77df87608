"""The vault's tables. Every change to them comes with an Alembic migration.

Times are UTC text (``2026-11-25T10:42:00Z``), which sorts correctly. Sealed revisions and audit
entries are protected by triggers (see the migrations): once written they cannot be updated or
deleted, except that an acknowledged revision's content may be purged to NULL.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKeyConstraint, Index, LargeBinary
from sqlmodel import Field, SQLModel


class FormRow(SQLModel, table=True):
    """An installed form version, stored whole, so that old records keep their form."""

    __tablename__ = "form"

    form_id: str = Field(primary_key=True)
    version: str = Field(primary_key=True)
    definition: str  # the resolved form as canonical JSON
    sha256: str
    installed_at: str
    active: bool = True  # offered for new records
    signed_by: str | None = None  # the key id of the HQ that signed it; None for a local form
    published_at: str | None = None  # when that HQ published it


class RecordRow(SQLModel, table=True):
    __tablename__ = "record"
    __table_args__ = (
        ForeignKeyConstraint(["form_id", "form_version"], ["form.form_id", "form.version"]),
        Index("ix_record_updated", "updated_at"),
        Index("ix_record_form_status", "form_id", "status"),
        Index("ix_record_status_updated", "status", "updated_at"),
    )

    num: int | None = Field(default=None, primary_key=True)  # stable rowid, keys the search index
    id: str = Field(unique=True)  # random; what users and bundles see
    form_id: str
    form_version: str
    status: str  # draft, final, exported, acknowledged (of the newest sealed revision)
    created_at: str
    updated_at: str
    draft: str | None = None  # JSON answers being edited (a new record, or an amendment)
    revision_count: int = 0
    head_sha256: str | None = None
    title: str = ""
    event_date: str = ""
    place: str = ""


class RevisionRow(SQLModel, table=True):
    __tablename__ = "revision"
    __table_args__ = (Index("ix_revision_status", "status"),)

    record_id: str = Field(primary_key=True, foreign_key="record.id")
    number: int = Field(primary_key=True)
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    sha256: str = Field(unique=True)
    previous: str | None = None
    signature: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    key_id: str
    sealed_at: str
    status: str  # final, exported, acknowledged
    exported_at: str | None = None
    bundle_seq: int | None = None
    acknowledged_at: str | None = None


class AttachmentRow(SQLModel, table=True):
    """An attachment, named by the SHA-256 of its bytes, stored in chunks inside the database."""

    __tablename__ = "attachment"

    sha256: str = Field(primary_key=True)
    size: int
    media_type: str
    chunk_count: int
    created_at: str


class AttachmentChunkRow(SQLModel, table=True):
    __tablename__ = "attachment_chunk"

    sha256: str = Field(primary_key=True, foreign_key="attachment.sha256")
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class AuditRow(SQLModel, table=True):
    """One hash-chained entry of the audit log. ``detail`` never holds record content."""

    __tablename__ = "audit"

    seq: int = Field(primary_key=True)
    at: str
    action: str
    subject: str | None = None
    detail: str = "{}"
    previous: str
    hash: str


class IdentityRow(SQLModel, table=True):
    """The device's Ed25519 signing key; it never leaves the encrypted database."""

    __tablename__ = "device_identity"

    key_id: str = Field(primary_key=True)
    private_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    public_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: str
    active: bool = True
    age_identity: str | None = None  # X25519 secret: receipts from HQ are encrypted to it


class EnrolmentRow(SQLModel, table=True):
    """The headquarters this device is enrolled with: its keys, pinned at enrolment."""

    __tablename__ = "enrolment"

    hq_key_id: str = Field(primary_key=True)
    hq_name: str
    signing_public_key: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    ingest_recipient: str
    escrow_recipient: str | None = None
    address: str | None = None
    document: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    enrolled_at: str
    active: bool = True


class BundleRow(SQLModel, table=True):
    """A bundle this device wrote: its place in the device's chain of bundles."""

    __tablename__ = "bundle"

    seq: int = Field(primary_key=True)
    bundle_id: str = Field(unique=True)
    manifest_sha256: str
    file_name: str
    created_at: str
    revisions: int
    attachments: int
    size: int
    hq_key_id: str
    state: str = "written"  # "reserved" from just before the file is written until it is verified
    acknowledged_at: str | None = None


class ReceiptRow(SQLModel, table=True):
    """A receipt from headquarters, kept so that importing it again changes nothing."""

    __tablename__ = "receipt"

    receipt_id: str = Field(primary_key=True)
    bundle_id: str
    issued_at: str
    imported_at: str
    accepted: int


class SettingRow(SQLModel, table=True):
    __tablename__ = "setting"

    key: str = Field(primary_key=True)
    value: str  # JSON


class OutboxRow(SQLModel, table=True):
    """A bundle waiting in the vault's private outbox folder to be sent over the network."""

    __tablename__ = "outbox"

    seq: int = Field(primary_key=True, foreign_key="bundle.seq")
    kind: str  # "records" (revisions, and with them their attachments unless sent apart) or
    # "attachments" (attachments alone)
    file_name: str
    sha256: str  # of the bundle file: what HQ's upload and receipt are keyed by
    size: int
    sent: int = 0  # bytes HQ holds, as it last said
    state: str = "waiting"  # waiting, sending, at-hq, delivered, refused
    reason: str | None = None  # why HQ refused it
    created_at: str
    uploaded_at: str | None = None
    delivered_at: str | None = None


class OutboxAttachmentRow(SQLModel, table=True):
    """Which attachments an outbox bundle carries (kept until HQ's receipt for it is verified)."""

    __tablename__ = "outbox_attachment"

    seq: int = Field(primary_key=True, foreign_key="outbox.seq")
    sha256: str = Field(primary_key=True)
