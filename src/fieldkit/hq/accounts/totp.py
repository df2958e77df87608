"""The optional second factor: time-based one-time codes (TOTP, RFC 6238, pyotp).

Set-up gives a new secret (kept as pending, shown once as a QR code and as text) and turns it
on only when a code made from it is confirmed. At sign-in a code of the current 30-second step
or the one either side is accepted once: a code already used is refused. Wrong codes count
toward the account's lock-out as wrong passwords do. ``users reset`` clears the second factor.
"""

from __future__ import annotations

import base64
import datetime as dt
import os

import pyotp
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from fieldkit.crypto.identity import SigningKey
from fieldkit.hq.accounts.store import now, stamp, transaction
from fieldkit.hq.accounts.users import (
    LockoutPolicy,
    SignInRefusedError,
    count_failure,
    existing_row,
)
from fieldkit.hq.errors import ConflictError, InvalidInputError
from fieldkit.hq.repository import Repository
from fieldkit.hq.repository.tables_web import web_users
from fieldkit.i18n import _

SEAL_INFO = b"fieldkit web totp v1"
NONCE = 12
STEP = 30
WINDOW = 1
"""Steps either side of the current one whose code is accepted (clocks drift)."""


def sealing_key(signing_key: SigningKey) -> bytes:
    """The key that seals second-factor keys, derived from HQ's signing key (memory only)."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=SEAL_INFO)
    return hkdf.derive(signing_key.private_bytes())


def _seal(key: bytes, name: str, secret: str) -> str:
    nonce = os.urandom(NONCE)
    sealed = ChaCha20Poly1305(key).encrypt(nonce, secret.encode("ascii"), name.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def _open(key: bytes, name: str, stored: str) -> str | None:
    """The second-factor key sealed in ``stored``; None if it does not open (another HQ key,
    another account, altered)."""
    try:
        data = base64.urlsafe_b64decode(stored.encode("ascii"))
        opened = ChaCha20Poly1305(key).decrypt(data[:NONCE], data[NONCE:], name.encode())
    except (ValueError, InvalidTag):
        return None
    return opened.decode("ascii")


def _clean(code: str) -> str:
    return "".join(code.split())


def _matching_step(secret: str, code: str, moment: dt.datetime) -> int | None:
    """The time step whose code ``code`` is, within the window, else None."""
    code = _clean(code)
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret, interval=STEP)
    current = int(moment.timestamp()) // STEP
    for step in range(current - WINDOW, current + WINDOW + 1):
        if pyotp.utils.strings_equal(totp.at(step * STEP), code):
            return step
    return None


def begin_setup(repository: Repository, key: bytes, name: str) -> str:
    """The secret to set up (the pending one if set-up was begun already); refused when the
    second factor is on."""
    with transaction(repository, write=True) as conn:
        row = existing_row(conn, name)
        if row.totp_secret is not None:
            raise ConflictError(_("The second factor is on already; nothing was changed."))
        pending = None if row.totp_pending is None else _open(key, name, row.totp_pending)
        if pending is not None:
            return pending
        secret = pyotp.random_base32()
        conn.execute(
            web_users.update()
            .where(web_users.c.name == name)
            .values(totp_pending=_seal(key, name, secret))
        )
        return secret


def provisioning_uri(secret: str, name: str, issuer: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, interval=STEP).provisioning_uri(name=name, issuer_name=issuer)


def confirm_setup(
    repository: Repository,
    key: bytes,
    name: str,
    code: str,
    *,
    moment: dt.datetime | None = None,
) -> None:
    """Turn the second factor on once a code made from the pending secret is given."""
    moment = moment or now()
    with transaction(repository, write=True) as conn:
        row = existing_row(conn, name)
        pending = None if row.totp_pending is None else _open(key, name, row.totp_pending)
        if pending is None:
            raise InvalidInputError(
                _("No second factor is being set up; open the set-up page again.")
            )
        step = _matching_step(pending, code, moment)
        if step is None:
            raise InvalidInputError(
                _(
                    "That code is not right: type the 6 digits your app shows now; the second "
                    "factor stays off."
                )
            )
        conn.execute(
            web_users.update()
            .where(web_users.c.name == name)
            .values(totp_secret=_seal(key, name, pending), totp_pending=None, totp_last_step=step)
        )


def verify_code(
    repository: Repository,
    key: bytes,
    name: str,
    code: str,
    *,
    policy: LockoutPolicy = LockoutPolicy(),  # noqa: B008 - frozen
    moment: dt.datetime | None = None,
) -> None:
    """Accept a sign-in code of ``name`` once, or raise :class:`SignInRefusedError` (a wrong
    code counts toward the lock-out)."""
    moment = moment or now()
    with transaction(repository, write=True) as conn:
        row = conn.execute(sa.select(web_users).where(web_users.c.name == name)).first()
        if row is None or row.totp_secret is None or row.disabled_at is not None:
            raise SignInRefusedError
        if row.locked_until is not None and row.locked_until > stamp(moment):
            raise SignInRefusedError
        secret = _open(key, name, row.totp_secret)
        step = None if secret is None else _matching_step(secret, code, moment)
        if step is None or (row.totp_last_step is not None and step <= row.totp_last_step):
            count_failure(conn, name, policy, moment)
            failed = True
        else:
            conn.execute(
                web_users.update()
                .where(web_users.c.name == name)
                .values(totp_last_step=step, failures=0, locked_until=None)
            )
            failed = False
    if failed:
        raise SignInRefusedError
