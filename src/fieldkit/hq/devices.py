"""Enrolled devices: their state, revocation, loss, alarms and an overview of each.

The use cases behind ``fieldkit-hq devices`` and ``alarms`` and behind the workspace's devices
page (:mod:`fieldkit.hq.web.pages.devices`): both call these, so a device revoked or declared
lost in one shows so in the other, with the same words, and is logged in HQ's audit log (action
``device_revoked`` or ``device_lost``, by whom, from which bundle) in the same transaction.

A device's last contact is the latest of what the repository records of it: the last bundle
HQ received from it (by a stick or over sync), the last time it fetched a published form over
sync (``form_deliveries``), and a sync sign-in whose session is still live (the sync server keeps
a session's token only until it expires, ``TOKEN_SECONDS`` after the sign-in).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from fieldkit.domain.records import utc_timestamp
from fieldkit.hq import audit
from fieldkit.hq.deliveries import last_fetches
from fieldkit.hq.errors import InvalidInputError, NotFoundError
from fieldkit.hq.keys import HqKeys
from fieldkit.hq.repository import Alarm, AlarmKind, Device, Repository, rows
from fieldkit.hq.repository import tables as t
from fieldkit.hq.server.sessions import TOKEN_SECONDS
from fieldkit.hq.sqlwork import transaction
from fieldkit.i18n import _

MIN_PREFIX = 6
MAX_SEQUENCE = 2**31 - 1


class Enrolment(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    LOST = "lost"


# -- words -----------------------------------------------------------------------------------------


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


def enrolment(device: Device) -> Enrolment:
    if device.lost_at is not None:
        return Enrolment.LOST
    if device.revoked_from is None:
        return Enrolment.ACTIVE
    return Enrolment.REVOKED


def device_state(device: Device) -> str:
    """The device's state in words: active, revoked (from bundle N), lost."""
    if device.lost_at is not None:
        return _("lost (erase ordered {date})").format(date=device.lost_at)
    if device.revoked_from is None:
        return _("active")
    if device.revoked_from == 1:
        return _("revoked")
    return _("revoked from bundle {n}").format(n=device.revoked_from)


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


def alarm_kind_label(kind: AlarmKind) -> str:
    """What an alarm's kind means, in a few words."""
    labels = {
        AlarmKind.FORK: _("fork: two different bundles with the same number"),
        AlarmKind.CHAIN: _("broken chain: a bundle does not follow the one before it"),
        AlarmKind.GAP: _("gap: bundles not received"),
        AlarmKind.CONFLICT: _("conflict: two different revisions with the same number"),
    }
    return labels[kind]


# -- finding and changing a device -----------------------------------------------------------------


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


def valid_sequence(value: int) -> bool:
    """Whether ``value`` can be a bundle number (1 or more)."""
    return 1 <= value <= MAX_SEQUENCE


def parse_sequence(text: str | None) -> int:
    """A bundle number typed in a form (empty: 1, every bundle)."""
    cleaned = (text or "").strip()
    if not cleaned:
        return 1
    value = int(cleaned) if cleaned.isdigit() and len(cleaned) <= 10 else 0
    if not valid_sequence(value):
        raise InvalidInputError(
            _("{given}: not a bundle number; give a whole number of 1 or more.").format(
                given=cleaned[:20]
            )
        )
    return value


@dataclass(frozen=True)
class Revocation:
    device: Device
    """The device as it is now (revoked; lost too if it was declared lost)."""
    asked_from: int
    declared_lost: bool = False
    """Whether this was a declaration of loss (not only a revocation)."""

    def lines(self) -> list[str]:
        """What was done, in words: the lines ``devices revoke`` and ``devices lost`` print."""
        device = self.device
        assert device.revoked_from is not None  # noqa: S101 - just revoked
        if device.revoked_from == 1:
            said = [
                _("Device {key_id} is revoked: every bundle it signs is refused.").format(
                    key_id=device.key_id
                )
            ]
        else:
            said = [
                _(
                    "Device {key_id} is revoked from bundle {n} on: its bundles numbered {n} or "
                    "more are refused."
                ).format(key_id=device.key_id, n=device.revoked_from)
            ]
        if device.revoked_from < self.asked_from:
            said.append(_("It was revoked from an earlier bundle already; that stays."))
        if self.declared_lost and device.lost_at is not None:
            said.append(
                _(
                    "Device {key_id} is declared lost (on {date}): the next time it reaches the "
                    "sync server, it is told to erase its vault."
                ).format(key_id=device.key_id, date=device.lost_at)
            )
        return said


def revoke(
    repository: Repository,
    keys: HqKeys,
    actor: str,
    given: str,
    from_sequence: int,
    now: str | None = None,
) -> Revocation:
    """Refuse the device's bundles numbered ``from_sequence`` or more (1: all of them), logged
    in HQ's audit log as done by ``actor`` (when it changed anything). Revocation only ever
    widens."""
    return _change(repository, keys, actor, given, from_sequence, now, declare=False)


def declare_lost(
    repository: Repository,
    keys: HqKeys,
    actor: str,
    given: str,
    from_sequence: int,
    now: str | None = None,
) -> Revocation:
    """Revoke the device (as :func:`revoke`) and declare it lost, logged in HQ's audit log as
    done by ``actor``: at its next sync it is answered with a signed erase order."""
    return _change(repository, keys, actor, given, from_sequence, now, declare=True)


