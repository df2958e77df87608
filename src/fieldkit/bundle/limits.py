"""Hard limits for reading untrusted bundles, receipts and enrolment files.

Every size a file declares is checked against these limits before anything is allocated or read,
and every size it really has is checked while it streams. The writer enforces the same limits,
so a device never writes a bundle that HQ would refuse: the caller splits a large export into
several bundles instead.
"""

from __future__ import annotations

from dataclasses import dataclass

KIB = 1 << 10
MIB = 1 << 20
GIB = 1 << 30


@dataclass(frozen=True)
class Limits:
    max_manifest_bytes: int = 16 * MIB
    max_revisions: int = 100_000
    max_revision_bytes: int = 4 * MIB
    """Canonical JSON of one revision."""
    max_revisions_total_bytes: int = 256 * MIB
    """All revisions of a bundle together: the reader holds them in memory until ingest."""
    max_forms: int = 100
    """Form definitions in one bundle (the forms its revisions use)."""
    max_form_bytes: int = 4 * MIB
    """Canonical JSON of one form definition."""
    max_forms_total_bytes: int = 16 * MIB
    """All form definitions of a bundle together: the reader holds them in memory."""
    max_attachments: int = 10_000
    max_attachment_bytes: int = 4 * GIB
    max_total_bytes: int = 16 * GIB
    """The whole inner plaintext (the ciphertext is bounded by it plus age's overhead)."""
    max_frames: int = 250_000
    max_recipients: int = 8
    max_json_depth: int = 32
    max_receipt_bytes: int = 16 * MIB
    """An encrypted receipt, as read from a file or the network."""
    max_document_bytes: int = 64 * KIB
    """An enrolment file or a device identity file."""


DEFAULT_LIMITS = Limits()
