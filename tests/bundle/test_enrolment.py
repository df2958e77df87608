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
        with pytest.raises(DamagedError, match="the signature does not verify"):
            read_enrolment(json.dumps(edited).encode())
    identity = json.loads(_identity(keys))
    identity["body"]["age_recipient"] = keys.other[1]
    with pytest.raises(DamagedError, match="the signature does not verify"):
        read_device_identity_file(json.dumps(identity).encode())


def test_a_key_swap_is_caught_by_the_fingerprint_not_the_file(keys: Keys) -> None:
    """Someone may make a valid enrolment file with their own key: the file verifies, and only
    the fingerprint the user compares tells it apart."""
    intruder = SigningKey.generate()
    enrolment = read_enrolment(_enrolment(keys, hq_key=intruder))
    assert enrolment.fingerprint != keys.hq_signing.public.fingerprint


def test_an_identity_file_with_another_key_id_is_refused(keys: Keys) -> None:
    with pytest.raises(DamagedError, match="the key id does not match the key"):
        read_device_identity_file(
            _resigned(_identity(keys), keys.device, IDENTITY_DOMAIN, key_id="ab" * 16)
        )
    other = SigningKey.generate()
    with pytest.raises(
        DamagedError, match="the signature does not verify"
    ):  # signed by a key other than the one it introduces
        read_device_identity_file(_resigned(_identity(keys), other, IDENTITY_DOMAIN))


CONTROL = "holds a control or invisible character"
LENGTH = "must be text of 1 to 200 characters"
WEB = "address must be an http or https address without a user name"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"hq_name": "HQ\u0000"}, f"hq_name {CONTROL}"),
        ({"hq_name": "HQ\u202e"}, f"hq_name {CONTROL}"),
        ({"hq_name": "line\nbreak"}, f"hq_name {CONTROL}"),
        ({"hq_name": ""}, f"hq_name {LENGTH}"),
        ({"hq_name": "x" * 201}, f"hq_name {LENGTH}"),
        ({"address": "ftp://hq.example.org"}, WEB),
        ({"address": "https://user:pw@hq.example.org"}, WEB),
        ({"address": "https://hq.example.org/\u0000"}, "address must be a web address"),
        ({"address": "javascript:alert(1)"}, WEB),
        ({"ingest_recipient": "age1nope"}, "ingest_recipient must be an age X25519 recipient"),
        ({"escrow_recipient": "same"}, "the escrow key must differ from the ingest key"),
        ({"created": "2026-02-30T00:00:00Z"}, "created is not a real date and time"),
        ({"signing_key": "ab" * 31}, "signing_key must be lowercase hexadecimal"),
        ({"extra": True}, "the enrolment has missing or unknown members"),
    ],
)
def test_hostile_enrolment_members_are_refused(
    keys: Keys, changes: dict[str, object], reason: str
) -> None:
    if changes.get("escrow_recipient") == "same":
        changes = {"escrow_recipient": keys.hq[1]}
    data = _resigned(_enrolment(keys), keys.hq_signing, ENROLMENT_DOMAIN, **changes)
    with pytest.raises(DamagedError, match=rf"tampered with \({reason}"):
        read_enrolment(data)
    if not {"extra", "signing_key"} & set(changes):  # the writer refuses them too
        with pytest.raises(InvalidRequestError, match=f"cannot be written: {reason}"):
            _enrolment(keys, **changes)


@pytest.mark.parametrize(
    ("name", "reason"),
    [("a\u0000b", CONTROL), ("\t", LENGTH), ("x" * 201, LENGTH), ("\u2028", LENGTH)],
)
def test_hostile_device_names_are_refused(keys: Keys, name: str, reason: str) -> None:
    with pytest.raises(DamagedError, match=rf"tampered with \(device_name {reason}\)"):
        read_device_identity_file(
            _resigned(_identity(keys), keys.device, IDENTITY_DOMAIN, device_name=name)
        )
    with pytest.raises(InvalidRequestError, match=f"cannot be written: device_name {reason}"):
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
def test_bad_json_is_refused_with_a_clear_error(
    request: pytest.FixtureRequest, data: bytes
) -> None:
    enrolment_reason, identity_reason = BAD_JSON_REASONS[request.node.callspec.id]
    with pytest.raises(BundleError, match=enrolment_reason) as caught:
        read_enrolment(data)
    assert "\n" not in caught.value.user_message
    with pytest.raises(BundleError, match=identity_reason):
        read_device_identity_file(data)


_NOT_ENROLMENT = "This file is not a fieldkit enrolment file"
_NOT_IDENTITY = "This file is not a fieldkit device identity file"
BAD_JSON_REASONS = {
    "empty": ("the text is not valid JSON",) * 2,
    "utf8": ("the text is not valid UTF-8",) * 2,
    "truncated": ("the text is not valid JSON",) * 2,
    "array": (_NOT_ENROLMENT, _NOT_IDENTITY),
    "empty-body": (_NOT_ENROLMENT, _NOT_IDENTITY),
    "bad-sig": ("signature must be lowercase hexadecimal", _NOT_IDENTITY),
    "deep": ("the file exceeds the limit of 64 KiB",) * 2,
    "dup": ("a JSON object repeats a key",) * 2,
    "float": ("a number is not a whole number",) * 2,
}
"""What each file of the test above is refused for: as an enrolment, as a device identity."""


def test_files_of_the_other_kind_are_not_recognised(keys: Keys) -> None:
    with pytest.raises(NotRecognisedError, match="This file is not a fieldkit enrolment file"):
        read_enrolment(_identity(keys))
    with pytest.raises(
        NotRecognisedError, match="This file is not a fieldkit device identity file"
    ):
        read_device_identity_file(_enrolment(keys))


def test_newer_versions_ask_for_an_update(keys: Keys) -> None:
    data = _resigned(_enrolment(keys), keys.hq_signing, ENROLMENT_DOMAIN, v=2, new=1)
    with pytest.raises(
        NewerVersionError, match="The enrolment file was made by a newer version of fieldkit"
    ):
        read_enrolment(data)


def test_size_cap(keys: Keys) -> None:
    padded = _enrolment(keys).rstrip(b"\n") + b" " * 70_000
    with pytest.raises(
        LimitExceededError,
        match="The enrolment file is refused: the file exceeds the limit of 64 KiB",
    ):
        read_enrolment(padded)
    with pytest.raises(
        LimitExceededError,
        match="The device identity file is refused: the file exceeds the limit of 64 KiB",
    ):
        read_device_identity_file(b" " * (64 * 1024 + 1))
