"""Device sign-in: a single-use challenge, signed with the enrolled device key, buys a
short-lived bearer token. Only the token's SHA-256 is stored; a revoked device's tokens stop
working at its next request. A device HQ declared lost is answered ``lost-device`` with a signed
erase order at every sign-in step and every request with a token (:mod:`fieldkit.hq.lost`).

The device signs ``SESSION_DOMAIN + canonical JSON {"challenge", "hq", "key_id"}`` (see
:mod:`fieldkit.crypto.sync_messages`), where ``hq`` is HQ's signing key id, so a signature is good
for this HQ and this challenge only.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from fieldkit.crypto.identity import PublicIdentity, SigningKey
from fieldkit.crypto.sync_messages import session_message as session_message
from fieldkit.hq.lost import erase_order
from fieldkit.hq.repository import Repository
from fieldkit.hq.repository.base import Device
from fieldkit.hq.server.errors import Code, SyncError
from fieldkit.i18n import _

CHALLENGE_SECONDS = 60
TOKEN_SECONDS = 15 * 60


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class RateLimiter:
    """At most ``per_minute`` requests per device in any 60 seconds, in this process (each
    worker counts its own: a device gets at most workers times the limit)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._per_minute = per_minute
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[str, deque[float]] = {}

    def check(self, key: str) -> None:
        now = self._clock()
        with self._lock:
            times = self._seen.setdefault(key, deque())
            while times and times[0] <= now - 60:
                times.popleft()
            if len(times) >= self._per_minute:
                wait = max(1, int(times[0] + 60 - now) + 1)
                raise SyncError(
                    Code.RATE_LIMITED,
                    _("Too many requests from this device; try again in {n} seconds.").format(
                        n=wait
                    ),
                    retry_after=wait,
                )
            times.append(now)


class Sessions:
    def __init__(
        self,
        repository: Repository,
        hq_key: SigningKey,
        limiter: RateLimiter,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._repository = repository
        self._hq_key = hq_key
        self._hq_key_id = hq_key.key_id
        self._limiter = limiter
        self._clock = clock

    def _now(self) -> int:
        return int(self._clock())

    def challenge(self, key_id: str) -> tuple[str, int]:
        """A new challenge for an enrolled device, and when it expires."""
        self._enrolled(key_id)
        self._limiter.check(key_id)  # after: unknown key ids take no room in the limiter
        challenge = secrets.token_hex(32)
        expires = self._now() + CHALLENGE_SECONDS
        self._repository.add_challenge(challenge, key_id, expires)
        return challenge, expires

    def sign_in(self, key_id: str, challenge: str, signature: bytes) -> tuple[str, int]:
        """A bearer token for a device that signed a live challenge, and when it expires."""
        device = self._enrolled(key_id)
        self._limiter.check(key_id)
        if self._repository.take_challenge(challenge, self._now()) != key_id:
            raise SyncError(
                Code.BAD_CHALLENGE,
                _("The challenge is unknown, expired or used already; ask for a new one."),
            )
        message = session_message(challenge, self._hq_key_id, key_id)
        if not PublicIdentity(device.public_key).verify(signature, message):
            raise SyncError(
                Code.BAD_SIGNATURE,
                _("The signature does not verify with the device's enrolled key."),
            )
        token = secrets.token_urlsafe(32)
        expires = self._now() + TOKEN_SECONDS
        self._repository.add_token(token_hash(token), key_id, expires)
        return token, expires

    def authenticate(self, authorization: str | None) -> Device:
        """The device a request's ``Authorization: Bearer`` header signs in as."""
        scheme, _space, token = (authorization or "").partition(" ")
        key_id = None
        if scheme.lower() == "bearer" and token:
            key_id = self._repository.token_device(token_hash(token.strip()), self._now())
        if key_id is None:
            raise SyncError(
                Code.BAD_TOKEN, _("No valid session (missing or expired token); sign in again.")
            )
        self._limiter.check(key_id)
        return self._enrolled(key_id)

    def _enrolled(self, key_id: str) -> Device:
        device = self._repository.device(key_id)
        if device is None:
            raise SyncError(
                Code.UNKNOWN_DEVICE,
                _("This device is not enrolled with this headquarters; ask HQ to register it."),
            )
        order = erase_order(self._hq_key, device)
        if order is not None:
            # Its live tokens are kept (they expire soon): a request with one is answered with
            # the order too, not with "sign in again".
            raise SyncError(
                Code.LOST_DEVICE,
                _(
                    "Headquarters reported this device lost; it must erase its vault and cannot "
                    "send anything more."
                ),
                extra={"erase": order},
            )
        if device.revoked_from is not None:
            self._repository.drop_tokens(key_id)
            raise SyncError(
                Code.REVOKED_DEVICE,
                _("This device was revoked by headquarters; it cannot send anything more."),
            )
        return device
