"""Receipts: round trip, wrong HQ key, tampering, wrong device, limits."""

from __future__ import annotations

import json

import pytest

from fieldkit.bundle import (
    BundleError,
    DamagedError,
    InvalidRequestError,
    LimitExceededError,
    Limits,
    NewerVersionError,
    NotRecognisedError,
    UntrustedSignerError,
    make_receipt,
    new_receipt_file_name,
    read_receipt,
)
from fieldkit.bundle.receipts import RECEIPT_DOMAIN
from fieldkit.crypto.identity import SigningKey
from fieldkit.domain.records import canonical_json
from tests.bundle.factory import Keys, decrypt, encrypt, frame

ACCEPTED = ["11" * 32, "22" * 32]
KNOWN = ["33" * 32]


def _receipt(keys: Keys, **changes: object) -> bytes:
    arguments: dict[str, object] = {
        "hq_key": keys.hq_signing,
        "device_recipient": keys.device_age[1],
        "bundle_id": "ab" * 16,
        "manifest_sha256": "cd" * 32,
        "device_key_id": keys.device.key_id,
        "sequence": 3,
        "accepted": list(reversed(ACCEPTED)),
        "known": KNOWN,
    }
    arguments.update(changes)
    return make_receipt(**arguments)  # type: ignore[arg-type]


def _read(keys: Keys, data: bytes, **kwargs: object) -> object:
    return read_receipt(
        data,
        keys.device_age[0],
        keys.hq_signing.public.public_key,
        **kwargs,  # type: ignore[arg-type]
    )


def test_round_trip(keys: Keys) -> None:
    receipt = read_receipt(
        _receipt(keys),
        keys.device_age[0],
        keys.hq_signing.public.public_key,
        device_key_id=keys.device.key_id,
    )
    assert receipt.bundle_id == "ab" * 16
    assert receipt.manifest_sha256 == "cd" * 32
    assert receipt.device_key_id == keys.device.key_id
    assert receipt.sequence == 3
    assert receipt.accepted == tuple(ACCEPTED)  # sorted
    assert receipt.known == tuple(KNOWN)
    assert receipt.hq_key_id == keys.hq_signing.key_id
    assert len(receipt.receipt_id) == 32


def test_nothing_about_the_device_or_counts_is_in_clear(keys: Keys) -> None:
    data = _receipt(keys)
    assert data.startswith(b"age-encryption.org/v1\n")
    for secret in (keys.device.key_id, "ab" * 16, "11" * 32, '"sequence"'):
        assert secret.encode() not in data
    assert new_receipt_file_name().endswith(".fkr")


def test_a_receipt_signed_by_another_hq_key_is_refused(keys: Keys) -> None:
    data = _receipt(keys, hq_key=SigningKey.generate())
    with pytest.raises(
        UntrustedSignerError,
        match="not signed by the headquarters this device is enrolled with",
    ):
        _read(keys, data)


def test_a_receipt_for_another_device_identity_cannot_be_read(keys: Keys) -> None:
    data = _receipt(keys, device_recipient=keys.other[1])
    with pytest.raises(
        NotRecognisedError,
        match="not a fieldkit receipt, or it is not encrypted to this device's key",
    ):
        _read(keys, data)


def test_a_receipt_for_another_device_key_is_refused(keys: Keys) -> None:
    data = _receipt(keys, device_key_id="ee" * 16)
    with pytest.raises(DamagedError, match="it is addressed to another device key"):
        _read(keys, data, device_key_id=keys.device.key_id)


