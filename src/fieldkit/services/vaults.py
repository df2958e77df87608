"""Creating, unlocking and re-keying a vault.

Creation builds the database under a temporary name and writes the key file last: a vault folder
with a key file is complete; a crash during creation leaves only leftovers that the next
``init`` removes. A passphrase change killed midway may leave a temporary key file; the next
successful unlock removes it. A passphrase change may also replace the database key (see
``vault/rotation.py``); every unlock first finishes or undoes one that a crash interrupted. A
wrong passphrase fails before the database is touched, so every vault file stays byte-identical.
"""

from __future__ import annotations

import errno
import logging
from dataclasses import dataclass
from pathlib import Path

import pyrage
from sqlmodel import Session

from fieldkit.crypto.identity import SigningKey
from fieldkit.domain.passphrases import check_new_passphrase
from fieldkit.domain.records import utc_timestamp
from fieldkit.errors import ConflictError, InvalidInputError
from fieldkit.files import fsync_dir, make_private_dir, remove_stale_temporaries
from fieldkit.i18n import _
from fieldkit.services import forms as form_service
from fieldkit.services import shipped_forms
from fieldkit.vault import attempts as counter_file
from fieldkit.vault import audit, erased, keyfile, migrate, repo, rotation
from fieldkit.vault.engine import DATABASE_FILE, database_path
from fieldkit.vault.models import IdentityRow
from fieldkit.vault.store import Vault

log = logging.getLogger(__name__)

CREATING_SUFFIX = ".creating"
SETTING_DEVICE_NAME = "device_name"
STALE_TEMPORARY_S = 60.0
"""A temporary file in the vault folder this old is a leftover, not a write in progress."""


def vault_exists(folder: Path) -> bool:
    return keyfile.key_path(folder).exists()


def _incomplete_leftovers(folder: Path) -> list[Path]:
    stem = folder / (DATABASE_FILE + CREATING_SUFFIX)
    return [p for p in (stem, Path(f"{stem}-wal"), Path(f"{stem}-shm")) if p.exists()]


def _os_reason(exc: OSError) -> str:
    """Why the system refused, in the user's language where fieldkit knows the reason."""
    reasons = {
        errno.ENOTDIR: _("a part of the path is a file, not a folder"),
        errno.EEXIST: _("a file of that name is in the way"),
        errno.EACCES: _("permission denied"),
        errno.EPERM: _("permission denied"),
        errno.EROFS: _("the drive is read-only"),
        errno.ENOSPC: _("the drive is full"),
        errno.ENAMETOOLONG: _("the name is too long"),
        errno.ENOENT: _("a part of the path does not exist"),
    }
    return reasons.get(exc.errno or 0) or exc.strerror or type(exc).__name__


def _make_vault_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise InvalidInputError(
            _("Cannot create a vault in {folder}: it is a file, not a folder.").format(
                folder=folder
            )
        )
    try:
        make_private_dir(folder)
    except OSError as exc:
        raise InvalidInputError(
            _("Cannot create the vault folder {folder}: {reason}.").format(
                folder=folder, reason=_os_reason(exc)
            )
        ) from None


def check_not_erased(folder: Path) -> None:
    """Refuse to make a new vault where one was erased on headquarters' order (its notice
    explains to whoever opens the folder what happened)."""
    notice = erased.read_notice(folder)
    if notice is not None:
        raise ConflictError(
            _("{erased} To start a new vault, choose another folder or move this one away.").format(
                erased=erased.VaultErasedError(notice).user_message
            )
        )


