"""The vault's key file: the database key, wrapped under the passphrase.

The database key (DEK) is 32 random bytes. It is wrapped with ChaCha20-Poly1305 under a key
(KEK) derived from the passphrase with Argon2id; the KDF parameters, salt, nonce and wrapped key are
stored in ``vault.key``. The header (format, KDF and cipher) is bound to the ciphertext as
associated data, so nobody can weaken the parameters unnoticed, and the parameters are capped when
the file is read, so that a tampered file cannot make an unlock run for hours. Changing the
passphrase rewraps the same DEK under a new salt and nonce (never under weaker parameters) and
replaces the file atomically: at every instant exactly one of the old and the new passphrase opens
the vault. Replacing the DEK itself is ``vault/rotation.py``'s.
"""

from __future__ import annotations

import base64
import json
import math
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from fieldkit.errors import FieldkitError
from fieldkit.files import atomic_write_bytes
from fieldkit.i18n import _

KEY_FILE = "vault.key"
FORMAT = 1
DEK_BYTES = 32
SALT_BYTES = 16
NONCE_BYTES = 12
MAX_KEY_FILE_BYTES = 4096

# Argon2id: memory-hard; the iteration count is calibrated on the device to about 0.5 to 1 s.
DEFAULT_MEMORY_KIB = 256 * 1024
DEFAULT_LANES = 4
TARGET_SECONDS = 0.6
MIN_ITERATIONS = 2
MAX_ITERATIONS = 24
# Floors below which an unlock refuses the parameters of a key file (a tampered file could
# otherwise ask for a trivially cheap derivation; the AEAD binding makes that fail anyway).
FLOOR_MEMORY_KIB = 8 * 1024
# Ceilings: a tampered key file must not make an unlock run for hours or exhaust the memory.
MAX_MEMORY_KIB = 1024 * 1024
MAX_LANES = 8
# What calibration always gives: a key file below this was not written by a field device.
PRODUCTION_MEMORY_KIB = DEFAULT_MEMORY_KIB
PRODUCTION_ITERATIONS = MIN_ITERATIONS

TEST_PARAMS: KdfParams | None = None
"""Cheap parameters for new key files, set only by the test suite's own hook (tests/conftest.py,
and tests/fast_kdf_site/sitecustomize.py for the programs the tests start). No environment
variable or setting of fieldkit lowers the cost: only code run inside the process can."""


class WrongPassphraseError(FieldkitError):
    def __init__(self) -> None:
        super().__init__(_("The passphrase is not correct. Check it and try again."))


class KeyFileError(FieldkitError):
    """The key file is missing, unreadable or damaged."""


@dataclass(frozen=True)
class KdfParams:
    memory_kib: int
    iterations: int
    lanes: int

    def derive(self, passphrase: str, salt: bytes) -> bytes:
        kdf = Argon2id(
            salt=salt,
            length=32,
            iterations=self.iterations,
            lanes=self.lanes,
            memory_cost=self.memory_kib,
        )
        return kdf.derive(passphrase.encode("utf-8"))

    def below_production(self) -> bool:
        """Weaker than any key file that calibration writes on a field device."""
        return self.memory_kib < PRODUCTION_MEMORY_KIB or self.iterations < PRODUCTION_ITERATIONS

    def at_least(self, other: KdfParams) -> KdfParams:
        """These parameters, raised where ``other`` costs more (a rewrap never weakens)."""
        return KdfParams(
            max(self.memory_kib, other.memory_kib),
            max(self.iterations, other.iterations),
            self.lanes,
        )


def calibrated_params() -> KdfParams:
    """Parameters that take about ``TARGET_SECONDS`` on this machine."""
    if TEST_PARAMS is not None:
        return TEST_PARAMS
    probe = KdfParams(DEFAULT_MEMORY_KIB, 1, DEFAULT_LANES)
    start = time.perf_counter()
    probe.derive("calibration", secrets.token_bytes(SALT_BYTES))
    per_iteration = max(time.perf_counter() - start, 1e-3)
    iterations = min(max(math.ceil(TARGET_SECONDS / per_iteration), MIN_ITERATIONS), MAX_ITERATIONS)
    return KdfParams(DEFAULT_MEMORY_KIB, iterations, DEFAULT_LANES)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any, size: int) -> bytes:
    if not isinstance(text, str):
        raise ValueError("expected base64 text")
    data = base64.b64decode(text, validate=True)
    if len(data) != size:
        raise ValueError("wrong length")
    return data


