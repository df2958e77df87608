"""Short texts that several fieldkit-hq commands show: number ranges, devices, alarms.

Those the workspace shows too live with the devices' use cases (:mod:`fieldkit.hq.devices`)."""

from __future__ import annotations

from fieldkit.hq.devices import alarm_detail, describe_numbers, device_state, find_device
from fieldkit.hq.repository import Repository

__all__ = ["alarm_detail", "describe_numbers", "device_label", "device_state", "find_device"]


def device_label(repository: Repository, key_id: str) -> str:
    """``"Kidal laptop 3" (1a2b3c4d5e6f)``, or the key id alone for an unknown device."""
    device = repository.device(key_id)
    if device is None or not device.name:
        return key_id[:12]
    return f'"{device.name}" ({key_id[:12]})'
