"""The devices' use cases (fieldkit.hq.devices) on SQLite and PostgreSQL: the overview, revoking
and declaring lost, and the words both the command line and the workspace show."""

from __future__ import annotations

import pytest

from fieldkit.errors import InvalidInputError, NotFoundError
from fieldkit.hq import deliveries, devices
from fieldkit.hq.devices import Enrolment
from fieldkit.hq.keys import HqKeys
from fieldkit.hq.repository import AlarmKind, NewAlarm, Repository
from tests.hq import factory
from tests.hq.support import Keys

_KEYS = Keys()
KEYS = HqKeys(ingest_identity=_KEYS.hq[0], signing_key=_KEYS.hq_signing)

REGISTERED = "2026-03-02T08:00:00Z"
NOW = 1_780_000_000  # 2026-05-28T20:26:40Z


def test_the_overview_of_each_device(sql_repository: Repository) -> None:
    repository = sql_repository
    quiet, busy, lost = (factory.identity(name) for name in ("Quiet", "Busy", "Lost"))
    for n, identity in enumerate((quiet, busy, lost)):
        repository.add_device(identity, f"2026-03-0{n + 1}T08:00:00Z")  # listed in this order
    chain = factory.DeviceChain(busy.key_id)
    for _ in (1, 2):
        factory.store(repository, chain, chain.next(chain.records(1)))
    for sequence in (5, 7):  # no neighbour to chain to
        made = factory.batch(busy.key_id, sequence, [factory.revision(busy.key_id)])
        repository.store_bundle(made)
    fork = NewAlarm(AlarmKind.FORK, busy.key_id, 2, "a" * 64, {"other_manifest": "b" * 64})
    repository.add_alarm(fork, "2026-03-20T10:00:00Z")
    gap = NewAlarm(AlarmKind.GAP, busy.key_id, 5, "c" * 64, {"missing": [3, 4]})
    repository.add_alarm(gap, "2026-03-20T11:00:00Z")
    devices.declare_lost(repository, KEYS, "amina", lost.key_id, 1, "2026-04-01T00:00:00Z")
    repository.add_token("d" * 64, busy.key_id, NOW + 600)  # signed in 300 s before NOW
    repository.add_token("e" * 64, quiet.key_id, NOW - 1)  # expired: no longer known

    rows = {row.device.name: row for row in devices.overview(repository, now=NOW)}

    assert list(rows) == ["Quiet", "Busy", "Lost"]
    q, b, lo = rows["Quiet"], rows["Busy"], rows["Lost"]
    assert (q.bundles, q.last_sequence, q.missing, q.last_contact) == (0, 0, (), None)
    assert q.enrolment is Enrolment.ACTIVE and q.state == "active" and q.alarms == ()
    assert (b.bundles, b.last_sequence, b.missing, b.missing_text) == (4, 7, (3, 4, 6), "3-4, 6")
    assert b.last_bundle_at == factory.INGESTED_AT
    assert b.signed_in_at == "2026-05-28T20:21:40Z"
    assert b.last_contact == "2026-05-28T20:21:40Z"
    assert [a.kind for a in b.forks] == [AlarmKind.FORK]
    assert [a.kind for a in b.other_alarms] == [AlarmKind.GAP]
    assert devices.alarm_detail(b.forks[0]) == "HQ holds bundle bbbbbbbbbbbbbbbb"
    assert devices.alarm_detail(b.other_alarms[0]) == "bundles not received: 3-4"
    assert lo.enrolment is Enrolment.LOST
    assert lo.state == "lost (erase ordered 2026-04-01T00:00:00Z)"


def test_a_form_fetch_is_a_contact(sql_repository: Repository) -> None:
    identity = factory.identity()
    sql_repository.add_device(identity, REGISTERED)
    sql_repository.store_bundle(factory.batch(identity.key_id, 1, []))
    deliveries.record(sql_repository, identity.key_id, "f" * 64, "2027-01-02T03:04:05Z")
    (row,) = devices.overview(sql_repository, now=NOW)
    assert row.last_bundle_at == factory.INGESTED_AT
    assert row.last_form_at == "2027-01-02T03:04:05Z"
    assert row.last_contact == "2027-01-02T03:04:05Z"


def test_revoking_only_widens_and_says_so(sql_repository: Repository) -> None:
    identity = factory.identity()
    sql_repository.add_device(identity, REGISTERED)
    first = devices.revoke(
        sql_repository, KEYS, "amina", identity.key_id[:8], 5, "2026-04-01T00:00:00Z"
    )
    assert first.device.revoked_from == 5
    assert first.lines() == [
        f"Device {identity.key_id} is revoked from bundle 5 on: its bundles numbered 5 or more "
        "are refused."
    ]
    again = devices.revoke(sql_repository, KEYS, "amina", identity.key_id, 9)
    assert again.device.revoked_from == 5
    assert again.lines()[1] == "It was revoked from an earlier bundle already; that stays."
    everything = devices.revoke(sql_repository, KEYS, "amina", identity.key_id, 1)
    assert everything.lines() == [
        f"Device {identity.key_id} is revoked: every bundle it signs is refused."
    ]
    device = sql_repository.device(identity.key_id)
    assert device is not None and devices.device_state(device) == "revoked"
    assert device.lost_at is None


def test_declaring_lost_revokes_and_orders_an_erase(sql_repository: Repository) -> None:
    identity = factory.identity()
    sql_repository.add_device(identity, REGISTERED)
    declared = devices.declare_lost(
        sql_repository, KEYS, "amina", identity.key_id, 3, "2026-04-01T00:00:00Z"
    )
    assert (declared.device.revoked_from, declared.device.lost_at) == (3, "2026-04-01T00:00:00Z")
    assert declared.lines()[-1].startswith(
        f"Device {identity.key_id} is declared lost (on 2026-04-01T00:00:00Z)"
    )
    # a later revocation of a lost device says nothing of the loss
    assert len(devices.revoke(sql_repository, KEYS, "amina", identity.key_id, 1).lines()) == 1


def test_bad_input_changes_nothing(sql_repository: Repository) -> None:
    identity = factory.identity()
    sql_repository.add_device(identity, REGISTERED)
    with pytest.raises(InvalidInputError, match="bundle number must be 1 or more"):
        devices.revoke(sql_repository, KEYS, "amina", identity.key_id, 0)
    with pytest.raises(NotFoundError, match="No device with key id 0123456789"):
        devices.declare_lost(sql_repository, KEYS, "amina", "0123456789", 1)
    with pytest.raises(NotFoundError):
        devices.revoke(sql_repository, KEYS, "amina", identity.key_id[:4], 1)  # too short a prefix
    device = sql_repository.device(identity.key_id)
    assert device is not None and (device.revoked_from, device.lost_at) == (None, None)


@pytest.mark.parametrize(
    ("text", "expected"), [("", 1), (" 7 ", 7), ("1", 1), (str(2**31 - 1), 2**31 - 1)]
)
def test_a_bundle_number_typed_in_a_form(text: str, expected: int) -> None:
    assert devices.parse_sequence(text) == expected


@pytest.mark.parametrize("text", ["0", "-3", "x", "1.5", str(2**31), "9" * 40])
def test_a_bundle_number_that_is_not_one(text: str) -> None:
    with pytest.raises(InvalidInputError, match="not a bundle number; give a whole number"):
        devices.parse_sequence(text)


def test_numbers_in_ranges() -> None:
    assert devices.describe_numbers([7, 1, 2, 3, 3, 9, 10]) == "1-3, 7, 9-10"
    assert devices.describe_numbers([]) == ""
