"""Unlocking with a growing wait after wrong passphrases, a wait that survives a restart.

After ``n`` wrong passphrases in a row the next attempt waits :func:`retry_delay` seconds (1, 2,
4 ... at most 60). The count and the time of the last failure are kept in ``unlock-attempts.json``
beside the key file, so that quitting and starting again neither skips the wait nor starts the
count afresh. The file holds nothing secret (two numbers), is owner-only and written atomically; a
successful unlock removes it, and the count goes into the audit log (``failed_unlocks``).

The file is not part of the wrong-passphrase promise of ``vaults.unlock_vault``, which concerns the
database, its -wal and -shm files and the key file: those stay byte-identical.

Front ends (the GUI's unlock page, and the CLI if it wishes) enforce the wait with
:meth:`Attempts.wait_left`; this module counts, it does not sleep.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

from fieldkit.files import atomic_write_bytes, fsync_dir
from fieldkit.services import passphrases, vaults
from fieldkit.vault.keyfile import WrongPassphraseError
from fieldkit.vault.store import Vault

log = logging.getLogger(__name__)

ATTEMPTS_FILE = "unlock-attempts.json"
MAX_ATTEMPTS_FILE_BYTES = 256
MAX_DELAY_SECONDS = 60


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


def attempts_path(folder: Path) -> Path:
    return folder / ATTEMPTS_FILE


def read_attempts(folder: Path) -> Attempts:
    """The count on disk; none when there is no file. A damaged file counts as none (logged)."""
    try:
        with attempts_path(folder).open("rb") as handle:
            data = handle.read(MAX_ATTEMPTS_FILE_BYTES + 1)
    except FileNotFoundError:
        return Attempts()
    except OSError as exc:
        log.warning("unlock attempts unreadable: %s", type(exc).__name__)
        return Attempts()
    try:
        if len(data) > MAX_ATTEMPTS_FILE_BYTES:
            raise ValueError("too long")
        value = json.loads(data)
        failures, last = value["failures"], value["last_failure"]
        if not isinstance(failures, int) or isinstance(failures, bool) or failures < 0:
            raise ValueError("failures")
        if not isinstance(last, int | float) or isinstance(last, bool) or not math.isfinite(last):
            raise ValueError("last_failure")
    except (ValueError, KeyError, TypeError):
        log.warning("unlock attempts file damaged; counting from zero")
        return Attempts()
    return Attempts(failures, float(last))


def record_failure(folder: Path, now: float | None = None) -> Attempts:
    """Count one more wrong passphrase; return the new count (kept in memory if the write fails)."""
    previous = read_attempts(folder)
    attempts = Attempts(previous.failures + 1, time.time() if now is None else now)
    body = {"failures": attempts.failures, "last_failure": attempts.last_failure}
    try:
        atomic_write_bytes(attempts_path(folder), json.dumps(body).encode("ascii"))
    except OSError as exc:
        log.warning("unlock attempts not saved: %s", type(exc).__name__)
    return attempts


def reset(folder: Path) -> None:
    """Forget the count (after a successful unlock)."""
    path = attempts_path(folder)
    try:
        path.unlink()
    except FileNotFoundError:
        return
    except OSError as exc:
        log.warning("unlock attempts not reset: %s", type(exc).__name__)
        return
    fsync_dir(folder)


def _opened(folder: Path, passphrase: str, *, count_failure: bool) -> Vault:
    attempts = read_attempts(folder)
    try:
        vault = vaults.unlock_vault(folder, passphrase, failed_attempts=attempts.failures)
    except WrongPassphraseError:
        if not count_failure:
            raise
        raise CountedWrongPassphraseError(record_failure(folder)) from None
    reset(folder)  # the failures are in the audit log now
    return vault


def unlock(folder: Path, passphrase: str) -> Vault:
    """Open the vault with a typed passphrase.

    A wrong one raises :class:`CountedWrongPassphraseError` after counting it; success records
    the failures before it in the audit log and resets the count."""
    return _opened(folder, passphrase, count_failure=True)


def unlock_remembered(folder: Path) -> Vault | None:
    """Open the vault with the passphrase remembered in the keyring; None when none is.

    A remembered passphrase that no longer opens the vault (changed elsewhere) is not a guess:
    it raises a plain ``WrongPassphraseError`` and is not counted."""
    remembered = passphrases.recall(folder)
    if remembered is None:
        return None
    return _opened(folder, remembered, count_failure=False)