def create_vault(
    folder: Path,
    passphrase: str,
    *,
    device_name: str = "",
    install_forms: bool = True,
) -> Vault:
    """Create a vault in ``folder`` and return it unlocked."""
    check_new_passphrase(passphrase)
    check_not_erased(folder)
    if vault_exists(folder):
        raise ConflictError(_("A vault already exists in {folder}.").format(folder=folder))
    if database_path(folder).exists():
        raise ConflictError(
            _(
                "{folder} holds a vault database without its key file. Restore vault.key from a "
                "backup, or move the folder away to start a new vault."
            ).format(folder=folder)
        )
    _make_vault_folder(folder)
    remove_stale_temporaries(folder)
    for leftover in _incomplete_leftovers(folder):
        leftover.unlink()

    database_key = keyfile.new_database_key()
    key_file = keyfile.KeyFile.wrap(database_key, passphrase, keyfile.calibrated_params())
    building = folder / (DATABASE_FILE + CREATING_SUFFIX)
    vault = Vault(folder, database_key, database=building)
    try:
        migrate.upgrade(vault.engine)
        with vault.write() as session:
            signing_key = SigningKey.generate()
            session.add(
                IdentityRow(
                    key_id=signing_key.key_id,
                    private_key=signing_key.private_bytes(),
                    public_key=signing_key.public.public_key,
                    created_at=utc_timestamp(),
                    age_identity=str(pyrage.x25519.Identity.generate()),
                )
            )
            repo.set_setting(session, SETTING_DEVICE_NAME, device_name.strip()[:80])
            audit.append(session, audit.Action.VAULT_CREATED, None, {"key_id": signing_key.key_id})
            if install_forms:
                form_service.install_shipped(session)
                shipped_forms.mark_up_to_date(session)
            seal = counter_file.seal(session)
    finally:
        vault.close()
    building.replace(database_path(folder))
    counter_file.write(folder, counter_file.Counter(seal=seal))  # the key file promises it
    fsync_dir(folder)
    keyfile.write_key_file(folder, key_file)
    log.info("vault created")
    return Vault(folder, database_key)


def unlock_vault(folder: Path, passphrase: str, *, failed_attempts: int = 0) -> Vault:
    """Open the vault; WrongPassphraseError leaves every file as it was (once a replacement of
    the database key that a crash interrupted is finished or undone). A vault erased on
    headquarters' order raises :class:`~fieldkit.vault.erased.VaultErasedError`."""
    erased.refuse_if_erased(folder)
    rotation.recover(folder)
    key_file = keyfile.read_key_file(folder)
    database_key = key_file.unwrap(passphrase)
    vault = Vault(folder, database_key)
    try:
        if migrate.ensure_current(vault.engine):
            log.info("vault schema migrated to %s", migrate.head_revision())
        if failed_attempts:
            with vault.write() as session:
                audit.append(session, audit.Action.FAILED_UNLOCKS, None, {"count": failed_attempts})
    except BaseException:
        vault.close()
        raise
    # A passphrase change killed midway leaves its temporary key file: a second wrapped copy of
    # the database key. The key file just opened the vault, so the leftover is of no use.
    removed = remove_stale_temporaries(folder, older_than_s=STALE_TEMPORARY_S)
    if removed:
        log.info("removed %d stale temporary file(s) from the vault folder", removed)
    return vault


def change_passphrase(
    folder: Path, old: str, new: str, vault: Vault | None = None, *, rotate_key: bool = False
) -> Vault | None:
    """Rewrap the database key under ``new``; with ``rotate_key``, replace the key itself.

    A plain change rewrites only the key file. A rotation re-encrypts the database under a new
    random key (see ``vault/rotation.py``), so that an old copy of the key file and the old
    passphrase open nothing any more; ``vault`` (the caller's open vault, if any) is closed
    first, and the vault reopened under the new key is returned (None when none was given)."""
    rotation.recover(folder)
    key_file = keyfile.read_key_file(folder)
    database_key = key_file.unwrap(old)
    check_new_passphrase(new)
    if new == old:
        raise ConflictError(_("The new passphrase is the same as the old one."))
    # Never weaker than the key file already is (a device slower than the one that made it).
    params = keyfile.calibrated_params().at_least(key_file.params)
    # The new key file promises the count of wrong passphrases once there is one to promise.
    counted = key_file.counted or counter_file.read(folder) is not None
    if rotate_key:
        return _rotate(folder, database_key, new, params, vault, counted)
    rewrapped = keyfile.KeyFile.wrap(database_key, new, params, counted=counted)
    keyfile.write_key_file(folder, rewrapped)
    log.info("passphrase changed")
    _audit(folder, database_key, vault)
    return None


