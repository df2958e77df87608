"""Errors of the HQ side: one translated line each, free of record content and secrets."""

from __future__ import annotations

from fieldkit.errors import ConflictError, FieldkitError, InvalidInputError, NotFoundError
from fieldkit.i18n import _


class WrongPassphraseError(FieldkitError):
    """The HQ passphrase does not open the key file."""

    def __init__(self) -> None:
        super().__init__(_("The headquarters passphrase is wrong; nothing was changed."))


class NotInitialisedError(NotFoundError):
    """The HQ folder holds no keys yet."""


class RepositoryError(FieldkitError):
    """The repository refused a change (a constraint), or cannot be reached; nothing was stored."""


__all__ = [
    "ConflictError",
    "FieldkitError",
    "InvalidInputError",
    "NotFoundError",
    "NotInitialisedError",
    "RepositoryError",
    "WrongPassphraseError",
]
