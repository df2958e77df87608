"""The sync server for tests: a real ``fieldkit-hq serve`` process over TLS on 127.0.0.1, an HQ
folder made by ``keys.create`` (with its certificate), devices that sign in and upload bundles."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from fieldkit.hq import keys
from fieldkit.hq.paths import HqPaths
from fieldkit.hq.repository import Repository, open_repository, sqlite_url
from fieldkit.hq.server.sessions import session_message
from tests.bundle.factory import Keys
from tests.conftest import PASSPHRASE
from tests.hq.support import Device, Hq

START_TIMEOUT = 60.0
_MAIN = "import sys; from fieldkit.hq.cli import main; sys.exit(main(sys.argv[1:]))"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_hq(root: Path, db_url: str | None = None) -> tuple[Hq, str]:
    """An initialised HQ folder under ``root`` (``root/hq``) and its repository's address."""
    paths = HqPaths(root / "hq")
    paths.make_folders()
    url = db_url or sqlite_url(paths.database)
    repository = open_repository(url)
    config, secret = keys.create(paths, PASSPHRASE, name="Test HQ")
    made = Keys(hq_signing=secret.signing_key, hq=(secret.ingest_identity, config.ingest_recipient))
    return Hq(root, repository, keys=made), url


def pinned_context(cert: Path) -> ssl.SSLContext:
    """A client context that trusts HQ's own certificate and nothing else, TLS 1.3 only."""
    context = ssl.create_default_context(cafile=str(cert))
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    return context


class Server:
    """One ``fieldkit-hq serve`` process; ``start`` waits until it answers over TLS."""

    def __init__(self, hq: Hq, db_url: str, log: Path, *args: str) -> None:
        self.hq = hq
        self.db_url = db_url
        self.port = free_port()
        self.log = log
        self.args = args
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def client(self) -> httpx.Client:
        context = pinned_context(self.hq.paths.tls_cert)
        return httpx.Client(base_url=self.base_url, verify=context, timeout=30.0)

    def start(self) -> Server:
        env = dict(os.environ, FIELDKIT_HQ_PASSPHRASE=PASSPHRASE, PYTHONUNBUFFERED="1")
        command = [sys.executable, "-c", _MAIN, "--hq", str(self.hq.paths.root)]
        command += ["--db", self.db_url, "serve", "--listen", f"127.0.0.1:{self.port}"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command + list(self.args), stdout=out, stderr=out, env=env
            )
        deadline = time.monotonic() + START_TIMEOUT
        with self.client() as client:
            while True:
                if self.process.poll() is not None:
                    pytest.fail(f"the server stopped: {self.log.read_text()[-2000:]}")
                try:
                    client.get("/v1/ping", params={"nonce": "0" * 32})
                    return self
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"the server did not start: {self.log.read_text()[-2000:]}")
                    time.sleep(0.2)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest.fixture(scope="module")
def shared_hq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hq]:
    hq, _url = make_hq(tmp_path_factory.mktemp("sync"))
    yield hq
    hq.repository.close()


@pytest.fixture(scope="module")
def server(shared_hq: Hq, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the tests of a module that do not stop it (each uses its own device)."""
    log = tmp_path_factory.mktemp("log") / "server.log"
    running = Server(shared_hq, sqlite_url(shared_hq.paths.database), log).start()
    yield running
    running.stop()


def bundle_bytes(hq: Hq, device: Device, attachment_size: int = 0) -> bytes:
    """The bytes of the device's next bundle (one revision; with a random attachment of
    ``attachment_size`` bytes unless 0), its file removed."""
    attachments = [secrets.token_bytes(attachment_size)] if attachment_size else []
    path = hq.bundle(device, [device.revision()], attachments)
    data = path.read_bytes()
    path.unlink()
    return data


def enrolled(repository: Repository) -> Device:
    device = Device()
    device.register(repository)
    return device


def sign_in(client: httpx.Client, hq: Hq, device: Device) -> dict[str, str]:
    """Headers of a signed-in device (tus and bearer)."""
    key_id = device.key.key_id
    answer = client.post("/v1/session/challenge", json={"key_id": key_id})
    assert answer.status_code == 200, answer.text
    challenge = answer.json()["challenge"]
    signature = device.key.sign(session_message(challenge, hq.keys.hq_signing.key_id, key_id))
    answer = client.post(
        "/v1/session",
        json={"key_id": key_id, "challenge": challenge, "signature": signature.hex()},
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}", "Tus-Resumable": "1.0.0"}


@dataclass
class Upload:
    client: httpx.Client
    headers: dict[str, str]
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def create(self) -> httpx.Response:
        metadata = "bundle-sha256 " + base64.b64encode(self.sha256.encode()).decode()
        headers = dict(self.headers, **{"Upload-Length": str(len(self.data))})
        headers["Upload-Metadata"] = metadata
        return self.client.post("/v1/uploads", headers=headers)

    def offset(self, location: str) -> int:
        answer = self.client.head(location, headers=self.headers)
        assert answer.status_code == 200, answer.headers
        return int(answer.headers["Upload-Offset"])

    def patch(
        self, location: str, start: int, end: int, checksum: bytes | None = None
    ) -> httpx.Response:
        chunk = self.data[start:end]
        digest = hashlib.sha256(chunk).digest() if checksum is None else checksum
        headers = dict(self.headers)
        headers["Content-Type"] = "application/offset+octet-stream"
        headers["Upload-Offset"] = str(start)
        headers["Upload-Checksum"] = "sha256 " + base64.b64encode(digest).decode()
        return self.client.patch(location, headers=headers, content=chunk)

    def send(self, chunk: int = 64 * 1024) -> str:
        """Create (or find) the upload and send the rest; its location."""
        answer = self.create()
        assert answer.status_code == 201, answer.text
        location = answer.headers["Location"]
        offset = int(answer.headers["Upload-Offset"])
        while offset < len(self.data):
            answer = self.patch(location, offset, min(offset + chunk, len(self.data)))
            assert answer.status_code == 204, answer.text
            offset = int(answer.headers["Upload-Offset"])
        return location
