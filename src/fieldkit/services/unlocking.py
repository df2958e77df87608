"""Unlocking with a growing wait after wrong passphrases, a wait that survives a restart.

After ``n`` wrong passphrases in a row the next attempt waits :func:`retry_delay` seconds (1, 2,
4 ... at most 60). The count and the time of the last failure are kept in ``unlock-attempts.json``
beside the key file (``vault/attempts.py``), so that quitting and starting again neither skips
the wait nor starts the count afresh. A successful unlock writes the count back to zero with a
seal only fieldkit can make, and puts the count into the audit log (``failed_unlocks``).

Deleting the file does not reset the count silently: a key file written by this version promises
the file (``KeyFile.counted``), and when it is missing or damaged the count is taken as the
longest wait; at the next successful unlock a count that fieldkit did not seal is said to the user
and written to the audit log (``"counter": "removed or altered"``).

Attempts take turns (a file lock), and :func:`unlock` enforces the wait inside its turn, so two
``fieldkit-cli`` runs started together cannot both skip it.

The file is not part of the wrong-passphrase promise of ``vaults.unlock_vault``, which concerns the
database, its -wal and -shm files and the key file: those stay byte-identical.

Once open, the vault receives the shipped form versions newer than its own
(``services.shipped_forms``): both the desktop app and ``fieldkit-cli`` open a vault here.

The wait only slows guessing through fieldkit: someone with a copy of the vault's files can guess
offline at the speed of the key derivation (see docs/security.md).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fieldkit.errors import ConflictError
from fieldkit.files import fsync_dir
from fieldkit.i18n import _
from fieldkit.services import passphrases, shipped_forms, vaults
from fieldkit.vault import attempts as counter_file
from fieldkit.vault import audit, erased, keyfile
from fieldkit.vault.attempts import ATTEMPTS_FILE, attempts_path
from fieldkit.vault.keyfile import WrongPassphraseError
from fieldkit.vault.store import Vault

log = logging.getLogger(__name__)

__all__ = ["ATTEMPTS_FILE", "attempts_path"]

MAX_DELAY_SECONDS = 60
MISSING_COUNT_FAILURES = 7
"""The count taken when the promised file is missing or damaged: the longest wait."""


def retry_delay(failures: int) -> int:
    """Seconds to wait after ``failures`` wrong passphrases in a row: 1, 2, 4, 8 ... at most 60."""
    if failures <= 0:
        return 0
    return int(min(2 ** min(failures - 1, 16), MAX_DELAY_SECONDS))


@dataclass(frozen=True)
class Attempts:
    """Wrong passphrases in a row, and when the last one was typed (seconds since the epoch)."""

    failures: int = 0
    last_failure: float | None = None

    @property
    def delay(self) -> int:
        """The whole wait that follows the last failure."""
        return retry_delay(self.failures)

    def wait_left(self, now: float | None = None) -> int:
        """Whole seconds still to wait before the next attempt (0: go ahead).

        A clock set back since the last failure counts as no time gone by, so the wait is never
        longer than :attr:`delay`."""
        if self.failures <= 0 or self.last_failure is None:
            return 0
        now = time.time() if now is None else now
        elapsed = max(0.0, now - self.last_failure)
        return max(0, math.ceil(self.delay - elapsed))


class CountedWrongPassphraseError(WrongPassphraseError):
    """A wrong passphrase, counted: ``attempts`` is the count after it (for the wait)."""

    def __init__(self, attempts: Attempts) -> None:
        super().__init__()
        self.attempts = attempts


class WaitFirstError(ConflictError):
    """An attempt made before the wait after earlier wrong passphrases was over."""

    def __init__(self, seconds: int) -> None:
        super().__init__(
            _("Wait {n} s after earlier wrong passphrases, then try again.").format(n=seconds)
        )
        self.seconds = seconds


def _promised(folder: Path) -> bool:
    """The key file says that the count is kept (a vault made or rewrapped by this version)."""
    try:
        return keyfile.read_key_file(folder).counted
    except keyfile.KeyFileError:
        return False


def read_attempts(folder: Path, now: float | None = None) -> Attempts:
    """The count on disk. None when there is no file and the key file promises none; when it
    promises one that is missing or damaged, the longest wait from now on (written down, so that a
    restart does not start it again)."""
    counter = counter_file.read(folder)
    if counter is not None:
        return Attempts(counter.failures, counter.last_failure)
    if not _promised(folder):
        return Attempts()
    log.info("unlock attempts file missing or damaged: the longest wait applies")
    missing = Attempts(MISSING_COUNT_FAILURES, time.time() if now is None else now)
    _save(folder, missing)
    return missing


def _save(folder: Path, attempts: Attempts, seal: str = "") -> None:
    try:
        counter_file.write(
            folder, counter_file.Counter(attempts.failures, attempts.last_failure, seal)
        )
    except OSError as exc:
        log.warning("unlock attempts not saved: %s", type(exc).__name__)


def record_failure(folder: Path, now: float | None = None) -> Attempts:
    """Count one more wrong passphrase; return the new count (kept in memory if the write fails).
    The seal of the last reset stays: the count it vouches for only grew since."""
    previous_file = counter_file.read(folder)
    previous = read_attempts(folder, now)
    attempts = Attempts(previous.failures + 1, time.time() if now is None else now)
    _save(folder, attempts, previous_file.seal if previous_file is not None else "")
    return attempts


def reset(folder: Path, vault: Vault) -> bool:
    """After a successful unlock: write the count back to zero, sealed, and return whether the
    count found was one fieldkit sealed (False: removed or altered since the last unlock, or a
    vault older than the seal). Vaults made before the seal get theirs now."""
    found = counter_file.read(folder)
    with vault.write() as session:
        promised = counter_file.has_seal_key(session)
        intact = counter_file.sealed_by_fieldkit(found, session) or not promised
        if not intact:
            audit.append(
                session, audit.Action.FAILED_UNLOCKS, None, {"counter": "removed or altered"}
            )
        seal = counter_file.seal(session)
    try:
        counter_file.write(folder, counter_file.Counter(0, None, seal))
    except OSError as exc:
        log.warning("unlock attempts not reset: %s", type(exc).__name__)
    else:
        fsync_dir(folder)
    return intact


def counter_tampered_warning() -> str:
    return _(
        "Warning: the record of wrong passphrases for this vault was removed or altered since "
        "it was last unlocked: someone may have tried to guess the passphrase."
    )


Warn = Callable[[str], None]


def _opened(
    folder: Path,
    passphrase: str,
    *,
    count_failure: bool,
    wait: Callable[[int], None] | None,
    warn: Warn | None,
    inform: Warn | None = None,
) -> Vault:
    erased.refuse_if_erased(folder)  # before anything is counted or waited for
    with counter_file.turn(folder):
        attempts = read_attempts(folder)
        left = attempts.wait_left()
        if left and count_failure:
            if wait is None:
                raise WaitFirstError(left)
            wait(left)
        try:
            vault = vaults.unlock_vault(folder, passphrase, failed_attempts=attempts.failures)
        except WrongPassphraseError:
            if not count_failure:
                raise
            raise CountedWrongPassphraseError(record_failure(folder)) from None
        try:
            intact = reset(folder, vault)  # the failures are in the audit log now
        except BaseException:
            vault.close()
            raise
    try:
        upgraded = shipped_forms.install_newer_shipped(vault)  # never raises for a damaged file
    except BaseException:
        vault.close()
        raise
    warnings = [] if intact else [counter_tampered_warning()]
    weak = vaults.weak_key_derivation_warning(folder)
    warnings += [weak] if weak else []
    if warnings:
        log.info("unlock: %d warning(s) for the user", len(warnings))
    if warn is not None:
        for warning in warnings:
            warn(warning)
    if upgraded and inform is not None:
        inform(shipped_forms.upgrade_notice(upgraded))
    return vault


def unlock(
    folder: Path,
    passphrase: str,
    *,
    wait: Callable[[int], None] | None = time.sleep,
    warn: Warn | None = None,
    inform: Warn | None = None,
) -> Vault:
    """Open the vault with a typed passphrase, in this vault's turn.

    A wait still due after earlier wrong passphrases is waited with ``wait`` (``None``: raise
    :class:`WaitFirstError` instead). A wrong one raises :class:`CountedWrongPassphraseError`
    after counting it; success records the failures before it in the audit log and resets the
    count. ``warn`` is given each warning for the user: a count of wrong passphrases removed or
    altered since the last unlock, a key file weaker than fieldkit makes. ``inform`` is given a
    line for the user when newer shipped forms were installed (``services.shipped_forms``)."""
    return _opened(folder, passphrase, count_failure=True, wait=wait, warn=warn, inform=inform)


def unlock_remembered(
    folder: Path, *, warn: Warn | None = None, inform: Warn | None = None
) -> Vault | None:
    """Open the vault with the passphrase remembered in the keyring; None when none is.

    A remembered passphrase that no longer opens the vault (changed elsewhere) is not a guess:
    it raises a plain ``WrongPassphraseError`` and is not counted. A vault erased on
    headquarters' order raises :class:`~fieldkit.vault.erased.VaultErasedError`."""
    erased.refuse_if_erased(folder)
    remembered = passphrases.recall(folder)
    if remembered is None:
        return None
    return _opened(folder, remembered, count_failure=False, wait=None, warn=warn, inform=inform)
