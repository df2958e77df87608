"""HQ's keys: an age X25519 ingest identity and an Ed25519 signing key.

The secrets are kept in ``hq.keys``: a small JSON document encrypted with age's scrypt
passphrase recipient (pyrage), so it is also readable with the standard ``age`` tool and the
passphrase. The public half (the recipients, the signing public key) and HQ's name and address
are kept in clear in ``hq.json``, so that commands that need no secret need no passphrase.

Files are written atomically, readable by their owner only. ``hq.json`` is written first and
``hq.keys`` last: ``hq.keys`` existing means the HQ folder is initialised.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pyrage

from fieldkit.bundle import make_enrolment, new_identity
from fieldkit.bundle.agefile import parse_identity, parse_recipient, recipient_of
from fieldkit.bundle.enrolment import HqPublicKeys
from fieldkit.bundle.schema import SchemaError, display_text, url
from fieldkit.crypto.identity import SigningKey
from fieldkit.domain.records import utc_timestamp
from fieldkit.files import atomic_write_bytes
from fieldkit.hq import tls
from fieldkit.hq.errors import (
    ConflictError,
    InvalidInputError,
    NotInitialisedError,
    WrongPassphraseError,
)
from fieldkit.hq.paths import HqPaths
from fieldkit.i18n import _

KEYS_KIND = "fieldkit/hq-keys"
CONFIG_KIND = "fieldkit/hq-config"
FORMAT_VERSION = 1
MAX_FILE_BYTES = 64 * 1024
DEFAULT_NAME = "Headquarters"


@dataclass(frozen=True)
class HqConfig(HqPublicKeys):
    """HQ's public settings (``hq.json``): nothing in it is secret."""

    name: str
    address: str | None
    ingest_recipient: str
    escrow_recipient: str | None
    signing_public_key: bytes
    created: str

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": CONFIG_KIND,
            "v": FORMAT_VERSION,
            "name": self.name,
            "address": self.address,
            "ingest_recipient": self.ingest_recipient,
            "escrow_recipient": self.escrow_recipient,
            "signing_public_key": self.signing_public_key.hex(),
            "created": self.created,
        }


@dataclass(frozen=True)
class HqKeys:
    """HQ's secrets, unlocked. Never logged, never shown except by ``keys export-identity``."""

    ingest_identity: str
    signing_key: SigningKey

    @property
    def ingest_recipient(self) -> str:
        return recipient_of(parse_identity(self.ingest_identity))

    def __repr__(self) -> str:
        return f"HqKeys(signing_key_id={self.signing_key.key_id})"


def check_settings(name: str, address: str | None, escrow_recipient: str | None) -> None:
    """Refuse a name, address or escrow recipient that an enrolment file cannot hold."""
    try:
        display_text(name, "--name")
        if address is not None:
            url(address, "--address")
        if escrow_recipient is not None:
            parse_recipient(escrow_recipient, "--escrow-recipient")
    except SchemaError as error:
        raise InvalidInputError(error.detail) from None


def create(
    paths: HqPaths,
    passphrase: str,
    *,
    name: str = DEFAULT_NAME,
    address: str | None = None,
    escrow_recipient: str | None = None,
) -> tuple[HqConfig, HqKeys]:
    """Make HQ's keys and write ``hq.json``, ``hq.keys`` and ``enrolment.fke``.

    The passphrase must already have been checked for strength by the caller.
    """
    if paths.keys.exists():
        raise ConflictError(
            _("This headquarters folder already has keys ({path}); nothing was changed.").format(
                path=paths.keys
            )
        )
    check_settings(name, address, escrow_recipient)
    identity, recipient = new_identity()
    if escrow_recipient == recipient:  # pragma: no cover - a fresh key cannot be the escrow key
        raise InvalidInputError(_("The escrow key must differ from the ingest key."))
    signing = SigningKey.generate()
    config = HqConfig(
        name=name,
        address=address,
        ingest_recipient=recipient,
        escrow_recipient=escrow_recipient,
        signing_public_key=signing.public.public_key,
        created=utc_timestamp(),
    )
    keys = HqKeys(ingest_identity=identity, signing_key=signing)
    paths.make_folders()
    atomic_write_bytes(paths.config, _encode(config.to_json()))
    secret = _encode(
        {
            "kind": KEYS_KIND,
            "v": FORMAT_VERSION,
            "ingest_identity": identity,
            "signing_key": signing.private_bytes().hex(),
        }
    )
    atomic_write_bytes(paths.keys, pyrage.passphrase.encrypt(secret, passphrase))
    if not paths.tls_cert.exists():
        tls.create(tls_files(paths), name, tls_hosts(address))
    write_enrolment(paths, config, keys)
    return config, keys


