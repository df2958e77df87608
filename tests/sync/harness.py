"""Field devices that send bundles to a real ``fieldkit-hq serve`` and keep at it as a device
would (through a bad network: :mod:`tests.sync.fault_proxy`), and the checks that HQ then holds
every revision and every bundle exactly once."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fieldkit.bundle import Receipt, SealedRevision, read_receipt
from fieldkit.hq.tls import read_pin
from fieldkit.sync.client import HqClient, HqEndpoint
from fieldkit.sync.errors import SyncError
from tests.hq.support import Device, Hq

DEADLINE = 240.0
"""Seconds a device keeps trying one bundle before the test gives up on it."""


@dataclass(frozen=True)
class Bundle:
    path: Path
    sha256: str
    manifest_sha256: str
    revisions: tuple[str, ...]


@dataclass
class FieldDevice:
    """An enrolled device with the bundles it has to deliver, in order."""

    device: Device
    bundles: list[Bundle] = field(default_factory=list)
    sealed: list[SealedRevision] = field(default_factory=list)
    receipts: dict[str, Receipt] = field(default_factory=dict)
    """Verified receipts, by bundle SHA-256."""
    tries: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def key_id(self) -> str:
        return self.device.key.key_id


def enrol(hq: Hq, count: int) -> list[FieldDevice]:
    devices = []
    for index in range(count):
        device = Device(name=f"field laptop {index}")
        device.register(hq.repository)
        devices.append(FieldDevice(device))
    return devices


def add_bundle(
    hq: Hq,
    field_device: FieldDevice,
    revisions: int = 2,
    attachment_size: int = 0,
    repeat: Sequence[str] = (),
) -> Bundle:
    """The device's next bundle: ``revisions`` new revisions (plus, again, the sealed revisions
    of earlier bundles whose hashes are in ``repeat``) and one random attachment."""
    device = field_device.device
    sealed = [device.revision() for _ in range(revisions)]
    again = [r for r in field_device.sealed if r.sha256 in repeat]
    field_device.sealed.extend(sealed)
    attachments = [secrets.token_bytes(attachment_size)] if attachment_size else []
    path = hq.bundle(device, [*sealed, *again], attachments)
    target = path.with_name(f"{field_device.key_id[:8]}-{device.sequence}-{path.name}")
    path.rename(target)
    data = target.read_bytes()
    assert device.previous is not None
    bundle = Bundle(
        target,
        hashlib.sha256(data).hexdigest(),
        device.previous,
        tuple(r.sha256 for r in [*sealed, *again]),
    )
    field_device.bundles.append(bundle)
    return bundle


def pin_of(hq: Hq) -> str:
    return read_pin(hq.paths.tls_cert)


Deliver = Callable[[FieldDevice, Bundle], bytes | None]
"""Uploads a bundle and fetches its receipt (None: not yet); raises on a failure."""


def endpoint(hq: Hq, address: str) -> HqEndpoint:
    """What a device pinned at enrolment, with ``address`` (HQ's server or a proxy before it)."""
    return HqEndpoint(
        address=address,
        spki_sha256=read_pin(hq.paths.tls_cert),
        hq_signing_public_key=hq.keys.hq_signing.public.public_key,
        hq_key_id=hq.keys.hq_signing.key_id,
    )


def client_deliver(hq: Hq, address: str, **options: Any) -> Deliver:
    """Each try as a device makes it: a new :class:`HqClient` (``options`` passed on), the
    upload (resumed from what HQ holds), then the receipt."""
    options.setdefault("pause", 0.01)

    def deliver(field_device: FieldDevice, bundle: Bundle) -> bytes | None:
        with HqClient(endpoint(hq, address), field_device.device.key, **options) as client:
            client.upload(bundle.path, bundle.sha256)
            return client.receipt(bundle.sha256)

    return deliver


def retryable(error: BaseException) -> bool:
    """What a device tries again later: the client's retryable errors."""
    return isinstance(error, SyncError) and error.retryable


def keep_trying(
    hq: Hq,
    field_device: FieldDevice,
    deliver: Deliver,
    deadline: float = DEADLINE,
) -> None:
    """Deliver each bundle in turn until its receipt verifies, retrying what a device retries
    (after a short pause: the tests' back-off), until ``deadline`` seconds have passed."""
    give_up = time.monotonic() + deadline
    for bundle in field_device.bundles:
        while True:
            field_device.tries += 1
            try:
                data = deliver(field_device, bundle)
            except SyncError as error:
                if not retryable(error):
                    raise
                field_device.errors[type(error).__name__] += 1
                data = None
            if data is not None:
                receipt = read_receipt(
                    data,
                    field_device.device.age[0],
                    hq.keys.hq_signing.public.public_key,
                    device_key_id=field_device.key_id,
                )
                assert receipt.manifest_sha256 == bundle.manifest_sha256
                field_device.receipts[bundle.sha256] = receipt
                break
            if time.monotonic() > give_up:
                raise AssertionError(
                    f"{field_device.key_id}: no receipt after {deadline} s "
                    f"({field_device.tries} tries, {dict(field_device.errors)})"
                )
            time.sleep(0.05 + 0.1 * secrets.randbelow(10) / 10)


def run_all(
    hq: Hq,
    devices: Sequence[FieldDevice],
    deliver: Deliver,
    deadline: float = DEADLINE,
) -> None:
    """Every device at once, each in its own thread; re-raises the first failure."""
    failures: list[BaseException] = []

    def one(field_device: FieldDevice) -> None:
        try:
            keep_trying(hq, field_device, deliver, deadline)
        except BaseException as error:  # reported below, in the test thread
            failures.append(error)

    threads = [threading.Thread(target=one, args=(d,), daemon=True) for d in devices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(deadline + 60)
    if failures:
        raise failures[0]
    assert not any(thread.is_alive() for thread in threads), "a device is still sending"


def check_exactly_once(hq: Hq, devices: Sequence[FieldDevice]) -> None:
    """HQ holds every revision once, every bundle once with one receipt, each device's receipts
    account for all its revisions, and nothing is left half-stored."""
    repository = hq.repository
    bundles = [b for d in devices for b in d.bundles]
    expected = {sha for b in bundles for sha in b.revisions}
    stored = Counter(r.sha256 for r in repository.iter_revisions())
    assert set(stored) == expected, "HQ's revisions differ from the devices' revisions"
    assert max(stored.values()) == 1, "a revision is stored more than once"
    counts = repository.counts()
    assert counts["bundles"] == len(bundles)
    for field_device in devices:
        delivered: Counter[str] = Counter()
        for bundle in field_device.bundles:
            held = repository.bundle(bundle.manifest_sha256)
            assert held is not None and held.device_key_id == field_device.key_id
            assert len(repository.receipts(bundle.manifest_sha256)) == 1, "ingested twice"
            receipt = field_device.receipts[bundle.sha256]
            assert set(receipt.accepted) | set(receipt.known) == set(bundle.revisions)
            delivered.update(receipt.accepted)
            upload = repository.device_upload(field_device.key_id, bundle.sha256)
            assert upload is not None and upload.complete
            assert upload.manifest_sha256 == bundle.manifest_sha256
        # Each revision was accepted (stored) by exactly one of the device's receipts.
        assert set(delivered) == {s for b in field_device.bundles for s in b.revisions}
        assert max(delivered.values()) == 1
        assert repository.alarms(field_device.key_id) == []
    assert list(hq.paths.uploads.glob("*.part")) == [], "upload bytes left behind"
