"""TLS to HQ is pinned to HQ's key: another key (self-signed, or signed by a CA) is refused in
the handshake, before a single byte of HTTP leaves the device."""

from __future__ import annotations

import json
import socket
import ssl
from pathlib import Path

import httpx
import pytest

from fieldkit.crypto.identity import SigningKey
from fieldkit.errors import InvalidInputError
from fieldkit.sync.client import HqClient, HqEndpoint
from fieldkit.sync.errors import NotHqError, NotReachableError, PinMismatchError
from fieldkit.sync.pinning import PinCheckFailed, pinned_context
from tests.hq.support import Hq
from tests.hq.sync_server import Server, enrolled, server, shared_hq
from tests.sync.fakes import Answer, TlsServer, make_certificate
from tests.sync.support import bundle_file, endpoint

__all__ = ["server", "shared_hq"]

NOT_HQ_ANSWER = json.dumps({"hq_name": "Wi-Fi", "nonce": "0" * 64}).encode()


def _answer_200(method: str, target: str, body: bytes) -> Answer:
    return 200, {"Content-Type": "application/json"}, NOT_HQ_ANSWER


def _fake_endpoint(address: str, pin: str) -> HqEndpoint:
    hq = SigningKey.generate()
    return HqEndpoint(address, pin, hq.public.public_key, hq.key_id)


@pytest.mark.parametrize("signed_by_a_ca", [False, True])
def test_another_key_is_refused_before_any_request_byte(
    tmp_path: Path, signed_by_a_ca: bool
) -> None:
    impostor = make_certificate(tmp_path, "impostor", ca=signed_by_a_ca)
    pinned = make_certificate(tmp_path, "hq")
    with TlsServer(impostor, _answer_200) as fake:
        with (
            HqClient(_fake_endpoint(fake.address, pinned.pin), SigningKey.generate()) as client,
            pytest.raises(PinMismatchError) as caught,
        ):
            client.ping()
        fake.wait(1)
        assert fake.handshakes == 1 and bytes(fake.received) == b""  # nothing after the handshake
        assert fake.requests == []
        # The same server with its own pin gets the request: the check above can fail.
        with (
            HqClient(_fake_endpoint(fake.address, impostor.pin), SigningKey.generate()) as client,
            pytest.raises(NotHqError),
        ):
            client.ping()
        fake.wait(2)
        assert fake.requests[0].startswith("GET /v1/ping?nonce=")
    assert caught.value.retryable  # an intercepting network may be gone at the next try
    assert "not your headquarters" in caught.value.user_message


def test_a_ca_signed_certificate_with_the_pinned_key_is_accepted(tmp_path: Path) -> None:
    """The pin decides, not the CA nor the name: a CA-signed certificate of HQ's key works."""
    hq = make_certificate(tmp_path, "hq", ca=True)
    with TlsServer(hq, _answer_200) as fake:
        with (
            HqClient(_fake_endpoint(fake.address, hq.pin), SigningKey.generate()) as client,
            pytest.raises(NotHqError),  # the TLS went through; the fake cannot sign the ping
        ):
            client.ping()
        assert len(fake.wait(1).requests) == 1


def test_a_server_below_tls_1_3_is_refused(tmp_path: Path) -> None:
    old = make_certificate(tmp_path, "old")
    with TlsServer(old, _answer_200, maximum_version=ssl.TLSVersion.TLSv1_2) as fake:
        with (
            HqClient(_fake_endpoint(fake.address, old.pin), SigningKey.generate()) as client,
            pytest.raises(NotReachableError),
        ):
            client.ping()
        fake.wait(1)
        assert fake.handshakes == 0 and fake.requests == []


def test_the_real_server_with_another_pin_gets_nothing(
    server: Server, shared_hq: Hq, tmp_path: Path
) -> None:
    device = enrolled(shared_hq.repository)
    path, sha256 = bundle_file(shared_hq, device, tmp_path)
    other = make_certificate(tmp_path, "other")
    before = (shared_hq.repository.counts(), sorted(shared_hq.paths.uploads.iterdir()))
    pinned = endpoint(server, shared_hq, pin=other.pin)
    with HqClient(pinned, device.key) as client:
        for call in (client.ping, lambda: client.upload(path, sha256)):
            with pytest.raises(PinMismatchError):
                call()
        assert client.bytes_sent == 0
    after = (shared_hq.repository.counts(), sorted(shared_hq.paths.uploads.iterdir()))
    assert after == before
    assert shared_hq.repository.device_upload(device.key.key_id, sha256) is None
    # With HQ's own pin, the same client goes through.
    with HqClient(endpoint(server, shared_hq), device.key) as client:
        client.ping()


def test_the_pinned_context_checks_in_the_handshake_of_a_memory_bio(tmp_path: Path) -> None:
    """TLS-in-TLS (an HTTPS proxy) wraps memory BIOs instead of sockets: pinned all the same."""
    impostor = make_certificate(tmp_path, "impostor")
    for pin, refused in ((make_certificate(tmp_path, "hq").pin, True), (impostor.pin, False)):
        with TlsServer(impostor, _answer_200) as fake:
            port = int(fake.address.rsplit(":", 1)[1])
            with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
                incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
                tls_object = pinned_context(pin).wrap_bio(incoming, outgoing)
                error = _handshake(raw, tls_object, incoming, outgoing)
        assert isinstance(error, PinCheckFailed) is refused
        if refused:
            assert error is not None and error.presented == impostor.pin


def _handshake(
    raw: socket.socket, tls_object: ssl.SSLObject, incoming: ssl.MemoryBIO, outgoing: ssl.MemoryBIO
) -> Exception | None:
    while True:
        try:
            tls_object.do_handshake()
            return None
        except ssl.SSLWantReadError:
            raw.sendall(outgoing.read())
            incoming.write(raw.recv(65536))
        except PinCheckFailed as error:
            return error
        finally:
            pending = outgoing.read()
            if pending:
                raw.sendall(pending)


def test_a_malformed_pin_is_refused_before_connecting() -> None:
    with pytest.raises(ValueError, match="64 lowercase"):
        pinned_context("ABC")


@pytest.mark.parametrize("given_transport", [False, True])
def test_a_client_with_a_malformed_pin_is_refused_in_one_line(given_transport: bool) -> None:
    transport = (
        httpx.MockTransport(lambda request: httpx.Response(500)) if given_transport else None
    )
    with pytest.raises(InvalidInputError, match="enrol the device again"):
        HqClient(
            _fake_endpoint("https://127.0.0.1:1", "ABC"), SigningKey.generate(), transport=transport
        )
