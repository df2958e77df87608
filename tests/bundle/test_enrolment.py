"""Enrolment files and device identity files: round trip, tampering, caps, bad JSON."""

from __future__ import annotations

import json

import pytest

from fieldkit.bundle import (
    BundleError,
    DamagedError,
    InvalidRequestError,
    LimitExceededError,
    NewerVersionError,
    NotRecognisedError,
    make_device_identity_file,
    make_enrolment,
    read_device_identity_file,
    read_enrolment,
)
from fieldkit.bundle.enrolment import ENROLMENT_DOMAIN, IDENTITY_DOMAIN
from fieldkit.crypto.identity import SigningKey
from fieldkit.domain.records import canonical_json
from tests.bundle.factory import Keys


def _enrolment(keys: Keys, **changes: object) -> bytes:
    arguments: dict[str, object] = {
        "hq_key": keys.hq_signing,
        "hq_name": "Mission HQ — Bamako",
        "ingest_recipient": keys.hq[1],
        "escrow_recipient": keys.escrow[1],
        "address": "https://hq.example.org:8443/fieldkit",
    }
    arguments.update(changes)
    return make_enrolment(**arguments)  # type: ignore[arg-type]


def _identity(keys: Keys, **changes: object) -> bytes:
    arguments: dict[str, object] = {
        "device_key": keys.device,
        "age_recipient": keys.device_age[1],
        "device_name": "Laptop 3 / North team",
    }
    arguments.update(changes)
    return make_device_identity_file(**arguments)  # type: ignore[arg-type]


def _resigned(document: bytes, key: SigningKey, domain: bytes, **changes: object) -> bytes:
    value = json.loads(document)
    value["body"].update(changes)
    value["signature"] = key.sign(domain + canonical_json(value["body"])).hex()
    return json.dumps(value).encode()


def test_enrolment_round_trip(keys: Keys) -> None:
    enrolment = read_enrolment(_enrolment(keys))
    assert enrolment.hq_name == "Mission HQ — Bamako"
    assert enrolment.signing_public_key == keys.hq_signing.public.public_key
    assert enrolment.signing_key_id == keys.hq_signing.key_id
    assert enrolment.fingerprint == keys.hq_signing.public.fingerprint
    assert enrolment.recipients == (keys.hq[1], keys.escrow[1])
    assert enrolment.address == "https://hq.example.org:8443/fieldkit"
    minimal = read_enrolment(_enrolment(keys, escrow_recipient=None, address=None))
    assert minimal.recipients == (keys.hq[1],) and minimal.address is None


def test_identity_round_trip(keys: Keys) -> None:
    identity = read_device_identity_file(_identity(keys))
    assert identity.key_id == keys.device.key_id
    assert identity.public_key == keys.device.public.public_key
    assert identity.age_recipient == keys.device_age[1]
    assert identity.device_name == "Laptop 3 / North team"
    assert identity.fingerprint == keys.device.public.fingerprint


def test_reformatted_files_still_verify(keys: Keys) -> None:
    document = json.loads(_enrolment(keys))
    pretty = json.dumps(document, indent=4, ensure_ascii=True).encode()
    assert read_enrolment(pretty).hq_name == "Mission HQ — Bamako"


def test_any_edit_breaks_the_signature(keys: Keys) -> None:
    document = json.loads(_enrolment(keys))
    for member, value in (
        ("hq_name", "Mission HQ"),
        ("ingest_recipient", keys.other[1]),
        ("address", "https://evil.example.org"),
        ("escrow_recipient", None),
    ):
        edited = json.loads(json.dumps(document))
        edited["body"][member] = value
        with pytest.raises(DamagedError):
            read_enrolment(json.dumps(edited).encode())
    identity = json.loads(_identity(keys))
    identity["body"]["age_recipient"] = keys.other[1]
    with pytest.raises(DamagedError):
        read_device_identity_file(json.dumps(identity).encode())


def test_a_key_swap_is_caught_by_the_fingerprint_not_the_file(keys: Keys) -> None:
    """Someone may make a valid enrolment file with their own key: the file verifies, and only
    the fingerprint the user compares tells it apart."""
    intruder = SigningKey.generate()
    enrolment = read_enrolment(_enrolment(keys, hq_key=intruder))
    assert enrolment.fingerprint != keys.hq_signing.public.fingerprint


