"""Refusals of the sync server: a stable code a device can act on, an HTTP status, one line."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from fieldkit.errors import FieldkitError
from fieldkit.i18n import _


class Code(StrEnum):
    BAD_REQUEST = "bad-request"
    UNKNOWN_DEVICE = "unknown-device"
    REVOKED_DEVICE = "revoked-device"
    LOST_DEVICE = "lost-device"
    BAD_CHALLENGE = "bad-challenge"
    BAD_SIGNATURE = "bad-signature"
    BAD_TOKEN = "bad-token"  # noqa: S105 - an error code
    NOT_FOUND = "not-found"
    OFFSET_MISMATCH = "offset-mismatch"
    BUSY = "busy"
    UNSUPPORTED_MEDIA = "unsupported-media-type"
    TOO_LARGE = "too-large"
    CHECKSUM_MISMATCH = "checksum-mismatch"
    BUNDLE_MISMATCH = "bundle-mismatch"
    BUNDLE_REJECTED = "bundle-rejected"
    NO_RECEIPT = "no-receipt"
    RATE_LIMITED = "rate-limited"
    TUS_VERSION = "tus-version"
    RECEIPT_NOT_WRITTEN = "receipt-not-written"


STATUS = {
    Code.BAD_REQUEST: 400,
    Code.UNKNOWN_DEVICE: 403,
    Code.REVOKED_DEVICE: 403,
    Code.LOST_DEVICE: 403,
    Code.BAD_CHALLENGE: 401,
    Code.BAD_SIGNATURE: 401,
    Code.BAD_TOKEN: 401,
    Code.NOT_FOUND: 404,
    Code.OFFSET_MISMATCH: 409,
    Code.BUSY: 423,
    Code.UNSUPPORTED_MEDIA: 415,
    Code.TOO_LARGE: 413,
    Code.CHECKSUM_MISMATCH: 460,
    Code.BUNDLE_MISMATCH: 422,
    Code.BUNDLE_REJECTED: 422,
    Code.NO_RECEIPT: 404,
    Code.RATE_LIMITED: 429,
    Code.TUS_VERSION: 412,
    Code.RECEIPT_NOT_WRITTEN: 503,
}


class SyncError(FieldkitError):
    def __init__(
        self,
        code: Code,
        message: str,
        retry_after: int | None = None,
        extra: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = STATUS[code]
        self.retry_after = retry_after
        self.extra = dict(extra or {})
        """More members of the JSON answer (the erase order of a lost device)."""

    def to_json(self) -> dict[str, object]:
        return {**self.extra, "error": self.code.value, "message": self.user_message}


def too_large(limit: int) -> SyncError:
    """The refusal of a body or an upload over ``limit`` bytes."""
    return SyncError(
        Code.TOO_LARGE, _("Too large: at most {n} bytes are accepted here.").format(n=limit)
    )
