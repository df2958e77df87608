"""Every refusal code of the protocol (docs/sync.md) becomes the device's own error, with its own
translated line and whether trying again can help."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fieldkit.i18n import set_language
from fieldkit.sync.errors import (
    BundleRejectedError,
    DeviceLostError,
    DeviceRevokedError,
    NotReachableError,
    ProtocolError,
    SyncError,
    UnknownDeviceError,
    error_for,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "sync.md"

EXPECTED: dict[str, tuple[type[SyncError], bool]] = {
    "bad-request": (ProtocolError, True),
    "bad-challenge": (ProtocolError, True),
    "bad-signature": (ProtocolError, True),
    "bad-token": (ProtocolError, True),
    "unknown-device": (UnknownDeviceError, False),
    "revoked-device": (DeviceRevokedError, False),
    "lost-device": (DeviceLostError, False),
    "not-found": (ProtocolError, True),
    "no-receipt": (ProtocolError, True),
    "offset-mismatch": (ProtocolError, True),
    "tus-version": (ProtocolError, True),
    "too-large": (BundleRejectedError, False),
    "unsupported-media-type": (ProtocolError, True),
    "bundle-mismatch": (BundleRejectedError, False),
    "bundle-rejected": (BundleRejectedError, False),
    "busy": (NotReachableError, True),
    "rate-limited": (NotReachableError, True),
    "checksum-mismatch": (ProtocolError, True),
    "receipt-not-written": (NotReachableError, True),
}


def _documented() -> dict[str, int]:
    rows = re.findall(r"^\| (\d{3}) \| `([a-z-]+)` \|", DOCS.read_text(encoding="utf-8"), re.M)
    return {code: int(status) for status, code in rows}


def test_every_documented_code_is_mapped() -> None:
    assert set(_documented()) <= set(EXPECTED)
    assert {"lost-device", "bundle-rejected", "checksum-mismatch"} <= set(_documented())


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_each_code_becomes_its_error_in_the_devices_language(code: str) -> None:
    status = _documented().get(code, 403)
    body = json.dumps({"error": code, "message": "Texte du serveur", "erase": {}}).encode()
    kind, retryable = EXPECTED[code]
    english = error_for(status, body, "5")
    set_language("ar")
    try:
        arabic = error_for(status, body, "5")
    finally:
        set_language("en")
    assert type(english) is kind and english.retryable is retryable
    assert english.user_message != arabic.user_message  # chosen by the code, translated
    if code != "bundle-rejected":  # whose reason is HQ's own words
        assert "Texte du serveur" not in english.user_message
    if isinstance(english, NotReachableError):
        assert english.retry_after == 5.0


def test_a_refusal_that_is_not_json_is_still_an_error() -> None:
    assert type(error_for(502, b"<html>Bad gateway</html>")) is NotReachableError
    assert type(error_for(400, b"")) is ProtocolError
    rejected = error_for(422, json.dumps({"error": "bundle-rejected", "message": "a\nb"}).encode())
    assert isinstance(rejected, BundleRejectedError) and rejected.reason == "a b"
