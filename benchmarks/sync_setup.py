"""What the network sync benchmarks need: an HQ folder with its keys and TLS certificate, its
server in a process of its own, enrolled devices and their bundles, the device's client."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.bench_vault import FORM, sample_answers
from fieldkit.bundle import (
    AttachmentSource,
    FormSource,
    SealedRevision,
    export_bundle_file,
    form_bytes,
    make_device_identity_file,
    read_device_identity_file,
)
from fieldkit.bundle.agefile import new_identity
from fieldkit.crypto.identity import SigningKey
from fieldkit.domain.records import (
    RevisionEnvelope,
    new_record_id,
    revision_signing_message,
    sha256_hex,
)
from fieldkit.files import sha256_of_file
from fieldkit.hq import keys
from fieldkit.hq.paths import PASSPHRASE_ENV, HqPaths
from fieldkit.hq.repository import open_repository, sqlite_url
from fieldkit.hq.tls import read_pin
from fieldkit.services.forms import read_form_file
from fieldkit.sync.client import HqClient, HqEndpoint

ROOT = Path(__file__).resolve().parents[1]
PASSPHRASE = "benchmark passphrase kestrel obsidian lantern"  # noqa: S105 - a throwaway HQ
MIB = 1 << 20
_PIECE = 4 * MIB
_CLI = "import sys; from fieldkit.hq.cli import main; sys.exit(main(sys.argv[1:]))"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Device:
    key: SigningKey = field(default_factory=SigningKey.generate)
    age: tuple[str, str] = field(default_factory=new_identity)
    sequence: int = 0
    previous: str | None = None


@dataclass(frozen=True)
class Bundle:
    path: Path
    sha256: str
    size: int
    revisions: int


class Hq:
    """An HQ folder (keys, certificate, repository) under ``folder``."""

    def __init__(self, folder: Path, db_url: str | None = None) -> None:
        self.paths = HqPaths(folder / "hq")
        self.paths.make_folders()
        self.db_url = db_url or sqlite_url(self.paths.database)
        self.config, secret = keys.create(self.paths, PASSPHRASE, name="Benchmark HQ")
        self.signing = secret.signing_key
        self.stick = folder / "stick"
        self.stick.mkdir()
        form = read_form_file(ROOT / "forms" / f"{FORM}.yaml")
        definition = form_bytes(form)
        self.form_version = form.version
        self.form = FormSource(form.id, form.version, sha256_hex(definition), definition)
        self.answers = sample_answers()
        self.server: subprocess.Popen[bytes] | None = None
        self.port = 0

    def enrol(self) -> Device:
        device = Device()
        identity = make_device_identity_file(
            device_key=device.key, age_recipient=device.age[1], device_name="bench"
        )
        repository = open_repository(self.db_url)
        try:
            repository.add_device(read_device_identity_file(identity), "2026-12-07T09:00:00Z")
        finally:
            repository.close()
        return device

    def bundle(self, device: Device, revisions: int, attachment: Path | None = None) -> Bundle:
        """The device's next bundle: ``revisions`` sealed revisions and, if given, the file
        ``attachment`` as its one attachment (streamed, never held in memory)."""
        sealed = [self._seal(device) for _ in range(revisions)]
        sources = [] if attachment is None else [attachment_source(attachment)]
        exported = export_bundle_file(
            self.stick,
            device_key=device.key,
            sequence=device.sequence + 1,
            previous=device.previous,
            recipients=[self.config.ingest_recipient],
            revisions=sealed,
            attachments=sources,
            forms=[self.form],
        )
        device.sequence += 1
        device.previous = exported.info.manifest_sha256
        path = exported.path
        return Bundle(path, sha256_of_file(path, _PIECE), path.stat().st_size, revisions)

    def _seal(self, device: Device) -> SealedRevision:
        record_id = new_record_id()
        content = RevisionEnvelope(
            record_id=record_id,
            number=1,
            form_id=FORM,
            form_version=self.form_version,
            data=self.answers,
            attachments=(),
            previous=None,
            sealed_at="2026-12-07T10:00:00Z",
            device=device.key.key_id,
        ).canonical()
        signature = device.key.sign(revision_signing_message(content))
        return SealedRevision(record_id, 1, sha256_hex(content), content, signature)

    # -- the server

    def start_child(self, put_folder: Path) -> int:
        """The one-process server with the plain PUT route (benchmarks.sync_server_child);
        its process id."""
        put_folder.mkdir(exist_ok=True)
        port = free_port()
        module = ["-m", "benchmarks.sync_server_child", str(self.paths.root), self.db_url]
        return self._start(port, *module, str(port), str(put_folder))

    def start_serve(self, workers: int) -> int:
        """``fieldkit-hq serve --workers N``, as an operator runs it; its process id."""
        port = free_port()
        args = ["-c", _CLI, "--hq", str(self.paths.root), "--db", self.db_url, "serve"]
        args += ["--listen", f"127.0.0.1:{port}", "--workers", str(workers)]
        args += ["--requests-per-minute", "100000"]  # one device alone sends fast
        return self._start(port, *args)

    def _start(self, port: int, *command: str) -> int:
        """Start the server and wait until it answers a signed ping."""
        self.port = port
        env = dict(os.environ, **{PASSPHRASE_ENV: PASSPHRASE})
        with (self.paths.root.parent / "server.log").open("ab") as log:
            self.server = subprocess.Popen(
                [sys.executable, *command], stdout=log, stderr=log, env=env, cwd=ROOT
            )
        deadline = time.monotonic() + 120
        while True:
            if self.server.poll() is not None:
                raise RuntimeError("the benchmark's server stopped; see its server.log")
            try:
                with HqClient(self.endpoint(), SigningKey.generate(), timeout=5) as client:
                    client.ping()
                return self.server.pid
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(30)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        self.server = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def endpoint(self, address: str | None = None) -> HqEndpoint:
        return HqEndpoint(
            address=address or self.url,
            spki_sha256=read_pin(self.paths.tls_cert),
            hq_signing_public_key=self.signing.public.public_key,
            hq_key_id=self.signing.key_id,
        )

    def client(self, device: Device, address: str | None = None, **options: Any) -> HqClient:
        return HqClient(self.endpoint(address), device.key, **options)


def attachment_source(path: Path) -> AttachmentSource:
    def chunks() -> Iterator[bytes]:
        with path.open("rb") as handle:
            while piece := handle.read(_PIECE):
                yield piece

    return AttachmentSource(sha256_of_file(path, _PIECE), path.stat().st_size, chunks)


def random_file(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        left = size
        while left > 0:
            piece = os.urandom(min(_PIECE, left))
            handle.write(piece)
            left -= len(piece)
    return path


def rss_kib(pid: int) -> int:
    """The resident memory of process ``pid`` (Linux), in KiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:  # noqa: PTH123
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")
