"""The client against a real HQ server, for what HQ decides: the forms it publishes (listed,
fetched, verified by the device), a device it declares lost (the erase order comes back, signed
for this device)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from fieldkit.bundle import read_published_form
from fieldkit.bundle.erase_order import verify_erase_order
from fieldkit.hq.lost import declare_lost
from fieldkit.hq.publishing import publish
from fieldkit.sync.errors import DeviceLostError, NotOnHqError
from tests.conftest import DATA
from tests.hq.support import Hq
from tests.hq.sync_server import Server, enrolled, server, shared_hq
from tests.sync.support import bundle_file, client

__all__ = ["server", "shared_hq"]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def published(shared_hq: Hq) -> Path:
    made = publish(
        shared_hq.paths,
        shared_hq.keys.hq_signing,
        DATA / "forms" / "all-types.yaml",
        vocabularies=ROOT / "forms" / "vocabularies",
    )
    return made.path


def test_the_published_forms_are_listed_fetched_and_verify(
    server: Server, shared_hq: Hq, published: Path
) -> None:
    device = enrolled(shared_hq.repository)
    with client(server, shared_hq, device) as hq:
        listed = hq.forms()
        data = hq.form(listed[0].name)
        with pytest.raises(NotOnHqError):
            hq.form("withdrawn-1.fkf")
    assert [(f.name, f.id, f.version) for f in listed] == [("all-types-1.fkf", "all-types", "1")]
    assert data == published.read_bytes()
    assert listed[0].sha256 == hashlib.sha256(data).hexdigest() and listed[0].size == len(data)
    form = read_published_form(data, shared_hq.keys.hq_signing.public.public_key)
    assert form.published == listed[0].published_at


@pytest.mark.parametrize("signed_in_before", [False, True])
def test_a_device_declared_lost_gets_an_erase_order_signed_for_it(
    server: Server, shared_hq: Hq, tmp_path: Path, signed_in_before: bool
) -> None:
    device = enrolled(shared_hq.repository)
    path, sha256 = bundle_file(shared_hq, device, tmp_path)
    with client(server, shared_hq, device) as hq:
        if signed_in_before:
            assert hq.receipt(sha256) is None  # a session, before HQ declares the loss
        declare_lost(shared_hq.repository, device.key.key_id, 1, "2026-03-15T09:00:00Z")
        with pytest.raises(DeviceLostError) as caught:
            hq.upload(path, sha256)
    assert not caught.value.retryable and caught.value.code == "lost-device"
    order = verify_erase_order(
        caught.value.order, shared_hq.keys.hq_signing.public.public_key, device.key.key_id
    )
    assert order.device_key_id == device.key.key_id and order.issued == "2026-03-15T09:00:00Z"
    assert shared_hq.repository.device_upload(device.key.key_id, sha256) is None
