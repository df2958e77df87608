"""Lost devices: HQ revokes a device and declares it lost; the sync server then answers each of
its requests with a signed erase order (:mod:`fieldkit.bundle.erase_order`).

The order is signed when a request comes, by the sync server, with the HQ signing key it holds in
memory while it runs. ``fieldkit-hq devices lost`` and the workspace declare a device lost with
:func:`fieldkit.hq.devices.declare_lost`, which also logs it in HQ's audit log. The order's
``issued`` time is when the device was declared lost, so every answer carries the same order.
"""

from __future__ import annotations

from fieldkit.bundle.erase_order import make_erase_order
from fieldkit.crypto.identity import SigningKey
from fieldkit.hq.repository import Device, Repository


def declare_lost(repository: Repository, key_id: str, from_sequence: int, now: str) -> Device:
    """Revoke the device from ``from_sequence`` on (1: entirely) and mark it lost."""
    repository.revoke_device(key_id, from_sequence, now)
    return repository.mark_lost(key_id, now)


def erase_order(signing_key: SigningKey, device: Device) -> dict[str, str] | None:
    """The signed erase order for a device declared lost; None for any other device."""
    if device.lost_at is None:
        return None
    return make_erase_order(signing_key, device.key_id, device.lost_at)
