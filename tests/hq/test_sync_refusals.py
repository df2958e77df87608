"""The sync server refuses with a reason, and stores nothing: unknown and revoked devices,
expired and replayed challenges and tokens, wrong checksums, oversized and mismatched uploads,
a client pinning another key."""

from __future__ import annotations

import hashlib
import secrets
import socket
import ssl
import time
from pathlib import Path

import httpx
import pytest

from fieldkit.bundle import new_identity, read_enrolment
from fieldkit.crypto.pins import spki_sha256_of_der
from fieldkit.domain.records import sha256_hex
from fieldkit.hq import tls
from fieldkit.hq.server.sessions import session_message, token_hash
from tests.hq.support import Device, Hq
from tests.hq.sync_server import Server, Upload, bundle_bytes, enrolled, server, shared_hq, sign_in

__all__ = ["server", "shared_hq"]


def _refused(answer: httpx.Response, status: int, code: str) -> str:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["error"] == code
    message: str = body["message"]
    assert message
    return message


def test_an_unknown_device_gets_no_challenge(server: Server) -> None:
    with server.client() as client:
        answer = client.post("/v1/session/challenge", json={"key_id": "0" * 32})
    assert "not enrolled" in _refused(answer, 403, "unknown-device")


def test_a_revoked_devices_token_stops_working_at_its_next_request(
    server: Server, shared_hq: Hq
) -> None:
    device = enrolled(shared_hq.repository)
    with server.client() as client:
        headers = sign_in(client, shared_hq, device)
        assert Upload(client, headers, b"x" * 10).create().status_code == 201
        shared_hq.repository.revoke_device(device.key.key_id, 1, "2026-12-07T10:00:00Z")
        answer = Upload(client, headers, b"y" * 10).create()
        again = client.post("/v1/session/challenge", json={"key_id": device.key.key_id})
    assert "revoked" in _refused(answer, 403, "revoked-device")
    _refused(again, 403, "revoked-device")
    assert shared_hq.repository.device_upload(device.key.key_id, sha256_hex(b"y" * 10)) is None
    token = headers["Authorization"].split()[1]
    assert shared_hq.repository.token_device(token_hash(token), int(time.time())) is None


def test_a_challenge_is_refused_once_used_or_expired(server: Server, shared_hq: Hq) -> None:
    device = enrolled(shared_hq.repository)
    key_id = device.key.key_id
    hq_key_id = shared_hq.keys.hq_signing.key_id

    def session(client: httpx.Client, challenge: str) -> httpx.Response:
        signature = device.key.sign(session_message(challenge, hq_key_id, key_id)).hex()
        body = {"key_id": key_id, "challenge": challenge, "signature": signature}
        return client.post("/v1/session", json=body)

    with server.client() as client:
        challenge = client.post("/v1/session/challenge", json={"key_id": key_id}).json()
        assert session(client, challenge["challenge"]).status_code == 200
        replayed = session(client, challenge["challenge"])
        old = secrets.token_hex(32)
        shared_hq.repository.add_challenge(old, key_id, int(time.time()) - 1)
        expired = session(client, old)
    assert "used already" in _refused(replayed, 401, "bad-challenge")
    _refused(expired, 401, "bad-challenge")


def test_a_signature_by_another_key_is_refused(server: Server, shared_hq: Hq) -> None:
    device, impostor = enrolled(shared_hq.repository), Device()
    key_id = device.key.key_id
    with server.client() as client:
        challenge = client.post("/v1/session/challenge", json={"key_id": key_id}).json()
        message = session_message(challenge["challenge"], shared_hq.keys.hq_signing.key_id, key_id)
        body = {
            "key_id": key_id,
            "challenge": challenge["challenge"],
            "signature": impostor.key.sign(message).hex(),
        }
        answer = client.post("/v1/session", json=body)
    assert "does not verify" in _refused(answer, 401, "bad-signature")


def test_expired_and_made_up_tokens_are_refused(server: Server, shared_hq: Hq) -> None:
    device = enrolled(shared_hq.repository)
    token = secrets.token_urlsafe(32)
    shared_hq.repository.add_token(token_hash(token), device.key.key_id, int(time.time()) - 1)
    with server.client() as client:
        for value in (token, secrets.token_urlsafe(32)):
            headers = {"Authorization": f"Bearer {value}", "Tus-Resumable": "1.0.0"}
            answer = Upload(client, headers, b"z" * 10).create()
            assert "sign in again" in _refused(answer, 401, "bad-token")
        answer = client.options("/v1/uploads")  # needs no session
    assert answer.status_code == 204


