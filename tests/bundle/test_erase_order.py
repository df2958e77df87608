"""Erase orders: HQ signs, a device verifies against its pinned key and its own key id."""

from __future__ import annotations

from typing import Any

import pytest

from fieldkit.bundle import DamagedError, InvalidRequestError, UntrustedSignerError
from fieldkit.bundle.erase_order import (
    ERASE_ORDER_DOMAIN,
    erase_order_message,
    make_erase_order,
    verify_erase_order,
)
from fieldkit.crypto.identity import PublicIdentity, SigningKey
from fieldkit.domain.records import canonical_json

HQ = SigningKey.generate()
DEVICE = SigningKey.generate().key_id
ISSUED = "2026-12-07T10:42:00Z"


def _order() -> dict[str, Any]:
    return make_erase_order(HQ, DEVICE, ISSUED)


def test_an_order_verifies_with_hqs_key_for_its_device() -> None:
    order = _order()
    assert set(order) == {"device", "hq", "issued", "signature"}
    assert order["device"] == DEVICE and order["hq"] == HQ.key_id and order["issued"] == ISSUED
    verified = verify_erase_order(order, HQ.public.public_key, DEVICE)
    assert (verified.device_key_id, verified.hq_key_id, verified.issued) == (
        DEVICE,
        HQ.key_id,
        ISSUED,
    )
    assert verified.to_json() == order


def test_the_signature_covers_the_domain_and_canonical_body() -> None:
    order = _order()
    message = ERASE_ORDER_DOMAIN + canonical_json(
        {"issued": ISSUED, "hq": HQ.key_id, "device": DEVICE}
    )
    assert message == erase_order_message(DEVICE, HQ.key_id, ISSUED)
    assert message.startswith(b'fieldkit-sync-erase-v1\n{"device":')
    assert PublicIdentity(HQ.public.public_key).verify(bytes.fromhex(order["signature"]), message)


def test_an_order_signed_by_another_key_is_refused() -> None:
    other = SigningKey.generate()
    forged = make_erase_order(other, DEVICE, ISSUED)
    with pytest.raises(UntrustedSignerError):
        verify_erase_order(forged, HQ.public.public_key, DEVICE)
    # Another key's signature under HQ's key id does not verify either.
    forged["hq"] = HQ.key_id
    with pytest.raises(DamagedError, match="signature"):
        verify_erase_order(forged, HQ.public.public_key, DEVICE)


def test_an_order_for_another_device_is_refused() -> None:
    other_device = SigningKey.generate().key_id
    with pytest.raises(UntrustedSignerError, match="another device"):
        verify_erase_order(_order(), HQ.public.public_key, other_device)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("device", SigningKey.generate().key_id),
        ("issued", "2026-12-07T10:42:01Z"),
    ],
    ids=["device", "issued"],  # the same names in every process (the key is random)
)
def test_an_altered_field_breaks_the_signature(field: str, value: str) -> None:
    order = _order()
    order[field] = value
    with pytest.raises(DamagedError, match="signature"):
        verify_erase_order(order, HQ.public.public_key, value if field == "device" else DEVICE)


def test_an_altered_signature_is_refused() -> None:
    order = _order()
    flipped = "0" if order["signature"][0] != "0" else "1"
    order["signature"] = flipped + order["signature"][1:]
    with pytest.raises(DamagedError):
        verify_erase_order(order, HQ.public.public_key, DEVICE)


@pytest.mark.parametrize(
    "change",
    [
        lambda o: None,
        lambda o: [o],
        lambda o: "text",
        lambda o: {k: v for k, v in o.items() if k != "issued"},
        lambda o: dict(o, extra="x"),
        lambda o: dict(o, device=DEVICE.upper()),
        lambda o: dict(o, device=DEVICE[:-1]),
        lambda o: dict(o, device=7),
        lambda o: dict(o, hq=None),
        lambda o: dict(o, issued="2026-12-07 10:42:00"),
        lambda o: dict(o, issued="2026-02-30T10:42:00Z"),
        lambda o: dict(o, issued=1765104120),
        lambda o: dict(o, signature=o["signature"][:-2]),
        lambda o: dict(o, signature=o["signature"].upper()),
        lambda o: dict(o, signature="zz" + o["signature"][2:]),
        lambda o: dict(o, signature=o["signature"] + "\n"),
    ],
)
def test_malformed_orders_are_refused_with_one_line(change: Any) -> None:
    with pytest.raises(DamagedError) as caught:
        verify_erase_order(change(_order()), HQ.public.public_key, DEVICE)
    assert "\n" not in str(caught.value)
    assert "erase order" in str(caught.value)


@pytest.mark.parametrize(
    ("device", "issued"),
    [("x" * 32, ISSUED), (DEVICE, "yesterday")],
    ids=["malformed-device", "malformed-time"],  # DEVICE is random: not in the ids
)
def test_hq_cannot_make_a_malformed_order(device: str, issued: str) -> None:
    with pytest.raises(InvalidRequestError):
        make_erase_order(HQ, device, issued)