def write_enrolment(paths: HqPaths, config: HqConfig, keys: HqKeys) -> None:
    """Write ``enrolment.fke``; with HQ's TLS certificate's pin once there is one."""
    pin = tls.read_pin(paths.tls_cert) if paths.tls_cert.exists() else None
    document = make_enrolment(
        hq_key=keys.signing_key,
        hq_name=config.name,
        ingest_recipient=config.ingest_recipient,
        escrow_recipient=config.escrow_recipient,
        address=config.address,
        tls_spki_sha256=pin,
    )
    atomic_write_bytes(paths.enrolment, document, mode=0o644)


def tls_files(paths: HqPaths) -> tls.TlsFiles:
    return tls.TlsFiles(paths.tls_cert, paths.tls_key)


def tls_hosts(address: str | None) -> list[str]:
    """The names HQ's own certificate is made for: the address's host, and this machine."""
    from urllib.parse import urlsplit

    host = urlsplit(address).hostname if address else None
    return ([host] if host else []) + ["localhost", "127.0.0.1"]


def load_config(paths: HqPaths) -> HqConfig:
    if not paths.keys.exists() or not paths.config.exists():
        raise NotInitialisedError(
            _(
                "No headquarters keys in {path}: run `fieldkit-hq init` first, or name the "
                "folder with --hq or FIELDKIT_HQ."
            ).format(path=paths.root)
        )
    value = _read_json(paths.config.read_bytes())
    try:
        if value.get("kind") != CONFIG_KIND or value.get("v") != FORMAT_VERSION:
            raise KeyError("kind")
        escrow = value["escrow_recipient"]
        return HqConfig(
            name=str(value["name"]),
            address=value["address"],
            ingest_recipient=str(value["ingest_recipient"]),
            escrow_recipient=None if escrow is None else str(escrow),
            signing_public_key=bytes.fromhex(value["signing_public_key"]),
            created=str(value["created"]),
        )
    except (KeyError, TypeError, ValueError):
        raise _damaged(paths) from None


def unlock(paths: HqPaths, passphrase: str) -> HqKeys:
    """Decrypt ``hq.keys``. A wrong passphrase raises :class:`WrongPassphraseError`; nothing on
    disk changes either way."""
    config = load_config(paths)
    encrypted = paths.keys.read_bytes()
    if len(encrypted) > MAX_FILE_BYTES:
        raise _damaged(paths)
    try:
        secret = pyrage.passphrase.decrypt(encrypted, passphrase)
    except pyrage.DecryptError:
        raise WrongPassphraseError() from None
    value = _read_json(secret)
    try:
        if value.get("kind") != KEYS_KIND or value.get("v") != FORMAT_VERSION:
            raise KeyError("kind")
        keys = HqKeys(
            ingest_identity=str(value["ingest_identity"]),
            signing_key=SigningKey.from_private_bytes(bytes.fromhex(value["signing_key"])),
        )
        matches = (
            keys.ingest_recipient == config.ingest_recipient
            and keys.signing_key.public.public_key == config.signing_public_key
        )
    except (KeyError, TypeError, ValueError, SchemaError):
        raise _damaged(paths) from None
    if not matches:
        raise ConflictError(
            _(
                "The key file does not belong to the settings in {path} (hq.json was replaced?); "
                "nothing was changed."
            ).format(path=paths.root)
        )
    return keys


def _encode(value: dict[str, Any]) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode()


def _read_json(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data[:MAX_FILE_BYTES])
    except ValueError:
        value = None
    if not isinstance(value, dict):
        return {}
    return value


def _damaged(paths: HqPaths) -> ConflictError:
    return ConflictError(
        _("The headquarters key or settings file in {path} is damaged.").format(path=paths.root)
    )
