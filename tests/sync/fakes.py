"""Small network doubles for the sync client's tests: certificates (self-signed, or a CA and a
leaf it signed), a TLS server that records every byte it receives after the handshake and answers
what a test wants, and a TCP relay that cuts the link once after some bytes."""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fieldkit.crypto.pins import spki_sha256


@dataclass(frozen=True)
class Certificate:
    chain: Path  # PEM: the leaf, then its issuer if any
    key: Path
    pin: str  # of the leaf's key


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def make_certificate(folder: Path, name: str, *, ca: bool = False) -> Certificate:
    """A leaf for 127.0.0.1: self-signed, or (``ca``) signed by a new CA, as a public CA signs
    (the CA certificate goes in the chain)."""
    now = datetime.datetime.now(datetime.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    issuer_key, issuer_name = key, _name(name)
    extra = b""
    if ca:
        issuer_key = ec.generate_private_key(ec.SECP256R1())
        issuer_name = _name(f"{name} Root CA")
        authority = (
            x509.CertificateBuilder()
            .subject_name(issuer_name)
            .issuer_name(issuer_name)
            .public_key(issuer_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(issuer_key, hashes.SHA256())
        )
        extra = authority.public_bytes(serialization.Encoding.PEM)
        (folder / f"{name}-ca.crt").write_bytes(extra)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )
    chain, key_file = folder / f"{name}.crt", folder / f"{name}.key"
    chain.write_bytes(leaf.public_bytes(serialization.Encoding.PEM) + extra)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(chain, key_file, spki_sha256(leaf))


Answer = tuple[int, dict[str, str], bytes]
Responder = Callable[[str, str, bytes], Answer]  # (method, target, body) -> answer


def _no_answer(method: str, target: str, body: bytes) -> Answer:
    return 404, {}, b""


@dataclass
class TlsServer:
    """A TLS 1.3 server on 127.0.0.1 presenting ``certificate``. It records, per connection,
    whether the handshake completed and every byte received after it; it answers each HTTP
    request with ``responder`` (one request per connection)."""

    certificate: Certificate
    responder: Responder = _no_answer
    maximum_version: ssl.TLSVersion = ssl.TLSVersion.MAXIMUM_SUPPORTED
    handshakes: int = 0
    received: bytearray = field(default_factory=bytearray)
    requests: list[str] = field(default_factory=list)
    finished: int = 0  # connections handled to their end

    def __post_init__(self) -> None:
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.minimum_version = min(ssl.TLSVersion.TLSv1_2, self.maximum_version)
        self._context.maximum_version = self.maximum_version
        self._context.load_cert_chain(self.certificate.chain, self.certificate.key)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> str:
        return f"https://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> TlsServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(10)
        self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                raw, _peer = self._listener.accept()
            except TimeoutError:
                continue
            with raw:
                raw.settimeout(5)
                self._connection(raw)
            self.finished += 1

    def wait(self, connections: int = 1) -> TlsServer:
        """Return once ``connections`` connections were handled to their end (the client may
        finish before the server saw all)."""
        deadline = time.monotonic() + 10
        while self.finished < connections and time.monotonic() < deadline:
            time.sleep(0.01)
        return self

    def _connection(self, raw: socket.socket) -> None:
        try:
            wrapped = self._context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            return
        with wrapped:
            self.handshakes += 1
            data = b""
            try:
                while b"\r\n\r\n" not in data or len(data) < self._expected(data):
                    piece = wrapped.recv(65536)
                    if not piece:
                        break
                    data += piece
                    self.received += piece
            except (ssl.SSLError, OSError):
                return
            if b"\r\n\r\n" not in data:
                return
            head, _sep, body = data.partition(b"\r\n\r\n")
            method, target = head.split(b"\r\n")[0].decode().split(" ")[:2]
            self.requests.append(f"{method} {target}")
            status, headers, payload = self.responder(method, target, body)
            lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(payload)}", "Connection: close"]
            lines += [f"{key}: {value}" for key, value in headers.items()]
            try:
                wrapped.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
            except (ssl.SSLError, OSError):
                return

    @staticmethod
    def _expected(data: bytes) -> int:
        head, _sep, _body = data.partition(b"\r\n\r\n")
        for line in head.split(b"\r\n")[1:]:
            name, _colon, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                return len(head) + 4 + int(value.strip())
        return len(head) + 4


class CuttingRelay:
    """A TCP relay on 127.0.0.1 to ``port`` (TLS passes through untouched) that drops the
    connection once the client has sent ``cut_after`` bytes (in all connections since the last
    cut; a list gives the count before each cut, its last entry repeating), ``times`` times;
    after that, links pass whole. ``cuts`` counts the links it dropped."""

    def __init__(self, port: int, cut_after: int | list[int], times: int = 1) -> None:
        self.port = port
        self.cut_after = cut_after if isinstance(cut_after, list) else [cut_after]
        self.times = times
        self.cuts = 0
        self.upstream_bytes = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    @property
    def address(self) -> str:
        return f"https://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> CuttingRelay:
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(10)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _peer = self._listener.accept()
            except TimeoutError:
                continue
            server = socket.create_connection(("127.0.0.1", self.port))
            pair = (client, server)
            for source, target, counted in ((client, server, True), (server, client, False)):
                thread = threading.Thread(
                    target=self._pump, args=(source, target, counted, pair), daemon=True
                )
                thread.start()
                self._threads.append(thread)

    def _pump(
        self,
        source: socket.socket,
        target: socket.socket,
        counted: bool,
        pair: tuple[socket.socket, socket.socket],
    ) -> None:
        source.settimeout(0.2)
        while not self._stop.is_set():
            try:
                data = source.recv(16384)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            if counted:
                with self._lock:
                    keep = len(data)
                    if self.cuts < self.times:
                        limit = self.cut_after[min(self.cuts, len(self.cut_after) - 1)]
                        keep = max(0, min(len(data), limit - self.upstream_bytes))
                    self.upstream_bytes += keep
                    if keep < len(data):
                        self.cuts += 1
                        self.upstream_bytes = 0
                        _send(target, data[:keep])
                        break
            if not _send(target, data):
                break
        for end in pair:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()


def _send(target: socket.socket, data: bytes) -> bool:
    try:
        target.sendall(data)
    except OSError:
        return False
    return True


class Wrapping(httpx.BaseTransport):
    """A transport in front of ``inner`` (the pinned one) that a test makes misbehave; as it
    is, it passes every request on."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class Recording(Wrapping):
    """Notes each chunk sent: its size, and whether HQ took it (False: the link broke)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        super().__init__(inner)
        self.chunks: list[tuple[int, bool]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method != "PATCH":
            return self.inner.handle_request(request)
        size = int(request.headers["Content-Length"])
        try:
            answer = self.inner.handle_request(request)
        except httpx.TransportError:
            self.chunks.append((size, False))
            raise
        self.chunks.append((size, answer.status_code == 204))
        return answer
