"""How the client reads what a server answers: the signed ping (a captive portal, another key, a
replayed answer are not HQ), the device's refusals (a lost device's erase order), waits asked by
HQ, and the list of published forms. The server is a TLS double pinned by the client."""

from __future__ import annotations

import hashlib
import json
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from fieldkit.crypto.identity import SigningKey
from fieldkit.crypto.sync_messages import ping_message
from fieldkit.sync.client import HqClient, HqEndpoint
from fieldkit.sync.errors import (
    DeviceLostError,
    NotHqError,
    NotOnHqError,
    NotReachableError,
    ProtocolError,
)
from fieldkit.sync.forms import RemoteForm
from tests.sync.fakes import Answer, Responder, TlsServer, make_certificate

HQ_KEY = SigningKey.generate()
TOKEN = secrets.token_urlsafe(32)
JSON = {"Content-Type": "application/json"}


def _json(status: int, body: Any, **headers: str) -> Answer:
    return status, {**JSON, **headers}, json.dumps(body).encode()


def _ping(signer: SigningKey, nonce: str | None = None) -> Responder:
    """A server answering the ping signed by ``signer`` (over ``nonce``, or the one asked)."""

    def answer(method: str, target: str, body: bytes) -> Answer:
        asked = parse_qs(urlsplit(target).query)["nonce"][0]
        signed = nonce or asked
        time = "2026-03-15T09:00:00Z"
        signature = signer.sign(ping_message("Test HQ", signed, time)).hex()
        reply = {"hq_name": "Test HQ", "signing_key_id": signer.key_id, "nonce": signed}
        return _json(200, {**reply, "time": time, "signature": signature})

    return answer


def _signed_in(then: Responder) -> Responder:
    """A server that lets the device sign in, then answers the rest with ``then``."""

    def answer(method: str, target: str, body: bytes) -> Answer:
        if target == "/v1/session/challenge":
            return _json(200, {"challenge": secrets.token_hex(32), "expires_at": 1})
        if target == "/v1/session":
            return _json(200, {"token": TOKEN, "expires_at": 1})
        return then(method, target, body)

    return answer


def _client(server: TlsServer) -> HqClient:
    endpoint = HqEndpoint(
        server.address, server.certificate.pin, HQ_KEY.public.public_key, HQ_KEY.key_id
    )
    return HqClient(endpoint, SigningKey.generate(), pause=0.01)


def _call(tmp_path: Path, responder: Responder, call: str, *args: Any) -> Any:
    with (
        TlsServer(make_certificate(tmp_path, "server"), responder) as server,
        _client(server) as client,
    ):
        return getattr(client, call)(*args)


def test_a_ping_signed_by_hq_over_the_fresh_nonce_passes(tmp_path: Path) -> None:
    assert _call(tmp_path, _ping(HQ_KEY), "ping") is None


@pytest.mark.parametrize(
    "responder",
    [
        lambda m, t, b: (200, {"Content-Type": "text/html"}, b"<html>Log in to the Wi-Fi</html>"),
        lambda m, t, b: _json(200, {"status": "ok"}),
        lambda m, t, b: (302, {"Location": "http://portal.example/login"}, b""),
        lambda m, t, b: _json(404, {"error": "not-found"}),
        _ping(SigningKey.generate()),  # signed, by another key
        _ping(HQ_KEY, nonce="ab" * 32),  # HQ's signature, over another nonce: a replay
    ],
    ids=["html", "json", "redirect", "not-found", "other-key", "replayed"],
)
def test_anything_but_hqs_signature_over_the_nonce_is_not_hq(
    tmp_path: Path, responder: Responder
) -> None:
    with pytest.raises(NotHqError) as caught:
        _call(tmp_path, responder, "ping")
    assert caught.value.retryable
    assert "did not prove it is your headquarters" in caught.value.user_message


def test_a_lost_device_gets_its_erase_order(tmp_path: Path) -> None:
    order = {"device": "d" * 32, "hq": HQ_KEY.key_id, "issued": "2026-03-15T09:00:00Z"}
    order["signature"] = "0" * 128
    lost = {"error": "lost-device", "message": "Cet appareil est perdu.", "erase": order}
    with pytest.raises(DeviceLostError) as caught:
        _call(tmp_path, lambda m, t, b: _json(403, lost), "receipt", "a" * 64)
    assert caught.value.order == order and not caught.value.retryable
    assert caught.value.user_message.startswith("Headquarters reported this device lost")


