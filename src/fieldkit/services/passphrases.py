"""Remembering a passphrase in the operating system's keyring (strength lives in the domain),
and the two use cases around it that the GUI and the CLI share: changing the passphrase (which
keeps a remembered one in step) and remembering one only once it is checked against the vault.

Remembering is opt-in, per vault, and only in the operating system's own secret store (Secret
Service, KWallet, the macOS Keychain, the Windows Credential Locker); any other keyring backend
is refused, also one named in ``PYTHON_KEYRING_BACKEND``.
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


def _system_keyrings() -> tuple[type, ...]:
    """The operating systems' own secret stores, by their classes in ``keyring.backends``."""
    from keyring.backends import SecretService, Windows, kwallet, libsecret, macOS

    return (
        SecretService.Keyring,  # GNOME Keyring, KeePassXC and others, over D-Bus
        libsecret.Keyring,  # the same Secret Service, through libsecret
        kwallet.DBusKeyring,
        kwallet.DBusKeyringKWallet4,
        macOS.Keyring,  # the macOS Keychain
        Windows.WinVaultKeyring,  # the Windows Credential Locker
    )


SYSTEM_KEYRING_NAMES = "Secret Service, KWallet, macOS Keychain, Windows Credential Locker"


def _choose_backend() -> tuple[object | None, str]:
    """The keyring to use and, when there is none to use, why (a user message).

    Only the system stores are accepted, compared by their exact class: a backend named in
    ``PYTHON_KEYRING_BACKEND``, a plug-in (``keyrings.alt`` keeps secrets in a file of its own) or
    a subclass of a system store is refused. keyring's chainer, which tries every backend it
    found in turn, is reduced to the first system store in it."""
    no_keyring = _(
        "This device has no secure keyring; fieldkit will keep asking for the passphrase."
    )
    try:
        import keyring
        from keyring.backends import chainer, fail, null
    except ImportError:
        return None, no_keyring
    backend = keyring.get_keyring()
    allowed = _system_keyrings()
    chain = list(backend.backends) if isinstance(backend, chainer.ChainerBackend) else [backend]
    for item in chain:
        if type(item) in allowed:
            return item, ""
    refused = [item for item in chain if not isinstance(item, fail.Keyring | null.Keyring)]
    if not refused:
        return None, no_keyring
    name = ", ".join(f"{type(item).__module__}.{type(item).__qualname__}" for item in refused)
    return None, _(
        "The keyring {name} is not one of the system's own stores ({stores}); fieldkit will not "
        "remember the passphrase in it and will keep asking for it."
    ).format(name=name, stores=SYSTEM_KEYRING_NAMES)


def _safe_backend() -> object | None:
    """The system keyring, or None when there is none or it is not one of the system stores."""
    return _choose_backend()[0]


def keyring_available() -> bool:
    return _safe_backend() is not None


def remember(folder: Path, passphrase: str) -> None:
    backend, refusal = _choose_backend()
    if backend is None:
        raise KeyringUnavailableError(refusal)
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


def change(
    folder: Path,
    old: str,
    new: str,
    confirmation: str,
    vault: Vault | None = None,
    *,
    rotate_key: bool = False,
) -> Vault | None:
    """Change the passphrase (``new`` typed twice), keeping a remembered one in step; with
    ``rotate_key``, also replace the database key (see ``vaults.change_passphrase``: the
    vault reopened under the new key is returned when ``vault`` was given).

    If the keyring held the old passphrase but refuses the new one, the old one is forgotten:
    it no longer opens the vault, and the passphrase change itself has succeeded."""
    check_new_passphrase(new, confirmation)
    reopened = vaults.change_passphrase(folder, old, new, vault=vault, rotate_key=rotate_key)
    if recall(folder) is not None:
        try:
            remember(folder, new)
        except KeyringUnavailableError:
            forget(folder)
    return reopened
