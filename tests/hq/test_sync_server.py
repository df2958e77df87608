"""The sync server over TLS on 127.0.0.1: sign-in, tus uploads, ingest and the signed receipt."""

from __future__ import annotations

import secrets
import time
from email.utils import parsedate_to_datetime

from fieldkit.crypto.identity import PublicIdentity
from fieldkit.hq.repository.sync import Upload as RepoUpload
from fieldkit.hq.server.ping import ping_message
from tests.hq.support import CANARY_CONTACT, CANARY_NAME, Hq, holds
from tests.hq.sync_server import Server, Upload, bundle_bytes, enrolled, server, shared_hq, sign_in

__all__ = ["server", "shared_hq"]


def test_a_sealed_bundle_arrives_and_its_receipt_verifies(server: Server, shared_hq: Hq) -> None:
    device = enrolled(shared_hq.repository)
    data = bundle_bytes(shared_hq, device, 300_000)
    with server.client() as client:
        headers = sign_in(client, shared_hq, device)
        upload = Upload(client, headers, data)
        location = upload.send(chunk=100_000)
        assert upload.offset(location) == len(data)
        answer = client.get(f"/v1/receipts/{upload.sha256}", headers=headers)
    assert answer.status_code == 200, answer.text
    receipt = shared_hq.repository.receipts()
    on_disk = [shared_hq.paths.receipts / r.file_name for r in receipt]
    assert answer.content in [p.read_bytes() for p in on_disk]  # the USB path's receipt bytes
    copy = shared_hq.stick / "receipt.fkr"
    copy.write_bytes(answer.content)
    verified = shared_hq.receipt_of(device, copy)  # as the device reads it
    assert verified.sequence == 1 and len(verified.accepted) == 1
    assert not list(shared_hq.paths.uploads.glob("*.part"))  # nothing left once ingested
    for canary in (CANARY_NAME, CANARY_CONTACT):  # nothing decrypted reached HQ's disk
        assert holds(shared_hq.paths.root, canary) == []


def test_the_ping_is_signed_by_hq_over_the_clients_nonce(server: Server, shared_hq: Hq) -> None:
    nonce = secrets.token_hex(16)
    with server.client() as client:
        answer = client.get("/v1/ping", params={"nonce": nonce}).json()
        bad = client.get("/v1/ping", params={"nonce": "not hex"})
    assert answer["nonce"] == nonce and answer["hq_name"] == "Test HQ"
    message = ping_message(answer["hq_name"], nonce, answer["time"])
    public = PublicIdentity(shared_hq.keys.hq_signing.public.public_key)
    assert public.verify(bytes.fromhex(answer["signature"]), message)
    assert bad.status_code == 400 and bad.json()["error"] == "bad-request"


def test_options_describes_the_tus_subset(server: Server) -> None:
    with server.client() as client:
        answer = client.options("/v1/uploads")
    assert answer.status_code == 204
    assert answer.headers["Tus-Version"] == "1.0.0"
    assert answer.headers["Tus-Extension"] == "creation,checksum,termination,expiration"
    assert answer.headers["Tus-Checksum-Algorithm"] == "sha256"
    assert int(answer.headers["Tus-Max-Size"]) > 0


def test_an_upload_can_be_abandoned(server: Server, shared_hq: Hq) -> None:
    device = enrolled(shared_hq.repository)
    data = bundle_bytes(shared_hq, device, 300_000)
    with server.client() as client:
        upload = Upload(client, sign_in(client, shared_hq, device), data)
        location = upload.create().headers["Location"]
        assert upload.patch(location, 0, 5000).status_code == 204
        deleted = client.delete(location, headers=upload.headers)
        gone = client.head(location, headers=upload.headers)
    assert deleted.status_code == 204 and gone.status_code == 404
    upload_id = location.rsplit("/", 1)[1]
    assert not (shared_hq.paths.uploads / f"{upload_id}.part").exists()
    assert shared_hq.repository.upload(upload_id) is None


def test_an_unfinished_upload_expires_after_14_days(server: Server, shared_hq: Hq) -> None:
    device = enrolled(shared_hq.repository)
    with server.client() as client:
        upload = Upload(client, sign_in(client, shared_hq, device), b"x" * 100)
        answer = upload.create()
        expires = parsedate_to_datetime(answer.headers["Upload-Expires"]).timestamp()
        assert expires >= time.time() + 14 * 24 * 3600 - 60
        old = Upload(upload.client, upload.headers, b"y" * 100)
        stale = shared_hq.repository.add_upload(
            RepoUpload("e" * 32, device.key.key_id, old.sha256, 100, 0, int(time.time()) - 1)
        )
        Upload(client, upload.headers, b"z" * 100).create()  # a new upload sweeps expired ones
    assert shared_hq.repository.upload(stale.upload_id) is None