@pytest.mark.parametrize(
    ("status", "code", "retry_after"),
    [(429, "rate-limited", 7.0), (423, "busy", 2.0), (503, "receipt-not-written", None)],
)
def test_waits_asked_by_hq_carry_the_time_to_wait(
    tmp_path: Path, status: int, code: str, retry_after: float | None
) -> None:
    headers = {} if retry_after is None else {"Retry-After": str(int(retry_after))}
    refusal = _json(status, {"error": code, "message": "…"}, **headers)
    with pytest.raises(NotReachableError) as caught:
        _call(tmp_path, _signed_in(lambda m, t, b: refusal), "receipt", "a" * 64)
    assert caught.value.code == code and caught.value.retry_after == retry_after
    assert caught.value.retryable


def test_a_proxy_error_page_is_not_reachable(tmp_path: Path) -> None:
    page = (502, {"Content-Type": "text/html"}, b"<html>Bad gateway</html>")
    with pytest.raises(NotReachableError, match="HTTP status 502"):
        _call(tmp_path, _signed_in(lambda m, t, b: page), "receipt", "a" * 64)


FORM = b"a signed form file"
LISTED = {
    "name": "observation-3.fkf",
    "id": "observation",
    "version": "3",
    "sha256": hashlib.sha256(FORM).hexdigest(),
    "size": len(FORM),
    "published_at": "2026-03-15T09:00:00Z",
}


def _forms(method: str, target: str, body: bytes) -> Answer:
    if target == "/v1/forms":
        return _json(200, {"forms": [LISTED]})
    if target == "/v1/forms/observation-3.fkf":
        return 200, {"Content-Type": "application/octet-stream"}, FORM
    return _json(404, {"error": "not-found", "message": "…"})


def test_the_published_forms_are_listed_and_fetched(tmp_path: Path) -> None:
    with TlsServer(make_certificate(tmp_path, "server"), _signed_in(_forms)) as server:
        with _client(server) as client:
            listed = client.forms()
            data = client.form("observation-3.fkf")
            with pytest.raises(NotOnHqError, match=r"no longer publishes the form gone\.fkf"):
                client.form("gone.fkf")
        assert {"GET /v1/forms", "GET /v1/forms/observation-3.fkf"} <= set(server.wait(5).requests)
    assert listed == [RemoteForm(**LISTED)]
    assert data == FORM


@pytest.mark.parametrize(
    "entry",
    [
        {**LISTED, "name": "../vault.key"},
        {**LISTED, "sha256": "XYZ"},
        {**LISTED, "size": -1},
        {**LISTED, "size": True},
        {key: value for key, value in LISTED.items() if key != "version"},
        "observation-3.fkf",
    ],
)
def test_a_malformed_list_of_forms_is_a_protocol_error(tmp_path: Path, entry: object) -> None:
    responder = _signed_in(lambda m, t, b: _json(200, {"forms": [entry]}))
    with pytest.raises(ProtocolError, match="list of forms"):
        _call(tmp_path, responder, "forms")


def test_a_form_name_with_a_folder_is_refused_before_asking(tmp_path: Path) -> None:
    with TlsServer(make_certificate(tmp_path, "server"), _signed_in(_forms)) as server:
        with _client(server) as client, pytest.raises(Exception, match="not a form file name"):
            client.form("../vault.key")
        assert server.requests == []


def test_an_upload_location_off_hqs_origin_is_not_followed(tmp_path: Path) -> None:
    """The bearer token never goes to another host, whatever a Location header says."""
    bundle = tmp_path / "bundle.fkb"
    bundle.write_bytes(b"x" * 1000)
    elsewhere = {"Location": "https://203.0.113.9:8443/v1/uploads/x", "Upload-Offset": "0"}
    responder = _signed_in(lambda m, t, b: (201, elsewhere, b""))
    with TlsServer(make_certificate(tmp_path, "server"), responder) as server:
        with _client(server) as client, pytest.raises(Exception, match="cannot read"):
            client.upload(bundle, hashlib.sha256(b"x" * 1000).hexdigest())
        requests = server.wait(7).requests  # the sign-in, then five tries
    assert requests.count("POST /v1/uploads") == 5 and not any("PATCH" in r for r in requests)
