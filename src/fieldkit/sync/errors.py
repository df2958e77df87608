"""What can go wrong between the device and HQ, as errors the user can read.

Every message is one line in the device's own language, chosen by the refusal's stable code
(``docs/sync.md``), never HQ's text (which is in HQ's language). ``retryable`` tells the caller
whether trying again later (with back-off) can help, or whether the user must be told and act.
"""

from __future__ import annotations

import json
from typing import Any

from fieldkit.errors import ConflictError, FieldkitError, InvalidInputError, NotFoundError
from fieldkit.i18n import _

MAX_REASON_CHARS = 300


class SyncError(FieldkitError):
    """Base of the errors of talking to HQ. ``code`` is HQ's refusal code, if HQ refused."""

    retryable = False

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class NotReachableError(SyncError):
    """No answer (network error, timeout), or HQ asks to come back later (5xx, 423, 429):
    ``retry_after`` (seconds) when HQ said how long to wait."""

    retryable = True

    def __init__(
        self, message: str, *, code: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class PinMismatchError(SyncError):
    """The server's TLS key is not the one pinned at enrolment: it is not HQ. Nothing was sent.

    Retryable: a network that intercepts connections (a hotel's or a captive portal's) answers
    this way too, and trying again later sends nothing until HQ's own key answers."""

    retryable = True

    def __init__(self, address: str) -> None:
        super().__init__(
            _(
                "The server at {address} is not your headquarters: its TLS key is not the one "
                "pinned at enrolment. Nothing was sent; fieldkit tries again later. If this "
                "goes on on a network you trust, tell headquarters."
            ).format(address=address)
        )


class NotHqError(SyncError):
    """The server did not sign the ping with HQ's key: a captive portal or another server."""

    retryable = True

    def __init__(self, address: str) -> None:
        super().__init__(
            _(
                "The server at {address} did not prove it is your headquarters (a captive portal "
                "or another server answered). Nothing was sent; try again on another network."
            ).format(address=address)
        )


class ProtocolError(SyncError):
    """An answer that does not follow the protocol, or a refusal the client cannot act on."""

    retryable = True


class DeviceRevokedError(SyncError, ConflictError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "Headquarters revoked this device: it no longer accepts its bundles. "
                "Contact headquarters."
            ),
            code="revoked-device",
        )


class UnknownDeviceError(SyncError, ConflictError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "Headquarters does not know this device: it was not enrolled there. "
                "Send headquarters this device's identity file."
            ),
            code="unknown-device",
        )


class DeviceLostError(SyncError, ConflictError):
    """HQ reported this device lost; ``order`` is the erase order of the answer, unverified
    (whoever acts on it verifies it against HQ's pinned signing key first)."""

    def __init__(self, order: object) -> None:
        super().__init__(
            _("Headquarters reported this device lost and sent an order to erase its vault."),
            code="lost-device",
        )
        self.order = order


class BundleRejectedError(SyncError, InvalidInputError):
    """HQ refused the bundle itself; sending the same bytes again cannot help. ``reason`` is
    one line saying why (HQ's own words for an ingest refusal)."""

    def __init__(self, reason: str, *, code: str | None = None) -> None:
        super().__init__(
            _("Headquarters refused the bundle: {reason}").format(reason=reason), code=code
        )
        self.reason = reason


class NotOnHqError(SyncError, NotFoundError):
    """HQ holds no such thing (a form that is no longer published)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="not-found")


class SyncCancelledError(SyncError):
    """The caller stopped the transfer; what HQ already holds is kept and resumed next time."""

    def __init__(self) -> None:
        super().__init__(_("Sending was stopped; it resumes where it stopped the next time."))


def not_reachable(address: str, problem: str) -> NotReachableError:
    """The error of a network failure; ``problem`` says what happened, translated."""
    return NotReachableError(
        _(
            "Headquarters at {address} cannot be reached: {problem}. It is tried again later."
        ).format(address=address, problem=problem)
    )


def bad_answer() -> ProtocolError:
    """The error of an answer from HQ that does not follow the protocol."""
    return ProtocolError(_("Headquarters sent an answer this version of fieldkit cannot read."))


def refusal_code(body: bytes) -> tuple[str | None, dict[str, Any]]:
    """The ``error`` code of a JSON refusal and the object, or (None, {}) if it is not one."""
    try:
        value = json.loads(body)
    except ValueError:
        return None, {}
    if not isinstance(value, dict) or not isinstance(value.get("error"), str):
        return None, {}
    return value["error"], value


def retry_after_of(header: str | None) -> float | None:
    """Seconds of a ``Retry-After`` header in seconds (dates are not used by HQ)."""
    if header is None or not header.strip().isdigit() or len(header.strip()) > 9:
        return None
    return float(header.strip())


def error_for(status: int, body: bytes, retry_after: str | None = None) -> SyncError:
    """The error for an HTTP refusal of HQ (status, body, Retry-After header)."""
    code, answer = refusal_code(body)
    wait = retry_after_of(retry_after)
    if code == "lost-device":
        return DeviceLostError(answer.get("erase"))
    if code == "revoked-device":
        return DeviceRevokedError()
    if code == "unknown-device":
        return UnknownDeviceError()
    if code == "bundle-rejected":
        return BundleRejectedError(_server_reason(answer), code=code)
    if code == "bundle-mismatch":
        return BundleRejectedError(
            _("its bytes do not have the SHA-256 it was sent with; it was not stored"), code=code
        )
    if code == "too-large":
        return BundleRejectedError(_("it is larger than headquarters accepts"), code=code)
    if code == "checksum-mismatch":
        return ProtocolError(
            _("A part of the bundle arrived damaged at headquarters; it is sent again."),
            code=code,
        )
    if code == "busy":
        return NotReachableError(
            _("Headquarters is busy with this upload; it is tried again shortly."),
            code=code,
            retry_after=wait,
        )
    if code == "rate-limited":
        return NotReachableError(
            _("Headquarters asks this device to wait before sending more."),
            code=code,
            retry_after=wait,
        )
    if code == "receipt-not-written":
        return NotReachableError(
            _("Headquarters stored the bundle but could not write its receipt yet."),
            code=code,
            retry_after=wait,
        )
    if status >= 500 or status in (423, 429):
        return NotReachableError(
            _("Headquarters cannot answer now (HTTP status {status}).").format(status=status),
            code=code,
            retry_after=wait,
        )
    if code in ("bad-token", "bad-challenge", "bad-signature"):
        return ProtocolError(
            _("Headquarters did not accept this device's sign-in ({code}).").format(code=code),
            code=code,
        )
    return ProtocolError(
        _("Headquarters refused a request (HTTP status {status}, {code}).").format(
            status=status, code=code or _("no reason given")
        ),
        code=code,
    )


def _server_reason(answer: dict[str, Any]) -> str:
    text = answer.get("message")
    if not isinstance(text, str) or not text.strip():
        return _("no reason given")
    line = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return line[:MAX_REASON_CHARS]