def test_a_chunk_with_a_wrong_checksum_is_not_stored(server: Server, shared_hq: Hq) -> None:
    device = enrolled(shared_hq.repository)
    data = bundle_bytes(shared_hq, device)
    with server.client() as client:
        upload = Upload(client, sign_in(client, shared_hq, device), data)
        location = upload.create().headers["Location"]
        answer = upload.patch(location, 0, 1000, checksum=hashlib.sha256(b"other").digest())
        offset = upload.offset(location)
    assert "Upload-Checksum" in _refused(answer, 460, "checksum-mismatch")
    assert offset == 0
    part = shared_hq.paths.uploads / f"{location.rsplit('/', 1)[1]}.part"
    assert part.stat().st_size == 0


def test_an_oversized_upload_is_refused_before_any_byte(server: Server, shared_hq: Hq) -> None:
    device = enrolled(shared_hq.repository)
    with server.client() as client:
        upload = Upload(client, sign_in(client, shared_hq, device), b"")
        headers = dict(upload.headers, **{"Upload-Length": str(3 * 1024**3)})
        headers["Upload-Metadata"] = "bundle-sha256 " + "MDAw" * 21 + "MA=="
        answer = client.post("/v1/uploads", headers=headers)
        headers["Upload-Length"] = "0"
        empty = client.post("/v1/uploads", headers=headers)
    assert "at most" in _refused(answer, 413, "too-large")
    assert "Upload-Length" in _refused(empty, 400, "bad-request")
    assert shared_hq.repository.device_upload(device.key.key_id, "0" * 64) is None


def test_bytes_other_than_the_declared_bundle_are_refused_at_completion(
    server: Server, shared_hq: Hq
) -> None:
    device = enrolled(shared_hq.repository)
    data = bundle_bytes(shared_hq, device)
    forged = bytearray(data)
    forged[-1] ^= 1
    before = shared_hq.repository.counts()
    with server.client() as client:
        upload = Upload(client, sign_in(client, shared_hq, device), data)
        location = upload.create().headers["Location"]
        upload.data = bytes(forged)  # the same length, other bytes, under the known id
        answer = upload.patch(location, 0, len(forged))
        gone = client.head(location, headers=upload.headers)
    assert "SHA-256 declared" in _refused(answer, 422, "bundle-mismatch")
    assert gone.status_code == 404
    assert shared_hq.repository.counts() == before


def test_a_client_pinning_another_key_refuses_the_server(
    server: Server, shared_hq: Hq, tmp_path: Path
) -> None:
    other = tls.TlsFiles(tmp_path / "other.crt", tmp_path / "other.key")
    tls.create(other, "Impostor", ["127.0.0.1"])
    context = ssl.create_default_context(cafile=str(other.cert))
    with (
        httpx.Client(base_url=server.base_url, verify=context) as client,
        pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        client.get("/v1/ping", params={"nonce": "0" * 32})
    # The enrolment file's pin is the server's key, and no other certificate's.
    pin = read_enrolment(shared_hq.paths.enrolment.read_bytes()).tls_spki_sha256
    assert pin == _peer_pin(server) != tls.read_pin(other.cert)


def test_the_server_speaks_tls_1_3_only(server: Server, shared_hq: Hq) -> None:
    context = ssl.create_default_context(cafile=str(shared_hq.paths.tls_cert))
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with (
        socket.create_connection(("127.0.0.1", server.port)) as raw,
        pytest.raises(ssl.SSLError),
    ):
        context.wrap_socket(raw, server_hostname="127.0.0.1")


def _peer_pin(server: Server) -> str:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # only to read the certificate presented
    with (
        socket.create_connection(("127.0.0.1", server.port)) as raw,
        context.wrap_socket(raw) as wrapped,
    ):
        der = wrapped.getpeercert(binary_form=True)
    assert der is not None
    return spki_sha256_of_der(der)


def test_a_bundle_ingest_refuses_is_refused_with_its_reason(server: Server, shared_hq: Hq) -> None:
    device = enrolled(shared_hq.repository)
    path = shared_hq.bundle(device, [device.revision()], recipients=[new_identity()[1]])
    before = shared_hq.repository.counts()
    with server.client() as client:
        upload = Upload(client, sign_in(client, shared_hq, device), path.read_bytes())
        location = upload.create().headers["Location"]
        answer = upload.patch(location, 0, len(upload.data))
        gone = client.head(location, headers=upload.headers)
    assert "not encrypted to this headquarters' key" in _refused(answer, 422, "bundle-rejected")
    assert gone.status_code == 404  # the device may send it again once the cause is fixed
    assert shared_hq.repository.counts() == before


def test_a_request_without_the_tus_version_is_refused(server: Server, shared_hq: Hq) -> None:
    device = enrolled(shared_hq.repository)
    with server.client() as client:
        headers = sign_in(client, shared_hq, device)
        del headers["Tus-Resumable"]
        answer = Upload(client, headers, b"x").create()
    assert "Tus-Resumable" in _refused(answer, 412, "tus-version")
    assert answer.headers["Tus-Version"] == "1.0.0"
