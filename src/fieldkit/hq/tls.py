"""HQ's TLS certificate for the sync server: self-signed, pinned by devices, not by a CA.

``fieldkit-hq init`` (or ``fieldkit-hq tls create`` for an older HQ folder) makes a P-256 key and
a self-signed certificate for it, ``tls.key`` (owner-only) and ``tls.crt``. Devices trust the
certificate by the SHA-256 of its public key (the SPKI pin), which the enrolment file carries, so
any CA-signed certificate an operator prefers works as well once its pin is in the enrolment.

The TLS key is kept unencrypted (readable by the service account only), unlike ``hq.keys``: the
server must be able to restart unattended, and the key protects less. Bundles are encrypted to
HQ's age key and receipts signed by HQ's signing key, end to end: whoever steals the TLS key can
pose as HQ's server to devices, and learn when they send and how much, but can neither read a
bundle nor forge a receipt, so a device never counts a bundle as delivered to an impostor.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fieldkit.crypto.pins import spki_sha256
from fieldkit.files import atomic_write_bytes
from fieldkit.hq.errors import ConflictError, InvalidInputError, NotFoundError
from fieldkit.i18n import _

VALID_DAYS = 3650


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path


def read_pin(cert_file: Path) -> str:
    """The pin of a PEM certificate file (the first certificate in it)."""
    try:
        data = cert_file.read_bytes()
    except FileNotFoundError:
        raise NotFoundError(_("{path}: no such file.").format(path=cert_file)) from None
    try:
        return spki_sha256(x509.load_pem_x509_certificate(data))
    except ValueError:
        raise InvalidInputError(
            _("{path}: not a PEM certificate.").format(path=cert_file)
        ) from None


def create(files: TlsFiles, name: str, hosts: list[str], *, replace: bool = False) -> str:
    """Make a key and a self-signed certificate for ``hosts`` (names or IP addresses); return
    the pin. An existing pair is kept unless ``replace``."""
    if not replace and (files.cert.exists() or files.key.exists()):
        raise ConflictError(
            _("{path} exists already; nothing was changed.").format(path=files.cert)
        )
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name[:64])])
    now = datetime.datetime.now(datetime.UTC)
    alternative: list[x509.GeneralName] = []
    for host in hosts:
        try:
            alternative.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alternative.append(x509.DNSName(host))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    atomic_write_bytes(files.key, key_pem)  # owner-only
    atomic_write_bytes(files.cert, certificate.public_bytes(serialization.Encoding.PEM))
    return spki_sha256(certificate)


def server_context(files: TlsFiles) -> ssl.SSLContext:
    """A TLS 1.3-only server context (what the server runs with; uvicorn's is made alike)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(files.cert, files.key)
    return context
