"""Password hashes (Argon2id, argon2-cffi), the choice of a new password, temporary passwords."""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from fieldkit.domain.passphrases import MAX_LENGTH, strength
from fieldkit.hq.errors import InvalidInputError
from fieldkit.i18n import _

TEMPORARY_WORDS = 6
"""A temporary password: this many groups of 4 random characters from a 31-letter alphabet
(118 bits), given once by ``users reset`` and changed at the next sign-in."""
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


@cache
def hasher() -> PasswordHasher:
    """Argon2id with argon2-cffi's defaults (RFC 9106's second recommended set)."""
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    return hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored``. Without a stored hash (no such account) a hash
    is checked all the same, so that the answer takes as long either way."""
    try:
        return hasher().verify(stored or _dummy_hash(), password[:MAX_LENGTH]) and bool(stored)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return hasher().check_needs_rehash(stored)


def check_new_password(password: str, name: str, confirmation: str | None = None) -> None:
    """Refuse, in one line, a new password that differs from its confirmation, is too long or
    too easy to guess (the account's name counts as guessable)."""
    if confirmation is not None and password != confirmation:
        raise InvalidInputError(_("The two passwords differ. Type the same password twice."))
    if len(password) > MAX_LENGTH:
        raise InvalidInputError(
            _("The password is longer than {n} characters.").format(n=MAX_LENGTH)
        )
    verdict = strength(password, (name, "fieldkit"))
    if not verdict.acceptable:
        raise InvalidInputError(verdict.advice)


def temporary_password() -> str:
    return "-".join(
        "".join(secrets.choice(_ALPHABET) for _i in range(4)) for _j in range(TEMPORARY_WORDS)
    )