def test_an_identity_file_with_another_key_id_is_refused(keys: Keys) -> None:
    with pytest.raises(DamagedError):
        read_device_identity_file(
            _resigned(_identity(keys), keys.device, IDENTITY_DOMAIN, key_id="ab" * 16)
        )
    other = SigningKey.generate()
    with pytest.raises(DamagedError):  # signed by a key other than the one it introduces
        read_device_identity_file(_resigned(_identity(keys), other, IDENTITY_DOMAIN))


@pytest.mark.parametrize(
    "changes",
    [
        {"hq_name": "HQ\u0000"},
        {"hq_name": "HQ\u202e"},
        {"hq_name": "line\nbreak"},
        {"hq_name": ""},
        {"hq_name": "x" * 201},
        {"address": "ftp://hq.example.org"},
        {"address": "https://user:pw@hq.example.org"},
        {"address": "https://hq.example.org/\u0000"},
        {"address": "javascript:alert(1)"},
        {"ingest_recipient": "age1nope"},
        {"escrow_recipient": "same"},
        {"created": "2026-02-30T00:00:00Z"},
        {"signing_key": "ab" * 31},
        {"extra": True},
    ],
)
def test_hostile_enrolment_members_are_refused(keys: Keys, changes: dict[str, object]) -> None:
    if changes.get("escrow_recipient") == "same":
        changes = {"escrow_recipient": keys.hq[1]}
    data = _resigned(_enrolment(keys), keys.hq_signing, ENROLMENT_DOMAIN, **changes)
    with pytest.raises(DamagedError):
        read_enrolment(data)
    if not {"extra", "signing_key"} & set(changes):  # the writer refuses them too
        with pytest.raises(InvalidRequestError):
            _enrolment(keys, **changes)


@pytest.mark.parametrize("name", ["a\u0000b", "\t", "x" * 201, "\u2028"])
def test_hostile_device_names_are_refused(keys: Keys, name: str) -> None:
    with pytest.raises(DamagedError):
        read_device_identity_file(
            _resigned(_identity(keys), keys.device, IDENTITY_DOMAIN, device_name=name)
        )
    with pytest.raises(InvalidRequestError):
        _identity(keys, device_name=name)


def test_a_name_like_a_path_is_only_text(keys: Keys) -> None:
    """Names are shown, never used as paths: ``../x`` is a (strange) name, not an escape."""
    assert read_device_identity_file(_identity(keys, device_name="../x")).device_name == "../x"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xfe{}",
        b"{",
        b"[]",
        b'{"body": {}, "signature": ""}',
        b'{"body": {"kind": "fieldkit/enrolment"}, "signature": "00"}',
        b"[" * 100_000,
        b'{"body": 1, "body": 2, "signature": 3}',
        b'{"body": {"kind": "fieldkit/enrolment", "v": 1.0}, "signature": "00"}',
    ],
    ids=["empty", "utf8", "truncated", "array", "empty-body", "bad-sig", "deep", "dup", "float"],
)
def test_bad_json_is_refused_with_a_clear_error(data: bytes) -> None:
    with pytest.raises(BundleError) as caught:
        read_enrolment(data)
    assert "\n" not in caught.value.user_message
    with pytest.raises(BundleError):
        read_device_identity_file(data)


def test_files_of_the_other_kind_are_not_recognised(keys: Keys) -> None:
    with pytest.raises(NotRecognisedError):
        read_enrolment(_identity(keys))
    with pytest.raises(NotRecognisedError):
        read_device_identity_file(_enrolment(keys))


def test_newer_versions_ask_for_an_update(keys: Keys) -> None:
    data = _resigned(_enrolment(keys), keys.hq_signing, ENROLMENT_DOMAIN, v=2, new=1)
    with pytest.raises(NewerVersionError):
        read_enrolment(data)


def test_size_cap(keys: Keys) -> None:
    padded = _enrolment(keys).rstrip(b"\n") + b" " * 70_000
    with pytest.raises(LimitExceededError):
        read_enrolment(padded)
    with pytest.raises(LimitExceededError):
        read_device_identity_file(b" " * (64 * 1024 + 1))