def _rotate(
    folder: Path,
    old_key: bytes,
    new: str,
    params: keyfile.KdfParams,
    vault: Vault | None,
    counted: bool,
) -> Vault | None:
    new_key = keyfile.new_database_key()
    wrapped = keyfile.KeyFile.wrap(new_key, new, params, counted=counted)
    if vault is not None:
        # Its idle connections would keep SQLite's exclusive lock from the rotation; disposed
        # of, they reconnect on demand, so a refused rotation leaves the vault usable.
        vault.engine.dispose()
    rotation.rotate(folder, old_key, new_key, wrapped)
    if vault is not None:
        vault.close()  # its key opens nothing any more
    log.info("passphrase changed and database key replaced")
    reopened = Vault(folder, new_key)
    try:
        _audit(folder, new_key, reopened, {"database_key": "replaced"})
    except BaseException:
        reopened.close()
        raise
    if vault is None:
        reopened.close()
        return None
    return reopened


def _audit(
    folder: Path, database_key: bytes, vault: Vault | None, detail: dict[str, str] | None = None
) -> None:
    owner = vault or Vault(folder, database_key)
    try:
        with owner.write() as session:
            audit.append(session, audit.Action.PASSPHRASE_CHANGED, None, detail)
    finally:
        if vault is None:
            owner.close()


@dataclass(frozen=True)
class DeviceIdentity:
    key_id: str
    fingerprint: str
    public_key: bytes
    created_at: str
    device_name: str
    age_recipient: str
    """Where headquarters encrypts receipts for this device (an age X25519 recipient)."""


def device_identity(vault: Vault) -> DeviceIdentity:
    with vault.read() as session:
        row = repo.active_identity(session)
        name = repo.get_setting(session, SETTING_DEVICE_NAME, "")
    if row is None:
        raise ConflictError(_("This vault has no device key; it is damaged."))
    signing_key = SigningKey.from_private_bytes(row.private_key)
    return DeviceIdentity(
        key_id=signing_key.key_id,
        fingerprint=signing_key.public.fingerprint,
        public_key=signing_key.public.public_key,
        created_at=row.created_at,
        device_name=name or "",
        age_recipient=str(pyrage.x25519.Identity.from_str(row.age_identity).to_public())
        if row.age_identity
        else "",
    )


def signing_key(vault: Vault, session: Session | None = None) -> SigningKey:
    """The device's signing key. It is read from the database (in ``session`` if given) once per
    unlock; the open vault keeps it until it is locked."""

    def load() -> SigningKey:
        if session is not None:
            row = repo.active_identity(session)
        else:
            with vault.read() as reading:
                row = repo.active_identity(reading)
        if row is None:
            raise ConflictError(_("This vault has no device key; it is damaged."))
        return SigningKey.from_private_bytes(row.private_key)

    return vault.signing_key(load)


def weak_key_derivation_warning(folder: Path) -> str | None:
    """A one-line warning when the key file's derivation is cheaper than fieldkit ever writes on
    a device (a key file made by other software, or by the test suite); None when it is not.

    Parameters the test suite's own hook set in this process are not warned about."""
    params = keyfile.read_key_file(folder).params
    if not params.below_production() or params == keyfile.TEST_PARAMS:
        return None
    return _(
        "Warning: this vault's passphrase is protected by a weak key derivation ({mib} MiB, "
        "{passes} passes; fieldkit uses at least {floor_mib} MiB and {floor_passes} passes). "
        "Change the passphrase to strengthen it."
    ).format(
        mib=params.memory_kib // 1024,
        passes=params.iterations,
        floor_mib=keyfile.PRODUCTION_MEMORY_KIB // 1024,
        floor_passes=keyfile.PRODUCTION_ITERATIONS,
    )


def kdf_description(folder: Path) -> dict[str, int]:
    params = keyfile.read_key_file(folder).params
    return {"memory_kib": params.memory_kib, "iterations": params.iterations, "lanes": params.lanes}
