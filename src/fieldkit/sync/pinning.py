"""TLS to HQ: version 1.3 only, and exactly the server whose key the device pinned at enrolment.

HQ's certificate is self-signed (or signed by any CA an operator prefers): the device trusts it
by the SHA-256 of its leaf certificate's SubjectPublicKeyInfo, the pin in the enrolment file, not
by a CA nor by a host name. The Python ``ssl`` module has no verification callback, so the
context below makes the sockets (and the memory-BIO objects of TLS-in-TLS) it wraps check the pin
as the last step of their handshake: the handshake call itself fails with :class:`PinCheckFailed`
(an ``ssl.SSLCertVerificationError``), before the caller can write a single byte of HTTP. httpx
(through httpcore's synchronous backend) wraps every new connection with ``wrap_socket`` and
handshakes there, so a request never leaves on a connection with another key.
"""

from __future__ import annotations

import hmac
import ssl
from typing import Any

import httpx

from fieldkit.crypto.pins import spki_sha256_of_der
from fieldkit.domain.values import SHA256_HEX


class PinCheckFailed(ssl.SSLCertVerificationError):
    """The server's TLS key is not the pinned one; ``presented`` is its pin (None: no
    certificate, or not one that can be read)."""

    def __init__(self, presented: str | None) -> None:
        super().__init__(1, "the server's TLS key is not the pinned one")
        self.presented = presented


def _check(context: ssl.SSLContext, der: bytes | None) -> None:
    pin = getattr(context, "fieldkit_pin", None)
    if not isinstance(pin, str):  # a context made otherwise: refuse, never pass unchecked
        raise PinCheckFailed(None)
    presented: str | None = None
    if der is not None:
        try:
            presented = spki_sha256_of_der(der)
        except ValueError:
            presented = None
    if presented is None or not hmac.compare_digest(presented, pin):
        raise PinCheckFailed(presented)


class _PinnedSocket(ssl.SSLSocket):
    def do_handshake(self, block: bool = False) -> None:
        super().do_handshake(block)
        try:
            _check(self.context, self.getpeercert(binary_form=True))
        except PinCheckFailed:
            self.close()
            raise


class _PinnedObject(ssl.SSLObject):
    def do_handshake(self) -> None:
        super().do_handshake()
        _check(self.context, self.getpeercert(binary_form=True))


class _PinnedContext(ssl.SSLContext):
    sslsocket_class = _PinnedSocket
    sslobject_class = _PinnedObject
    fieldkit_pin: str


def pinned_context(pin: str) -> ssl.SSLContext:
    """A client context, TLS 1.3 only, that completes a handshake only with the server whose
    leaf certificate's SubjectPublicKeyInfo has the SHA-256 ``pin`` (64 lowercase hex digits),
    whatever CA signed that certificate and whatever names it carries."""
    if not SHA256_HEX.fullmatch(pin):
        raise ValueError("a TLS pin is 64 lowercase hexadecimal digits")
    context = _PinnedContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    # No CA and no host name decides: the pin does, in the handshake (see _check).
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.fieldkit_pin = pin
    return context


def pinned_transport(pin: str, **options: Any) -> httpx.HTTPTransport:
    """An httpx transport over :func:`pinned_context` (what :class:`~.client.HqClient` uses when
    given no transport; tests wrap it to cut connections)."""
    return httpx.HTTPTransport(verify=pinned_context(pin), **options)


def pin_failure(error: BaseException) -> PinCheckFailed | None:
    """The :class:`PinCheckFailed` behind an error httpx raised, if that is what it was."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, PinCheckFailed):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
