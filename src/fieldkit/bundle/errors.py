"""Errors of the bundle layer: one translated line each, free of record content and secrets.

Every failure to read or write a bundle, receipt, enrolment file or device identity file raises a
:class:`BundleError` subclass. The subclass says what kind of failure it is (so that HQ can
quarantine a tampered bundle but retry after a full disk); the message says it to the user.
"""

from __future__ import annotations

from enum import StrEnum

from fieldkit.bundle.schema import ForeignFormatError, NewerFormatError, SchemaError, SizeLimitError
from fieldkit.errors import FieldkitError
from fieldkit.i18n import N_, _


class Kind(StrEnum):
    """The kinds of file this layer reads; each has its own wording."""

    BUNDLE = "bundle"
    RECEIPT = "receipt"
    ENROLMENT = "enrolment"
    IDENTITY = "device-identity"
    PUBLISHED_FORM = "published-form"
    ERASE_ORDER = "erase-order"


class BundleError(FieldkitError):
    """A bundle, receipt, enrolment or device identity file cannot be used."""


class NotRecognisedError(BundleError):
    """Not a fieldkit file of the expected kind, or not encrypted to any key we hold."""


class DamagedError(BundleError):
    """The file fails a check: damaged, truncated or tampered with."""


class UntrustedSignerError(BundleError):
    """Correctly signed, but by a key that is not (or no longer) trusted."""


class LimitExceededError(BundleError):
    """A declared or actual size or count is beyond the reader's limits."""


class NewerVersionError(BundleError):
    """Made by a newer version of fieldkit, in a format this version cannot read."""


class ExportVerificationError(BundleError):
    """A bundle just written could not be read back intact; it was removed."""


class InvalidRequestError(BundleError):
    """The caller asked for something the format cannot hold (a bug or a bad setting)."""


class SourceChangedError(BundleError):
    """What the writer was given to write does not match what it was told (hash or size)."""


_NOT_RECOGNISED = {
    Kind.BUNDLE: N_(
        "This file is not a fieldkit bundle, or it is not encrypted to this headquarters' key."
    ),
    Kind.RECEIPT: N_(
        "This file is not a fieldkit receipt, or it is not encrypted to this device's key."
    ),
    Kind.ENROLMENT: N_("This file is not a fieldkit enrolment file."),
    Kind.IDENTITY: N_("This file is not a fieldkit device identity file."),
    Kind.PUBLISHED_FORM: N_("This file is not a form signed by a fieldkit headquarters (.fkf)."),
    Kind.ERASE_ORDER: N_("This is not a fieldkit erase order."),
}

_DAMAGED = {
    Kind.BUNDLE: N_("The bundle is damaged or has been tampered with ({detail})."),
    Kind.RECEIPT: N_("The receipt is damaged or has been tampered with ({detail})."),
    Kind.ENROLMENT: N_("The enrolment file is damaged or has been tampered with ({detail})."),
    Kind.IDENTITY: N_("The device identity file is damaged or has been tampered with ({detail})."),
    Kind.PUBLISHED_FORM: N_(
        "The signed form is damaged or has been tampered with ({detail}); it was not installed."
    ),
    Kind.ERASE_ORDER: N_(
        "The erase order is damaged or has been tampered with ({detail}); nothing was erased."
    ),
}

_NEWER = {
    Kind.BUNDLE: N_(
        "The bundle was made by a newer version of fieldkit (format {version}); update fieldkit "
        "to read it."
    ),
    Kind.RECEIPT: N_(
        "The receipt was made by a newer version of fieldkit (format {version}); update "
        "fieldkit to read it."
    ),
    Kind.ENROLMENT: N_(
        "The enrolment file was made by a newer version of fieldkit (format {version}); update "
        "fieldkit to read it."
    ),
    Kind.IDENTITY: N_(
        "The device identity file was made by a newer version of fieldkit (format {version}); "
        "update fieldkit to read it."
    ),
    Kind.PUBLISHED_FORM: N_(
        "The signed form was made by a newer version of fieldkit (format {version}); update "
        "fieldkit to install it."
    ),
}

_LIMIT = {
    Kind.BUNDLE: N_("The bundle is refused: {what} exceeds the limit of {limit}."),
    Kind.RECEIPT: N_("The receipt is refused: {what} exceeds the limit of {limit}."),
    Kind.ENROLMENT: N_("The enrolment file is refused: {what} exceeds the limit of {limit}."),
    Kind.IDENTITY: N_("The device identity file is refused: {what} exceeds the limit of {limit}."),
    Kind.PUBLISHED_FORM: N_("The signed form is refused: {what} exceeds the limit of {limit}."),
}


def not_recognised(kind: Kind) -> NotRecognisedError:
    return NotRecognisedError(_(_NOT_RECOGNISED[kind]))


def damaged(kind: Kind, detail: str) -> DamagedError:
    """``detail`` is already translated and names a check, never content."""
    return DamagedError(_(_DAMAGED[kind]).format(detail=detail))


def newer_version(kind: Kind, version: object) -> NewerVersionError:
    shown = version if isinstance(version, int) and not isinstance(version, bool) else "?"
    return NewerVersionError(_(_NEWER[kind]).format(version=shown))


def limit_exceeded(kind: Kind, what: str, limit: int) -> LimitExceededError:
    """``what`` is already translated; ``limit`` is shown with a binary unit when it is large."""
    return LimitExceededError(_(_LIMIT[kind]).format(what=what, limit=describe_size(limit)))


def untrusted_device(key_id: str) -> UntrustedSignerError:
    return UntrustedSignerError(
        _(
            "The bundle is signed by an unknown or revoked device (key {key_id}); it was not "
            "opened. Enrol the device first if it is yours."
        ).format(key_id=key_id)
    )


def untrusted_headquarters() -> UntrustedSignerError:
    return UntrustedSignerError(
        _(
            "The receipt is not signed by the headquarters this device is enrolled with; it was "
            "ignored."
        )
    )


def untrusted_form_signer() -> UntrustedSignerError:
    return UntrustedSignerError(
        _(
            "The form is not signed by the headquarters this device is enrolled with; it was not "
            "installed."
        )
    )


def untrusted_erase_order() -> UntrustedSignerError:
    return UntrustedSignerError(
        _(
            "The erase order is not signed by the headquarters this device is enrolled with; "
            "nothing was erased."
        )
    )


def erase_order_for_another_device() -> UntrustedSignerError:
    return UntrustedSignerError(_("The erase order names another device; nothing was erased."))


def describe_size(n: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return f"{n:,}"


def from_invalid(kind: Kind, error: Exception) -> BundleError:
    """The user-facing error for a schema failure found while reading a file of ``kind``."""
    if isinstance(error, SizeLimitError):
        return limit_exceeded(kind, error.what, error.limit)
    if isinstance(error, ForeignFormatError):
        return not_recognised(kind)
    if isinstance(error, NewerFormatError):
        return newer_version(kind, error.version)
    if isinstance(error, SchemaError):
        return damaged(kind, error.detail)
    return damaged(kind, str(error))
