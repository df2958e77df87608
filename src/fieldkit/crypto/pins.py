"""The TLS key pin: SHA-256 of a certificate's DER SubjectPublicKeyInfo.

HQ puts the pin of its TLS certificate in the enrolment file; a device accepts exactly the server
whose leaf certificate carries that public key, whoever signed the certificate.
"""

from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import serialization


def spki_sha256(certificate: x509.Certificate) -> str:
    """The pin: SHA-256 (hex) of the certificate's DER SubjectPublicKeyInfo."""
    spki = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).hexdigest()


def spki_sha256_of_der(der: bytes) -> str:
    """The pin of a certificate given as DER (what ``SSLSocket.getpeercert(True)`` gives).
    Raises ``ValueError`` if ``der`` is not a certificate."""
    return spki_sha256(x509.load_der_x509_certificate(der))