@dataclass(frozen=True)
class KeyFile:
    params: KdfParams
    salt: bytes
    nonce: bytes
    wrapped: bytes
    counted: bool = False
    """The vault keeps a count of wrong passphrases that must not go missing (see
    services/unlocking.py); bound to the wrapped key like the rest of the header, so removing
    the promise makes the key file open nothing. Key files written before the count had none."""

    def header(self) -> dict[str, Any]:
        counter = {"unlock_counter": 1} if self.counted else {}
        return counter | {
            "fieldkit_vault_key": FORMAT,
            "kdf": {
                "algorithm": "argon2id",
                "memory_kib": self.params.memory_kib,
                "iterations": self.params.iterations,
                "lanes": self.params.lanes,
                "salt": _b64(self.salt),
            },
            "cipher": "chacha20-poly1305",
        }

    def associated_data(self) -> bytes:
        return json.dumps(self.header(), sort_keys=True, separators=(",", ":")).encode()

    def to_bytes(self) -> bytes:
        body = self.header() | {"nonce": _b64(self.nonce), "wrapped_key": _b64(self.wrapped)}
        return (json.dumps(body, indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def parse(cls, untrusted: bytes) -> KeyFile:
        try:
            body = json.loads(untrusted)
            if (
                body.get("fieldkit_vault_key") != FORMAT
                or body.get("cipher") != "chacha20-poly1305"
            ):
                raise ValueError("unknown format")
            kdf = body["kdf"]
            if kdf.get("algorithm") != "argon2id":
                raise ValueError("unknown kdf")
            params = KdfParams(int(kdf["memory_kib"]), int(kdf["iterations"]), int(kdf["lanes"]))
            if params.memory_kib < FLOOR_MEMORY_KIB or params.iterations < 1 or params.lanes < 1:
                raise ValueError("parameters out of range")
            if (
                params.memory_kib > MAX_MEMORY_KIB
                or params.iterations > MAX_ITERATIONS
                or params.lanes > MAX_LANES
            ):
                raise KeyFileError(
                    _(
                        "The vault's key file asks for a key derivation above fieldkit's limits "
                        "({mib} MiB, {passes} passes, {lanes} lanes at most): it has been tampered "
                        "with; restore vault.key from a backup of the vault folder."
                    ).format(mib=MAX_MEMORY_KIB // 1024, passes=MAX_ITERATIONS, lanes=MAX_LANES)
                )
            counter = body.get("unlock_counter")
            if counter not in (None, 1):
                raise ValueError("unknown unlock counter")
            return cls(
                params=params,
                salt=_unb64(kdf["salt"], SALT_BYTES),
                nonce=_unb64(body["nonce"], NONCE_BYTES),
                wrapped=_unb64(body["wrapped_key"], DEK_BYTES + 16),
                counted=counter == 1,
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise KeyFileError(
                _("The vault's key file is damaged; restore it from a backup of the vault folder.")
            ) from None

    @classmethod
    def wrap(
        cls, dek: bytes, passphrase: str, params: KdfParams, *, counted: bool = True
    ) -> KeyFile:
        salt = secrets.token_bytes(SALT_BYTES)
        nonce = secrets.token_bytes(NONCE_BYTES)
        unsealed = cls(params, salt, nonce, b"", counted)
        kek = params.derive(passphrase, salt)
        wrapped = ChaCha20Poly1305(kek).encrypt(nonce, dek, unsealed.associated_data())
        return cls(params, salt, nonce, wrapped, counted)

    def unwrap(self, passphrase: str) -> bytes:
        kek = _early_result(self.params, self.salt, passphrase) or self.params.derive(
            passphrase, self.salt
        )
        try:
            return ChaCha20Poly1305(kek).decrypt(self.nonce, self.wrapped, self.associated_data())
        except InvalidTag:
            raise WrongPassphraseError() from None


class _EarlyDerivation:
    """The key-encryption key of one key file, derived in a background thread (the Argon2id of
    ``cryptography`` runs without holding the interpreter lock)."""

    def __init__(self, params: KdfParams, salt: bytes, passphrase: str) -> None:
        self.params = params
        self.salt = salt
        self.passphrase = passphrase
        self.kek: bytes | None = None
        self.thread = threading.Thread(target=self._run, name="fieldkit-kdf", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.kek = self.params.derive(self.passphrase, self.salt)
        except Exception:  # unwrap derives again and reports the failure
            self.kek = None


_early: _EarlyDerivation | None = None
_early_lock = threading.Lock()


def derive_early(folder: Path, passphrase: str) -> None:
    """Start deriving the key-encryption key of the vault in ``folder`` from ``passphrase`` in a
    background thread, so that the derivation (its full Argon2id cost) runs while the program
    loads the rest of itself and reads its input. Nothing is opened here: :meth:`KeyFile.unwrap`
    takes the result if it is for the same key file and passphrase (else derives as ever), so
    whether the passphrase is right is known only there, after the wait that follows wrong
    passphrases (services/unlocking.py). A missing or damaged key file starts nothing."""
    global _early
    try:
        key_file = read_key_file(folder)
    except KeyFileError:
        return
    with _early_lock:
        _early = _EarlyDerivation(key_file.params, key_file.salt, passphrase)


def deriving_early() -> bool:
    """Whether an early derivation is still running."""
    with _early_lock:
        early = _early
    return early is not None and early.thread.is_alive()


def _early_result(params: KdfParams, salt: bytes, passphrase: str) -> bytes | None:
    """The early derivation's key, if it was for these parameters, salt and passphrase; taken
    once (it is not kept in memory afterwards)."""
    global _early
    with _early_lock:
        early, _early = _early, None
    if early is None:
        return None
    early.thread.join()
    same = early.params == params and early.salt == salt and early.passphrase == passphrase
    return early.kek if same else None


def key_path(folder: Path) -> Path:
    return folder / KEY_FILE


def read_key_file(folder: Path) -> KeyFile:
    path = key_path(folder)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_KEY_FILE_BYTES + 1)
    except FileNotFoundError:
        raise KeyFileError(
            _("No vault in {folder}. Create one with 'fieldkit-cli init'.").format(folder=folder)
        ) from None
    except OSError as exc:
        raise KeyFileError(
            _("Cannot read the vault's key file: {reason}.").format(reason=exc.strerror)
        ) from None
    if len(data) > MAX_KEY_FILE_BYTES:
        raise KeyFileError(
            _("The vault's key file is damaged; restore it from a backup of the vault folder.")
        )
    return KeyFile.parse(data)


def write_key_file(folder: Path, key_file: KeyFile) -> None:
    write_key_file_to(key_path(folder), key_file)


def write_key_file_to(path: Path, key_file: KeyFile) -> None:
    atomic_write_bytes(path, key_file.to_bytes())


def new_database_key() -> bytes:
    return secrets.token_bytes(DEK_BYTES)