def test_every_bit_flip_is_rejected(keys: Keys) -> None:
    data = _receipt(keys)
    for bit in range(len(data) * 8):
        flipped = bytearray(data)
        flipped[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(
            BundleError,
            match="not a fieldkit receipt, or it is not encrypted to this device's key",
        ):
            _read(keys, bytes(flipped))
    for length in range(len(data)):
        with pytest.raises(
            BundleError,
            match="not a fieldkit receipt, or it is not encrypted to this device's key",
        ):
            _read(keys, data[:length])


def _plaintext(keys: Keys, body: bytes, signer: SigningKey | None = None) -> bytes:
    signer = signer or keys.hq_signing
    signature = signer.public.public_key + signer.sign(RECEIPT_DOMAIN + body)
    return b"FKRECEIPT\x01" + frame(6, body) + frame(2, signature) + frame(0xFF, b"")


def test_a_reencrypted_receipt_with_an_edited_body_is_refused(keys: Keys) -> None:
    plaintext = decrypt(_receipt(keys), keys.device_age[0])
    edited = plaintext.replace(b'"sequence":3', b'"sequence":4')
    assert edited != plaintext
    with pytest.raises(DamagedError, match="the signature does not verify"):
        _read(keys, encrypt(edited, [keys.device_age[1]]))


def _body(keys: Keys, **changes: object) -> bytes:
    value: dict[str, object] = {
        "kind": "fieldkit/receipt",
        "v": 1,
        "receipt": "12" * 16,
        "bundle": "ab" * 16,
        "manifest_sha256": "cd" * 32,
        "device": keys.device.key_id,
        "sequence": 1,
        "accepted": [],
        "known": [],
        "issued": "2026-03-14T10:00:00Z",
        "hq": keys.hq_signing.key_id,
    }
    value.update(changes)
    return canonical_json(value)


@pytest.mark.parametrize(
    ("changes", "error", "reason"),
    [
        (
            {"accepted": ["22" * 32, "11" * 32]},
            DamagedError,
            "accepted must be sorted and without repeats",
        ),
        (
            {"accepted": ["11" * 32], "known": ["11" * 32]},
            DamagedError,
            "a revision is both accepted and already known",
        ),
        ({"hq": "00" * 16}, DamagedError, "the receipt names another key than its signer"),
        ({"v": 2}, NewerVersionError, "made by a newer version of fieldkit"),
        ({"kind": "fieldkit/bundle-manifest"}, DamagedError, "the receipt is of the wrong kind"),
        ({"issued": "yesterday"}, DamagedError, "issued must be a UTC time"),
        ({"extra": 1}, DamagedError, "the receipt has missing or unknown members"),
    ],
)
def test_a_signed_but_malformed_body_is_refused(
    keys: Keys, changes: dict[str, object], error: type[BundleError], reason: str
) -> None:
    data = encrypt(_plaintext(keys, _body(keys, **changes)), [keys.device_age[1]])
    with pytest.raises(error, match=reason):
        _read(keys, data)


def test_the_control_body_is_accepted(keys: Keys) -> None:
    data = encrypt(_plaintext(keys, _body(keys)), [keys.device_age[1]])
    assert _read(keys, data) is not None


@pytest.mark.parametrize(
    ("plaintext", "reason"),
    [
        (b"FKBUNDLE\x01", "it ends before its last item"),
        (b"FKRECEIPT\x02", "made by a newer version of fieldkit"),
        (b"FKRECEIPT\x01" + frame(2, bytes(96)), "an item is missing, extra or out of order"),
        (b"FKRECEIPT\x01" + frame(6, b"{}"), "it ends before its last item"),
        (
            b"FKRECEIPT\x01" + frame(6, b"{}") + frame(2, bytes(95)),
            "the signature has the wrong size",
        ),
    ],
)
def test_malformed_containers_are_refused(keys: Keys, plaintext: bytes, reason: str) -> None:
    with pytest.raises(BundleError, match=reason):
        _read(keys, encrypt(plaintext, [keys.device_age[1]]))


def test_trailing_frames_are_refused(keys: Keys) -> None:
    plaintext = _plaintext(keys, _body(keys)) + frame(0xFF, b"")
    with pytest.raises(DamagedError, match="there are bytes after the end"):
        _read(keys, encrypt(plaintext, [keys.device_age[1]]))


def test_size_limits(keys: Keys) -> None:
    data = _receipt(keys)
    with pytest.raises(
        LimitExceededError, match="The receipt is refused: the receipt exceeds the limit of"
    ):
        _read(keys, data, limits=Limits(max_receipt_bytes=len(data) - 1))
    with pytest.raises(
        LimitExceededError,
        match="The receipt is refused: the number of revisions exceeds the limit of 1",
    ):
        _read(keys, data, limits=Limits(max_revisions=1))
    with pytest.raises(
        LimitExceededError, match="The receipt is refused: the receipt exceeds the limit of 16 MiB"
    ):
        _read(keys, b"x" * (16 * 1024 * 1024 + 1))


def test_make_receipt_refuses_bad_input(keys: Keys) -> None:
    with pytest.raises(
        InvalidRequestError,
        match="The receipt cannot be written: device_recipient must be an age X25519 recipient",
    ):
        _receipt(keys, device_recipient="age1nope")
    with pytest.raises(
        InvalidRequestError,
        match="cannot be written: accepted must be lowercase hexadecimal of the right length",
    ):
        _receipt(keys, accepted=["not a hash"])
    with pytest.raises(
        InvalidRequestError,
        match="The receipt cannot be written: a revision is both accepted and already known",
    ):
        _receipt(keys, accepted=["11" * 32], known=["11" * 32])


def test_the_body_on_the_wire_is_canonical_json(keys: Keys) -> None:
    plaintext = decrypt(_receipt(keys), keys.device_age[0])
    length = int.from_bytes(plaintext[11:19], "big")
    body = plaintext[19 : 19 + length]
    assert canonical_json(json.loads(body)) == body
