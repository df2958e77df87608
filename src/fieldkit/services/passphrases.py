"""Passphrase strength, and remembering a passphrase in the operating system's keyring.

Strength is judged by zxcvbn (dictionary words, keyboard patterns, dates, repeats), with a minimum
length. Remembering is opt-in, per vault, and refused on any keyring that stores secrets in a
plain or home-made file (``keyrings.alt``) or that does not store them at all.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from fieldkit.errors import FieldkitError, InvalidInputError
from fieldkit.i18n import N_, _

log = logging.getLogger(__name__)

MIN_LENGTH = 12
MIN_SCORE = 3  # zxcvbn: 0 (guessable) to 4 (very unguessable)
MAX_LENGTH = 1024
KEYRING_SERVICE = "fieldkit"

SCORE_LABELS = (N_("very weak"), N_("weak"), N_("fair"), N_("strong"), N_("very strong"))


@dataclass(frozen=True)
class Strength:
    score: int  # 0..4
    acceptable: bool
    advice: str  # translated, empty when acceptable

    @property
    def label(self) -> str:
        return _(SCORE_LABELS[self.score])


def strength(passphrase: str, context: tuple[str, ...] = ()) -> Strength:
    from zxcvbn import zxcvbn

    if len(passphrase) < MIN_LENGTH:
        score = 0 if len(passphrase) < 8 else 1
        return Strength(
            score,
            False,
            _("Use at least {n} characters; several unrelated words are easy to remember.").format(
                n=MIN_LENGTH
            ),
        )
    result = zxcvbn(passphrase[:100], user_inputs=list(context))
    score = int(result["score"])
    if score < MIN_SCORE:
        return Strength(
            score,
            False,
            _("This passphrase is too easy to guess. Add more unrelated words."),
        )
    return Strength(score, True, "")


def check_new_passphrase(passphrase: str, confirmation: str | None = None) -> None:
    if confirmation is not None and passphrase != confirmation:
        raise InvalidInputError(_("The two passphrases differ. Type the same passphrase twice."))
    if len(passphrase) > MAX_LENGTH:
        raise InvalidInputError(
            _("The passphrase is longer than {n} characters.").format(n=MAX_LENGTH)
        )
    verdict = strength(passphrase)
    if not verdict.acceptable:
        raise InvalidInputError(verdict.advice)


# -- remembering on this device ------------------------------------------------------------------


class KeyringUnavailableError(FieldkitError):
    pass


def _account(folder: Path) -> str:
    return "vault-" + hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:24]


def _safe_backend() -> object | None:
    """The system keyring, or None when there is none or it is not safe to use."""
    try:
        import keyring
        from keyring.backends import fail, null
    except ImportError:
        return None
    backend = keyring.get_keyring()
    chain = list(getattr(backend, "backends", [backend]))
    for item in chain:
        module = type(item).__module__
        if module.startswith("keyrings.alt") or "Plaintext" in type(item).__name__:
            return None
        if isinstance(item, fail.Keyring | null.Keyring):
            return None
    return backend


def keyring_available() -> bool:
    return _safe_backend() is not None


def remember(folder: Path, passphrase: str) -> None:
    backend = _safe_backend()
    if backend is None:
        raise KeyringUnavailableError(
            _("This device has no secure keyring; fieldkit will keep asking for the passphrase.")
        )
    try:
        backend.set_password(KEYRING_SERVICE, _account(folder), passphrase)  # type: ignore[attr-defined]
    except Exception as exc:  # keyring backends raise their own error types
        log.warning("keyring refused to store the passphrase: %s", type(exc).__name__)
        raise KeyringUnavailableError(
            _("The keyring refused to remember the passphrase.")
        ) from None


def recall(folder: Path) -> str | None:
    backend = _safe_backend()
    if backend is None:
        return None
    try:
        value = backend.get_password(KEYRING_SERVICE, _account(folder))  # type: ignore[attr-defined]
    except Exception as exc:  # a locked or broken keyring: fall back to asking
        log.info("keyring unavailable: %s", type(exc).__name__)
        return None
    return value if isinstance(value, str) else None


def forget(folder: Path) -> None:
    backend = _safe_backend()
    if backend is None:
        return
    try:
        backend.delete_password(KEYRING_SERVICE, _account(folder))  # type: ignore[attr-defined]
    except Exception as exc:  # nothing remembered, or the keyring is gone
        log.info("keyring: nothing forgotten (%s)", type(exc).__name__)
