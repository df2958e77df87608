"""Remembering a passphrase in the operating system's keyring (strength lives in the domain),
and the two use cases around it that the GUI and the CLI share: changing the passphrase (which
keeps a remembered one in step) and remembering one only once it is checked against the vault.

Remembering is opt-in, per vault, and refused on any keyring that stores secrets in a
plain or home-made file (``keyrings.alt``) or that does not store them at all.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from fieldkit.domain.passphrases import (
    MAX_LENGTH,
    MIN_LENGTH,
    MIN_SCORE,
    SCORE_LABELS,
    Strength,
    check_new_passphrase,
    strength,
)
from fieldkit.errors import FieldkitError
from fieldkit.i18n import _
from fieldkit.services import vaults
from fieldkit.vault import keyfile

if TYPE_CHECKING:
    from fieldkit.vault.store import Vault

log = logging.getLogger(__name__)

KEYRING_SERVICE = "fieldkit"

__all__ = [
    "MAX_LENGTH",
    "MIN_LENGTH",
    "MIN_SCORE",
    "SCORE_LABELS",
    "KeyringUnavailableError",
    "Strength",
    "change",
    "check_new_passphrase",
    "forget",
    "keyring_available",
    "recall",
    "remember",
    "remember_verified",
    "strength",
]


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


# -- use cases ----------------------------------------------------------------------------------


def remember_verified(folder: Path, passphrase: str) -> None:
    """Remember ``passphrase`` once it has opened the key file (a typo is never remembered).

    Raises ``WrongPassphraseError`` for a wrong one; the vault's files are not touched, and a
    check made while the vault is open is no guess, so it is not counted against unlocking."""
    keyfile.read_key_file(folder).unwrap(passphrase)
    remember(folder, passphrase)


def change(folder: Path, old: str, new: str, confirmation: str, vault: Vault | None = None) -> None:
    """Change the passphrase (``new`` typed twice), keeping a remembered one in step.

    If the keyring held the old passphrase but refuses the new one, the old one is forgotten:
    it no longer opens the vault, and the passphrase change itself has succeeded."""
    check_new_passphrase(new, confirmation)
    vaults.change_passphrase(folder, old, new, vault=vault)
    if recall(folder) is None:
        return
    try:
        remember(folder, new)
    except KeyringUnavailableError:
        forget(folder)
