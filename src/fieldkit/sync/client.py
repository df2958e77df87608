"""The device's side of the sync protocol (``docs/sync.md``, "The protocol") over pinned TLS.

One :class:`HqClient` holds one httpx client whose connections all check HQ's pinned TLS key in
the handshake (:mod:`.pinning`). It signs in lazily with the device key, and again once when HQ
answers 401 ``bad-token``; it proves HQ is HQ by the signed ping; it uploads bundles with tus,
resuming from HQ's offset (:mod:`.tus`); it fetches receipts and published forms. Every failure
is one of the errors of :mod:`.errors`, in the device's language.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from fieldkit.crypto.identity import PublicIdentity, SigningKey
from fieldkit.crypto.sync_messages import ping_message, session_message
from fieldkit.domain.values import SHA256_HEX
from fieldkit.errors import InvalidInputError
from fieldkit.i18n import _
from fieldkit.sync.chunks import CEILING
from fieldkit.sync.errors import (
    NotHqError,
    NotOnHqError,
    PinMismatchError,
    ProtocolError,
    SyncError,
    bad_answer,
    error_for,
    not_reachable,
    refusal_code,
)
from fieldkit.sync.forms import RemoteForm, form_list, valid_form_name
from fieldkit.sync.pinning import pin_failure, pinned_transport
from fieldkit.sync.tus import Upload

TUS_VERSION = "1.0.0"
_CHALLENGE = re.compile(r"[0-9a-f]{64}")
_HEX128 = re.compile(r"[0-9a-f]{128}")
_TOKEN = re.compile(r"[A-Za-z0-9_\-.~+/=]{16,512}")
_DEVICE_REFUSALS = ("revoked-device", "unknown-device", "lost-device")

Body = bytes | Callable[[], Iterable[bytes]] | None


@dataclass(frozen=True)
class HqEndpoint:
    address: str  # https://host:port from the enrolment (or an override)
    spki_sha256: str  # the pin from the enrolment
    hq_signing_public_key: bytes  # pinned at enrolment
    hq_key_id: str


class HqClient:
    """A context manager; one httpx client; signs in lazily and again on 401 ``bad-token``.

    Uploads begin with chunks of ``chunk_size`` bytes and adapt them to the link, up to
    ``max_chunk_size`` (:mod:`.chunks`; the same value for both keeps every chunk at that size).

    ``bytes_sent`` counts the request body bytes handed to the network (benchmarks, tests)."""

    def __init__(
        self,
        endpoint: HqEndpoint,
        device_key: SigningKey,
        *,
        timeout: float = 60.0,
        chunk_size: int = 1024 * 1024,
        max_chunk_size: int = CEILING,
        transport: httpx.BaseTransport | None = None,
        attempts: int = 5,
        pause: float = 0.5,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        parts = urlsplit(endpoint.address)
        if parts.scheme != "https" or not parts.hostname:
            raise InvalidInputError(
                _("{address}: headquarters' address must begin with https://.").format(
                    address=endpoint.address
                )
            )
        if chunk_size < 1 or max_chunk_size < chunk_size:
            raise ValueError("chunk_size must be positive and at most max_chunk_size")
        self.endpoint = endpoint
        self.timeout = timeout
        self.chunk_size = chunk_size
        self.max_chunk_size = max_chunk_size
        self.attempts = attempts
        self.pause = pause
        self.sleep = sleep
        self.bytes_sent = 0
        self._key = device_key
        self._token: str | None = None
        self._base = endpoint.address.rstrip("/") + "/"
        if not SHA256_HEX.fullmatch(endpoint.spki_sha256):
            raise InvalidInputError(
                _("The TLS pin of headquarters is malformed; enrol the device again.")
            )
        # A transport given (tests, a proxy) must pin alike: see pinning.pinned_transport.
        if transport is None:
            transport = pinned_transport(endpoint.spki_sha256, retries=0)
        self._http = httpx.Client(
            transport=transport,
            timeout=timeout,
            trust_env=False,  # no proxy, certificate or .netrc settings from the environment
            follow_redirects=False,
        )

    # -- life cycle

    def __enter__(self) -> HqClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- the protocol

    def ping(self) -> None:
        """Raise :class:`NotHqError` unless the server signed a fresh nonce with HQ's pinned
        signing key (network failures raise NotReachableError, another TLS key
        PinMismatchError)."""
        nonce = secrets.token_hex(32)
        answer = self.request("GET", "v1/ping", auth=False, params={"nonce": nonce})
        if answer.status_code != 200:
            if answer.status_code >= 500:
                raise self.refusal(answer)
            raise NotHqError(self.endpoint.address)
        try:
            body = _json_object(answer)
        except ProtocolError:
            raise NotHqError(self.endpoint.address) from None
        fields = [body.get(name) for name in ("hq_name", "time", "signature")]
        hq_name, time, signature = fields
        if (
            body.get("nonce") != nonce
            or not all(isinstance(value, str) for value in fields)
            or not _HEX128.fullmatch(str(signature))
        ):
            raise NotHqError(self.endpoint.address)
        message = ping_message(str(hq_name), nonce, str(time))
        hq = PublicIdentity(self.endpoint.hq_signing_public_key)
        if not hq.verify(bytes.fromhex(str(signature)), message):
            raise NotHqError(self.endpoint.address)

    def upload(
        self,
        path: Path,
        sha256: str,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        """Send the bundle file ``path`` (SHA-256 ``sha256``) with tus, resuming whatever HQ
        holds of it; return once HQ has all of it and ingested it. See :mod:`.tus`."""
        Upload(self, path, sha256, progress, cancel).run()

    def receipt(self, sha256: str) -> bytes | None:
        """The receipt file of the bundle ``sha256`` that this device uploaded; None while HQ
        holds none."""
        _check_sha256(sha256)
        answer = self.request("GET", f"v1/receipts/{sha256}")
        if answer.status_code == 200:
            return answer.content
        if answer.status_code == 404 and refusal_code(answer.content)[0] in (
            "no-receipt",
            "not-found",
        ):
            return None
        raise self.refusal(answer)

    def forms(self) -> list[RemoteForm]:
        """Every form HQ published (name, id, version, SHA-256 and size of its file)."""
        answer = self.request("GET", "v1/forms")
        if answer.status_code != 200:
            raise self.refusal(answer)
        return form_list(_json_object(answer))

    def form(self, name: str) -> bytes:
        """The bytes of the published form file ``name`` (to verify before installing)."""
        if not valid_form_name(name):
            raise InvalidInputError(_("{name}: not a form file name.").format(name=name))
        answer = self.request("GET", f"v1/forms/{quote(name, safe='')}")
        if answer.status_code == 404 and refusal_code(answer.content)[0] == "not-found":
            raise NotOnHqError(
                _("Headquarters no longer publishes the form {name}.").format(name=name)
            )
        if answer.status_code != 200:
            raise self.refusal(answer)
        return answer.content

    # -- plumbing (used by .tus)

    def request(
        self,
        method: str,
        path: str,
        *,
        auth: bool = True,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        body: Body = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        """One exchange with HQ at ``path`` (relative to its address, or absolute as in a
        Location header). With ``auth``, the session's token goes along; a 401 ``bad-token``
        signs in again and repeats the request once. ``timeout`` (seconds) replaces the
        client's for an answer that may take longer (one that waits for HQ's ingest). Raises
        the device's refusals (revoked, unknown, lost) and NotReachable/PinMismatch on network
        failures."""
        for attempt in (1, 2):
            sent = {"Tus-Resumable": TUS_VERSION, **(headers or {})}
            if auth:
                sent["Authorization"] = f"Bearer {self._session()}"
            answer = self._exchange(method, path, sent, params, json, body, timeout)
            code = refusal_code(answer.content)[0] if answer.status_code >= 400 else None
            if code in _DEVICE_REFUSALS:
                raise self.refusal(answer)
            # A HEAD refusal has no body: with a token sent, a 401 can only be "bad-token".
            if auth and answer.status_code == 401 and code in ("bad-token", None) and attempt == 1:
                self._token = None
                continue
            return answer
        return answer

    def refusal(self, answer: httpx.Response) -> SyncError:
        return error_for(answer.status_code, answer.content, answer.headers.get("Retry-After"))

    def url(self, path: str) -> str:
        return str(httpx.URL(self._base).join(path))

    def same_origin(self, path: str) -> bool:
        """True if ``path`` (a Location header) points to HQ's own scheme, host and port."""
        base, joined = httpx.URL(self._base), httpx.URL(self.url(path))
        return (joined.scheme, joined.host, joined.port) == (base.scheme, base.host, base.port)

    def _exchange(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        params: Mapping[str, str] | None,
        json: Any,
        body: Body,
        timeout: float | None,
    ) -> httpx.Response:
        content: bytes | Iterable[bytes] | None
        if callable(body):
            content = self._counted(body())
        else:
            content = body
            self.bytes_sent += len(body or b"")
        try:
            answer = self._http.request(
                method,
                self.url(path),
                headers=headers,
                params=params,
                json=json,
                content=content,
                timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
            )
        except httpx.TransportError as error:
            if pin_failure(error) is not None:
                raise PinMismatchError(self.endpoint.address) from None
            raise not_reachable(self.endpoint.address, _network_problem(error)) from None
        if json is not None:
            self.bytes_sent += len(answer.request.content)
        return answer

    def _counted(self, pieces: Iterable[bytes]) -> Iterable[bytes]:
        for piece in pieces:
            yield piece
            self.bytes_sent += len(piece)

    def _session(self) -> str:
        if self._token is None:
            self._token = self._sign_in()
        return self._token

    def _sign_in(self) -> str:
        key_id = self._key.key_id
        for attempt in (1, 2):
            answer = self.request(
                "POST", "v1/session/challenge", auth=False, json={"key_id": key_id}
            )
            if answer.status_code != 200:
                raise self.refusal(answer)
            challenge = _json_object(answer).get("challenge")
            if not isinstance(challenge, str) or not _CHALLENGE.fullmatch(challenge):
                raise bad_answer()
            signature = self._key.sign(session_message(challenge, self.endpoint.hq_key_id, key_id))
            answer = self.request(
                "POST",
                "v1/session",
                auth=False,
                json={"key_id": key_id, "challenge": challenge, "signature": signature.hex()},
            )
            if answer.status_code == 200:
                token = _json_object(answer).get("token")
                if not isinstance(token, str) or not _TOKEN.fullmatch(token):
                    raise bad_answer()
                return token
            code = refusal_code(answer.content)[0]
            if not (code == "bad-challenge" and attempt == 1):  # a stale challenge: once more
                raise self.refusal(answer)
        raise bad_answer()  # pragma: no cover - the loop returns or raises


def _json_object(answer: httpx.Response) -> dict[str, Any]:
    try:
        value = answer.json()
    except ValueError:
        raise bad_answer() from None
    if not isinstance(value, dict):
        raise bad_answer()
    return value


def _check_sha256(sha256: str) -> None:
    if not SHA256_HEX.fullmatch(sha256):
        raise InvalidInputError(
            _("{value}: not a SHA-256 (64 lowercase hexadecimal digits).").format(value=sha256)
        )


def _network_problem(error: httpx.TransportError) -> str:
    if isinstance(error, httpx.TimeoutException):
        return _("no answer in time")
    if isinstance(error, httpx.ConnectError):
        return _("no connection could be made")
    return _("the connection broke")
