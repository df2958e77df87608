"""A standard tus client (tuspy, the tus project's Python client) uploads a bundle to the sync
server, cut off mid-way and resumed from the server's offset."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from tests.hq.support import Hq
from tests.hq.sync_server import Server, enrolled, server, shared_hq, sign_in

__all__ = ["server", "shared_hq"]

tusclient = pytest.importorskip("tusclient.client")


def test_a_standard_tus_client_uploads_a_bundle_and_resumes_it(
    server: Server, shared_hq: Hq, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(shared_hq.paths.tls_cert))  # HQ's own key only
    device = enrolled(shared_hq.repository)
    path: Path = shared_hq.bundle(device, [device.revision()], [b"\x00" * 150_000])
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    with server.client() as client:
        headers = sign_in(client, shared_hq, device)
        tus = tusclient.TusClient(f"{server.base_url}/v1/uploads", headers=headers)
        first = tus.uploader(
            file_stream=io.BytesIO(data), chunk_size=40_000, metadata={"bundle-sha256": sha256}
        )
        first.upload(stop_at=80_000)  # the link drops after two chunks
        resumed = tus.uploader(file_stream=io.BytesIO(data), url=first.url, chunk_size=40_000)
        assert resumed.get_offset() == 80_000
        resumed.upload()
        receipt = client.get(f"/v1/receipts/{sha256}", headers=headers)
    assert receipt.status_code == 200
    copy = shared_hq.stick / "receipt.fkr"
    copy.write_bytes(receipt.content)
    assert shared_hq.receipt_of(device, copy).accepted