DeviceAction = Callable[[Repository, HqKeys, str, str, int], Revocation]
""":func:`revoke` or :func:`declare_lost`."""


def _change(
    repository: Repository,
    keys: HqKeys,
    actor: str,
    given: str,
    from_sequence: int,
    now: str | None,
    *,
    declare: bool,
) -> Revocation:
    """Revoke (and declare lost) in one transaction with the audit entry: both or neither. A
    request that changes nothing (revoked from an earlier bundle already, lost already) is not
    logged."""
    _check_sequence(from_sequence)
    name = audit.check_actor(actor)
    device = find_device(repository, given)
    at = now or utc_timestamp()
    with transaction(repository, write=True) as conn:
        revoked, changed = rows.revoke_device(conn, device.key_id, from_sequence, at)
        if declare:
            revoked, declared = rows.mark_lost(conn, device.key_id, at)
            changed = changed or declared
        if changed:
            audit.append(
                conn,
                keys.signing_key,
                at=at,
                actor=name,
                action=audit.Action.DEVICE_LOST if declare else audit.Action.DEVICE_REVOKED,
                subject=device.key_id,
                detail={"from_sequence": revoked.revoked_from},
            )
    return Revocation(revoked, from_sequence, declared_lost=declare)


def _check_sequence(value: int) -> None:
    if not valid_sequence(value):
        raise InvalidInputError(_("The bundle number must be 1 or more; nothing was changed."))


# -- the overview ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceOverview:
    device: Device
    bundles: int
    """How many bundles HQ holds from it."""
    last_sequence: int
    """Its highest bundle number HQ holds (0: none)."""
    missing: tuple[int, ...]
    """Bundle numbers below the last that HQ never received."""
    last_bundle_at: str | None
    """When HQ last received one of its bundles."""
    last_form_at: str | None
    """When it last fetched a published form over sync."""
    signed_in_at: str | None
    """When it signed in to the sync server, while that session lasts."""
    alarms: tuple[Alarm, ...]

    @property
    def key_id(self) -> str:
        return self.device.key_id

    @property
    def enrolment(self) -> Enrolment:
        return enrolment(self.device)

    @property
    def state(self) -> str:
        return device_state(self.device)

    @property
    def last_contact(self) -> str | None:
        """The latest of its last bundle, last form fetch and live sync sign-in."""
        times = [x for x in (self.last_bundle_at, self.last_form_at, self.signed_in_at) if x]
        return max(times) if times else None

    @property
    def missing_text(self) -> str:
        return describe_numbers(self.missing)

    @property
    def forks(self) -> tuple[Alarm, ...]:
        return tuple(a for a in self.alarms if a.kind is AlarmKind.FORK)

    @property
    def other_alarms(self) -> tuple[Alarm, ...]:
        return tuple(a for a in self.alarms if a.kind is not AlarmKind.FORK)


def overview(repository: Repository, now: int | None = None) -> list[DeviceOverview]:
    """Every device, by registration time, with what HQ knows of its bundles and contacts.

    A handful of queries whatever the number of devices (the missing numbers are read only for
    devices that have some)."""
    moment = int(dt.datetime.now(dt.UTC).timestamp()) if now is None else now
    devices = repository.devices()
    alarms: dict[str, list[Alarm]] = defaultdict(list)
    for alarm in repository.alarms():
        alarms[alarm.device_key_id].append(alarm)
    b = t.bundles.c
    bundle_query = sa.select(
        b.device_key_id,
        sa.func.count().label("n"),
        sa.func.max(b.sequence).label("last"),
        sa.func.max(b.ingested_at).label("at"),
    ).group_by(b.device_key_id)
    s = t.sync_tokens.c
    token_query = (
        sa.select(s.device_key_id, sa.func.max(s.expires_at).label("until"))
        .where(s.expires_at > moment)
        .group_by(s.device_key_id)
    )
    with transaction(repository) as conn:
        bundles = {row.device_key_id: row for row in conn.execute(bundle_query)}
        sessions = {row.device_key_id: int(row.until) for row in conn.execute(token_query)}
        forms = last_fetches(conn)
    found = []
    for device in devices:
        stats = bundles.get(device.key_id)
        count, last = (int(stats.n), int(stats.last)) if stats is not None else (0, 0)
        until = sessions.get(device.key_id)
        found.append(
            DeviceOverview(
                device=device,
                bundles=count,
                last_sequence=last,
                missing=tuple(repository.missing_sequences(device.key_id)) if count < last else (),
                last_bundle_at=None if stats is None else str(stats.at),
                last_form_at=forms.get(device.key_id),
                signed_in_at=None if until is None else _timestamp(until - TOKEN_SECONDS),
                alarms=tuple(alarms.get(device.key_id, ())),
            )
        )
    return found


def _timestamp(epoch: int) -> str:
    return utc_timestamp(dt.datetime.fromtimestamp(epoch, dt.UTC))


@dataclass(frozen=True)
class AlarmView:
    """An alarm with its words, for the workspace's list."""

    alarm: Alarm
    device_name: str
    kind_label: str
    detail: str


def alarm_views(rows: Sequence[DeviceOverview]) -> list[AlarmView]:
    """Every alarm of the devices in ``rows``, oldest first."""
    found = [
        AlarmView(alarm, row.device.name, alarm_kind_label(alarm.kind), alarm_detail(alarm))
        for row in rows
        for alarm in row.alarms
    ]
    return sorted(found, key=lambda view: view.alarm.id)
