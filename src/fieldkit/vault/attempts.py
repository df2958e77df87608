"""The file that counts wrong passphrases, ``unlock-attempts.json`` beside the key file, and the
lock that makes attempts on one vault take turns across processes.

The file holds the count, the time of the last failure and a seal: an HMAC, under a random key
kept inside the encrypted database, that fieldkit writes whenever it resets the count after a
successful unlock. Nobody without the database key can make a seal, so a count reset outside
fieldkit (a deleted file, or one written by hand) is found at the next successful unlock. What
the seal cannot show is a copy of an earlier sealed file put back (see docs/security.md).

Nothing here is secret: two numbers and a seal. The file is owner-only and written atomically.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import math
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import filelock
from sqlmodel import Session

from fieldkit.files import OWNER_ONLY_FILE, atomic_write_bytes
from fieldkit.vault import repo

log = logging.getLogger(__name__)

ATTEMPTS_FILE = "unlock-attempts.json"
LOCK_FILE = "unlock-attempts.lock"
MAX_ATTEMPTS_FILE_BYTES = 512
SEAL_KEY_SETTING = "unlock_counter_key"
SEAL_MESSAGE = b"fieldkit unlock attempts: count reset after a successful unlock"


@dataclass(frozen=True)
class Counter:
    failures: int = 0
    last_failure: float | None = None
    seal: str = ""


def attempts_path(folder: Path) -> Path:
    return folder / ATTEMPTS_FILE


def read(folder: Path) -> Counter | None:
    """The counter on disk; None when the file is missing, unreadable or damaged (logged)."""
    try:
        with attempts_path(folder).open("rb") as handle:
            data = handle.read(MAX_ATTEMPTS_FILE_BYTES + 1)
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("unlock attempts unreadable: %s", type(exc).__name__)
        return None
    try:
        if len(data) > MAX_ATTEMPTS_FILE_BYTES:
            raise ValueError("too long")
        value = json.loads(data)
        failures, last, seal = value["failures"], value["last_failure"], value.get("seal", "")
        if not isinstance(failures, int) or isinstance(failures, bool) or failures < 0:
            raise ValueError("failures")
        if last is not None and (
            not isinstance(last, int | float) or isinstance(last, bool) or not math.isfinite(last)
        ):
            raise ValueError("last_failure")
        if not isinstance(seal, str):
            raise ValueError("seal")
    except (ValueError, KeyError, TypeError):
        log.info("unlock attempts file damaged")
        return None
    return Counter(failures, None if last is None else float(last), seal)


def write(folder: Path, counter: Counter) -> None:
    """Write the counter (an ``OSError`` is the caller's to handle)."""
    body: dict[str, object] = {"failures": counter.failures, "last_failure": counter.last_failure}
    if counter.seal:
        body["seal"] = counter.seal
    atomic_write_bytes(attempts_path(folder), json.dumps(body).encode("ascii"))


def _seal_key(session: Session) -> bytes:
    """The vault's sealing key, made at its first use (vaults made before it had none)."""
    stored = repo.get_setting(session, SEAL_KEY_SETTING, "")
    if stored:
        return bytes.fromhex(stored)
    key = secrets.token_bytes(32)
    repo.set_setting(session, SEAL_KEY_SETTING, key.hex())
    return key


def has_seal_key(session: Session) -> bool:
    return bool(repo.get_setting(session, SEAL_KEY_SETTING, ""))


def seal(session: Session) -> str:
    """The seal of a count reset by fieldkit (``session`` writes, for a vault's first seal)."""
    return hmac.new(_seal_key(session), SEAL_MESSAGE, hashlib.sha256).hexdigest()


def sealed_by_fieldkit(counter: Counter | None, session: Session) -> bool:
    """The counter carries the seal this vault makes (False for a missing one)."""
    if counter is None or not counter.seal:
        return False
    return hmac.compare_digest(counter.seal, seal(session))


@contextlib.contextmanager
def turn(folder: Path) -> Iterator[None]:
    """One attempt at a time on this vault, across processes (two ``fieldkit-cli`` runs started
    together take turns, and the second one sees the failure of the first). Where the lock file
    cannot be made (a read-only folder), the attempt goes ahead without it."""
    lock = filelock.FileLock(str(folder / LOCK_FILE), mode=OWNER_ONLY_FILE)
    try:
        lock.acquire()
    except OSError as exc:
        log.warning("unlock attempts not locked: %s", type(exc).__name__)
        yield
        return
    try:
        yield
    finally:
        lock.release()
