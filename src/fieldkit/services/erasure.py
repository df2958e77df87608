"""Erasing the vault of a device headquarters reported lost.

HQ answers every sync request of a device it declared lost with a signed erase order
(``bundle/erase_order.py``). :func:`obey_erase_order` checks the order against the HQ signing key
pinned at enrolment and the device's own key id, and only then calls :func:`erase_vault`, which
destroys what opens the vault: the wrapped database key. The database stays as ciphertext that
nothing on the device can decrypt any more.

1. every wrapped key file (``vault.key``, a ``vault.key.rotating`` of a key replacement under
   way, and any temporary file of an interrupted write, which may be a copy of one) is
   overwritten in place with random bytes of the same length, flushed to disk, then removed;
2. the folder is flushed (the removals are on disk);
3. the passphrase fieldkit remembered in the system keyring for this vault is forgotten;
4. ``erased.json`` (HQ's name, the order's time, the erase time; nothing secret) is written, so
   that the app and the command line say why the vault no longer opens.

What lies outside the vault folder (a backup copy of ``vault.key``, exported bundles, files
exported by hand) is out of reach. Overwriting in place makes the old bytes unreadable through
the file system; flash storage may keep old copies of blocks the operating system cannot reach.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from fieldkit.bundle.erase_order import verify_erase_order
from fieldkit.domain.records import utc_timestamp
from fieldkit.files import TEMP_PREFIX, fsync_dir
from fieldkit.services import passphrases
from fieldkit.vault.erased import (
    ErasedNotice,
    VaultErasedError,
    read_notice,
    refuse_if_erased,
    write_notice,
)
from fieldkit.vault.keyfile import key_path
from fieldkit.vault.rotation import rotated_key_file

__all__ = [
    "ErasedNotice",
    "VaultErasedError",
    "erase_vault",
    "erased_notice",
    "obey_erase_order",
    "refuse_if_erased",
]

log = logging.getLogger(__name__)

_BLOCK = 1 << 16


def erased_notice(folder: Path) -> ErasedNotice | None:
    """Why the vault in ``folder`` no longer opens, if it was erased on HQ's order."""
    return read_notice(folder)


def obey_erase_order(
    vault_folder: Path,
    order: object,
    enrolled_hq_signing_public_key: bytes,
    hq_name: str,
    device_key_id: str,
) -> ErasedNotice:
    """Erase the vault if ``order`` is HQ's signed order for this device; return the notice.

    An order that is malformed, not signed by the enrolled HQ key or for another device raises
    the :class:`~fieldkit.bundle.BundleError` that says so, and nothing is erased."""
    verified = verify_erase_order(order, enrolled_hq_signing_public_key, device_key_id)
    notice = ErasedNotice(hq_name=hq_name, issued=verified.issued, erased_at=utc_timestamp())
    erase_vault(vault_folder, notice)
    return notice


def erase_vault(folder: Path, reason: ErasedNotice) -> None:
    """Destroy the vault's wrapped key files, forget its remembered passphrase, leave the
    notice (see the module's description). The caller closes the vault if it is open."""
    key_files = [key_path(folder), rotated_key_file(folder), *folder.glob(f"{TEMP_PREFIX}*")]
    for path in key_files:
        _overwrite_and_remove(path)
    fsync_dir(folder)
    passphrases.forget(folder)
    write_notice(folder, reason)
    fsync_dir(folder)
    log.info("vault erased on headquarters' order")


def _overwrite_and_remove(path: Path) -> None:
    try:
        if path.is_symlink():  # not a key file fieldkit wrote; what it points to is not ours
            path.unlink()
            return
        if not os.access(path, os.W_OK):
            path.chmod(0o600)
        fd = os.open(path, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return
    try:
        size = os.fstat(fd).st_size
        written = 0
        while written < size:
            written += os.write(fd, secrets.token_bytes(min(_BLOCK, size - written)))
        os.fsync(fd)
    finally:
        os.close(fd)
    path.unlink()
