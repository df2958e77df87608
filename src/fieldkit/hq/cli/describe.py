"""Short texts that several fieldkit-hq commands show: number ranges, devices, alarms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fieldkit.hq.errors import InvalidInputError, NotFoundError
from fieldkit.hq.repository import Alarm, AlarmKind, Device, Repository
from fieldkit.i18n import _

MIN_PREFIX = 6


def describe_numbers(numbers: Sequence[int]) -> str:
    """``[1, 2, 3, 7]`` → ``1-3, 7``."""
    parts: list[str] = []
    ordered = sorted(set(numbers))
    start = previous = None
    for n in [*ordered, None]:
        if n is not None and previous is not None and n == previous + 1:
            previous = n
            continue
        if start is not None:
            parts.append(str(start) if start == previous else f"{start}-{previous}")
        start = previous = n
    return ", ".join(parts)


def device_label(repository: Repository, key_id: str) -> str:
    """``"Kidal laptop 3" (1a2b3c4d5e6f)``, or the key id alone for an unknown device."""
    device = repository.device(key_id)
    if device is None or not device.name:
        return key_id[:12]
    return f'"{device.name}" ({key_id[:12]})'


def device_state(device: Device) -> str:
    if device.lost_at is not None:
        return _("lost (erase ordered {date})").format(date=device.lost_at)
    if device.revoked_from is None:
        return _("active")
    if device.revoked_from == 1:
        return _("revoked")
    return _("revoked from bundle {n}").format(n=device.revoked_from)


def find_device(repository: Repository, given: str) -> Device:
    """A device by its key id, or by an unambiguous prefix of at least 6 characters."""
    wanted = given.strip().lower()
    device = repository.device(wanted)
    if device is not None:
        return device
    matches = (
        [d for d in repository.devices() if d.key_id.startswith(wanted)]
        if len(wanted) >= MIN_PREFIX
        else []
    )
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise InvalidInputError(
            _("{given} names {n} devices; give more of the key id.").format(
                given=given, n=len(matches)
            )
        )
    raise NotFoundError(
        _("No device with key id {given}; `fieldkit-hq devices list` shows them.").format(
            given=given
        )
    )


def alarm_detail(alarm: Alarm) -> str:
    """What an alarm's detail says, in words (ids and numbers only)."""
    detail: dict[str, Any] = alarm.detail
    if alarm.kind is AlarmKind.GAP:
        missing = [int(n) for n in detail.get("missing", ())]
        return _("bundles not received: {numbers}").format(numbers=describe_numbers(missing))
    if alarm.kind is AlarmKind.CONFLICT and detail.get("other_revision"):
        return _("HQ holds revision {sha}").format(sha=str(detail["other_revision"])[:16])
    if detail.get("other_manifest"):
        return _("HQ holds bundle {sha}").format(sha=str(detail["other_manifest"])[:16])
    return ""
