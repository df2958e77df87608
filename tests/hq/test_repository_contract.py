"""The contract every repository backend keeps: the fake, SQLite and PostgreSQL alike.

Devices, bundles, atomicity, alarms, receipts; reading back is in
``test_repository_contract_reading.py``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from fieldkit.bundle import DeviceIdentityFile
from fieldkit.bundle.agefile import new_identity
from fieldkit.hq.errors import ConflictError, NotFoundError, RepositoryError
from fieldkit.hq.repository import (
    TABLES,
    AlarmKind,
    AlreadyStoredError,
    BundleBatch,
    BundleRefusedError,
    IssuedReceipt,
    NewAlarm,
    NewAttachment,
    NewRevision,
    Repository,
    SealedPart,
    rows,
)
from tests.hq import factory
from tests.hq.factory import DeviceChain, store

REGISTERED = "2026-03-02T08:00:00Z"


def hashes(revisions: list[NewRevision]) -> tuple[str, ...]:
    return tuple(sorted(r.sha256 for r in revisions))


# -- devices ---------------------------------------------------------------------------------------


def test_a_new_device_is_registered(repository: Repository) -> None:
    identity = factory.identity("Gao office")
    device, new = repository.add_device(identity, REGISTERED)
    assert new is True
    assert (device.key_id, device.public_key, device.age_recipient) == (
        identity.key_id,
        identity.public_key,
        identity.age_recipient,
    )
    assert (device.name, device.identity_created, device.registered_at) == (
        "Gao office",
        identity.created,
        REGISTERED,
    )
    assert device.fingerprint == identity.fingerprint
    assert device.revoked_from is None and device.trusted_for(10**6)
    assert repository.device(identity.key_id) == device
    assert repository.devices() == [device]
    assert repository.counts()["devices"] == 1


def test_registering_again_changes_nothing(repository: Repository) -> None:
    identity = factory.identity()
    first, _ = repository.add_device(identity, REGISTERED)
    again, new = repository.add_device(identity, "2026-04-01T00:00:00Z")
    assert new is False
    assert again == first and again.registered_at == REGISTERED
    revoked = repository.revoke_device(identity.key_id, 1, "2026-04-02T00:00:00Z")
    after_revocation, new = repository.add_device(identity, "2026-04-03T00:00:00Z")
    assert new is False
    assert after_revocation == revoked and after_revocation.revoked_from == 1
    assert repository.counts()["devices"] == 1


def test_a_key_id_with_another_key_is_a_conflict(repository: Repository) -> None:
    identity = factory.identity()
    device, _ = repository.add_device(identity, REGISTERED)
    other_recipient = dataclasses.replace(identity, age_recipient=new_identity()[1])
    other_key = dataclasses.replace(identity, public_key=factory.identity().public_key)
    same_key_other_id = dataclasses.replace(identity, key_id="0" * 32)
    for conflicting in (other_recipient, other_key, same_key_other_id):
        with pytest.raises(
            ConflictError,
            match="registered with another key or receipt key; nothing was changed",
        ):
            repository.add_device(conflicting, "2026-04-01T00:00:00Z")
    assert repository.devices() == [device]


def test_devices_are_listed_by_registration_time(repository: Repository) -> None:
    late, early, middle = factory.identity("late"), factory.identity("early"), factory.identity()
    repository.add_device(late, "2026-03-03T00:00:00Z")
    repository.add_device(early, "2026-03-01T00:00:00Z")
    repository.add_device(middle, "2026-03-02T00:00:00Z")
    assert [d.key_id for d in repository.devices()] == [early.key_id, middle.key_id, late.key_id]


def test_revocation_only_widens(repository: Repository, device: DeviceIdentityFile) -> None:
    revoked = repository.revoke_device(device.key_id, 5, "2026-04-01T00:00:00Z")
    assert (revoked.revoked_from, revoked.revoked_at) == (5, "2026-04-01T00:00:00Z")
    assert revoked.trusted_for(4) and not revoked.trusted_for(5)
    kept = repository.revoke_device(device.key_id, 8, "2026-04-02T00:00:00Z")
    assert (kept.revoked_from, kept.revoked_at) == (5, "2026-04-01T00:00:00Z")
    widened = repository.revoke_device(device.key_id, 2, "2026-04-03T00:00:00Z")
    assert (widened.revoked_from, widened.revoked_at) == (2, "2026-04-03T00:00:00Z")
    assert repository.device(device.key_id) == widened


def test_a_device_is_marked_lost_once(repository: Repository, device: DeviceIdentityFile) -> None:
    assert repository.device(device.key_id).lost_at is None  # type: ignore[union-attr]
    lost = repository.mark_lost(device.key_id, "2026-04-01T00:00:00Z")
    assert lost.lost_at == "2026-04-01T00:00:00Z"
    assert lost.revoked_from is None  # marking lost is not revoking: both are asked for
    again = repository.mark_lost(device.key_id, "2026-04-02T00:00:00Z")
    assert again.lost_at == "2026-04-01T00:00:00Z"  # the first time stays
    revoked = repository.revoke_device(device.key_id, 1, "2026-04-03T00:00:00Z")
    assert revoked.lost_at == "2026-04-01T00:00:00Z" and revoked.revoked_from == 1
    assert repository.device(device.key_id) == revoked
    assert [d.lost_at for d in repository.devices()] == ["2026-04-01T00:00:00Z"]


def test_an_unknown_device_cannot_be_marked_lost(repository: Repository) -> None:
    with pytest.raises(NotFoundError):
        repository.mark_lost("0" * 32, "2026-04-01T00:00:00Z")


def test_an_unknown_device(repository: Repository) -> None:
    assert repository.device("0" * 32) is None
    with pytest.raises(NotFoundError, match="No device with key id"):
        repository.revoke_device("0" * 32, 1, "2026-04-01T00:00:00Z")
    assert repository.last_sequence("0" * 32) == 0
    assert repository.missing_sequences("0" * 32) == []
    assert repository.counts()["devices"] == 0


# -- bundles ---------------------------------------------------------------------------------------


def test_a_bundle_is_stored_whole(repository: Repository, device: DeviceIdentityFile) -> None:
    chain = DeviceChain(device.key_id)
    first = factory.revision(device.key_id, attachments=["a" * 64])
    revisions = [first, factory.amend(first), factory.revision(device.key_id)]
    attachments = [NewAttachment("a" * 64, 10), NewAttachment("b" * 64, 2**33)]
    made = chain.next(revisions, attachments=attachments)
    result = repository.store_bundle(made)
    assert result.accepted == hashes(revisions) and result.known == ()
    stored = repository.bundle(made.manifest_sha256)
    assert stored is not None
    assert (stored.bundle_id, stored.device_key_id, stored.sequence, stored.previous) == (
        made.bundle_id,
        device.key_id,
        1,
        None,
    )
    assert (stored.created, stored.ingested_at, stored.ciphertext_sha256) == (
        made.created,
        made.ingested_at,
        made.ciphertext_sha256,
    )
    assert (stored.revisions, stored.attachments) == (3, 2)
    assert (stored.accepted, stored.known) == (result.accepted, ())
    assert repository.bundle_at(device.key_id, 1) == stored
    assert repository.manifest_at(device.key_id, 1) == made.manifest_sha256
    assert repository.bundle_at(device.key_id, 2) is None
    assert repository.last_sequence(device.key_id) == 1
    assert repository.known_revisions([first.sha256, "9" * 64]) == {first.sha256}
    assert repository.counts() == {
        "devices": 1,
        "bundles": 1,
        "bundle_revisions": 3,
        "forms": 1,
        "sealed_batches": 1,
        "revisions": 3,
        "identifying": 3,
        "attachments": 2,
        "alarms": 0,
        "receipts": 0,
    }


def test_revisions_held_already_are_known(
    repository: Repository, device: DeviceIdentityFile
) -> None:
    chain = DeviceChain(device.key_id)
    held = chain.records(2)
    store(repository, chain, chain.next(held))
    new = factory.revision(device.key_id)
    # held[0] listed as known; held[1] still a candidate (ingest built the batch before another
    # ingest stored it): both are known, neither is stored twice.
    made = chain.next([new, held[1]], known=[held[0].sha256])
    result = repository.store_bundle(made)
    assert result.accepted == (new.sha256,)
    assert result.known == hashes(held)
    stored = repository.bundle(made.manifest_sha256)
    assert stored is not None and (stored.accepted, stored.known) == (result.accepted, result.known)
    counts = repository.counts()
    assert (counts["revisions"], counts["identifying"], counts["bundle_revisions"]) == (3, 3, 5)


def test_a_bundle_of_known_revisions_only(
    repository: Repository, device: DeviceIdentityFile
) -> None:
    chain = DeviceChain(device.key_id)
    held = chain.records(3)
    store(repository, chain, chain.next(held))
    before = repository.counts()
    made = chain.next(known=[r.sha256 for r in held], forms=[])
    result = repository.store_bundle(made)
    assert (result.accepted, result.known) == ((), hashes(held))
    after = repository.counts()
    assert after["revisions"] == before["revisions"] == 3
    assert (after["bundles"], after["bundle_revisions"]) == (2, 6)
    assert repository.last_sequence(device.key_id) == 2


def test_a_replay_changes_nothing(repository: Repository, device: DeviceIdentityFile) -> None:
    chain = DeviceChain(device.key_id)
    first = store(repository, chain, chain.next(chain.records(2)))
    second = store(repository, chain, chain.next(chain.records(2)))
    before = repository.counts()
    for replay in (second, first):
        with pytest.raises(AlreadyStoredError, match="The bundle was already ingested"):
            repository.store_bundle(replay)
    assert repository.counts() == before
    assert repository.alarms() == []


def test_a_fork_is_refused(repository: Repository, device: DeviceIdentityFile) -> None:
    chain = DeviceChain(device.key_id)
    first = store(repository, chain, chain.next(chain.records(2)))
    before = repository.counts()
    fork = factory.batch(device.key_id, 1, chain.records(2))
    with pytest.raises(
        BundleRefusedError, match=r"conflicts with what headquarters holds \(fork\)"
    ) as refused:
        repository.store_bundle(fork)
    assert (refused.value.kind, refused.value.other) == (AlarmKind.FORK, first.manifest_sha256)
    assert repository.counts() == before
    assert repository.manifest_at(device.key_id, 1) == first.manifest_sha256
    assert repository.bundle(fork.manifest_sha256) is None


def test_a_chain_broken_before_is_refused(
    repository: Repository, device: DeviceIdentityFile
) -> None:
    chain = DeviceChain(device.key_id)
    first = store(repository, chain, chain.next(chain.records(1)))
    before = repository.counts()
    broken = factory.batch(device.key_id, 2, chain.records(1), previous=factory.sha())
    with pytest.raises(
        BundleRefusedError, match=r"conflicts with what headquarters holds \(chain\)"
    ) as refused:
        repository.store_bundle(broken)
    assert (refused.value.kind, refused.value.other) == (AlarmKind.CHAIN, first.manifest_sha256)
    assert repository.counts() == before
    unchained = factory.batch(device.key_id, 2, chain.records(1), previous=None)
    with pytest.raises(
        BundleRefusedError, match=r"conflicts with what headquarters holds \(chain\)"
    ):
        repository.store_bundle(unchained)
    assert repository.counts() == before


def test_a_chain_broken_after_is_refused(
    repository: Repository, device: DeviceIdentityFile
) -> None:
    first = factory.batch(device.key_id, 1, factory.DeviceChain(device.key_id).records(1))
    second = factory.batch(
        device.key_id, 2, [factory.revision(device.key_id)], previous=first.manifest_sha256
    )
    third = factory.batch(
        device.key_id, 3, [factory.revision(device.key_id)], previous=second.manifest_sha256
    )
    repository.store_bundle(first)
    repository.store_bundle(third)
    assert repository.missing_sequences(device.key_id) == [2]
    before = repository.counts()
    impostor = factory.batch(
        device.key_id, 2, [factory.revision(device.key_id)], previous=first.manifest_sha256
    )
    with pytest.raises(
        BundleRefusedError, match=r"conflicts with what headquarters holds \(chain\)"
    ) as refused:
        repository.store_bundle(impostor)
    assert (refused.value.kind, refused.value.other) == (AlarmKind.CHAIN, third.manifest_sha256)
    assert repository.counts() == before
    repository.store_bundle(second)
    assert repository.missing_sequences(device.key_id) == []
    assert repository.last_sequence(device.key_id) == 3


def test_another_revision_with_the_same_number_is_a_conflict(
    repository: Repository, device: DeviceIdentityFile
) -> None:
    chain = DeviceChain(device.key_id)
    held = factory.revision(device.key_id)
    store(repository, chain, chain.next([held]))
    before = repository.counts()
    rival = dataclasses.replace(held, sha256=factory.sha(), link_id=factory.sha()[:32])
    made = chain.next([factory.revision(device.key_id), rival])
    with pytest.raises(
        BundleRefusedError, match=r"conflicts with what headquarters holds \(conflict\)"
    ) as refused:
        repository.store_bundle(made)
    assert (refused.value.kind, refused.value.other) == (AlarmKind.CONFLICT, held.sha256)
    assert repository.counts() == before
    assert repository.bundle(made.manifest_sha256) is None


def test_missing_sequences_and_the_last_one(repository: Repository) -> None:
    one, two = factory.identity(), factory.identity()
    repository.add_device(one, REGISTERED)
    repository.add_device(two, REGISTERED)
    for sequence in (1, 4, 6):
        repository.store_bundle(factory.batch(one.key_id, sequence, [factory.revision(one.key_id)]))
    repository.store_bundle(factory.batch(two.key_id, 9, [factory.revision(two.key_id)]))
    assert repository.missing_sequences(one.key_id) == [2, 3, 5]
    assert repository.last_sequence(one.key_id) == 6
    assert repository.missing_sequences(two.key_id) == list(range(1, 9))
    assert repository.last_sequence(two.key_id) == 9


def test_a_bundle_of_an_unregistered_device_is_refused(repository: Repository) -> None:
    stranger = factory.identity()
    with pytest.raises(
        RepositoryError, match="The bundle's device is not registered; nothing stored"
    ):
        repository.store_bundle(factory.batch(stranger.key_id, 1, [factory.revision("0" * 32)]))
    assert set(repository.counts().values()) == {0}


# -- atomicity -------------------------------------------------------------------------------------


def _break(kind: str, device: str, good: list[NewRevision], stored: NewRevision) -> BundleBatch:
    """A batch whose last part fails; the parts before it are fine."""
    bad = factory.revision(device)
    alarms: list[NewAlarm] = []
    candidates = [r.key for r in [*good, bad]]
    if kind == "missing form":
        bad = dataclasses.replace(bad, form_sha256="0" * 64)
    elif kind == "link twice in the bundle":
        bad = dataclasses.replace(bad, link_id=good[0].link_id)
    elif kind == "link stored already":
        bad = dataclasses.replace(bad, link_id=stored.link_id)
    elif kind == "revision twice in the bundle":
        bad = dataclasses.replace(bad, record_id=good[0].record_id, number=good[0].number)
        candidates[-1] = bad.key
    elif kind == "revision outside its sealed batch":
        bad = dataclasses.replace(bad, position=7)
    elif kind == "revision given twice":
        bad = good[0]
        candidates.pop()
    elif kind == "revision that is no candidate":
        candidates.pop()
    elif kind == "candidate missing from the parts":
        candidates.append(factory.revision(device).key)
    elif kind == "unregistered revision device":
        bad = dataclasses.replace(bad, device_key_id="0" * 32)
    elif kind == "unregistered alarm device":
        alarms = [NewAlarm(AlarmKind.GAP, "0" * 32, 2, None, {"missing": [1]})]
    last = factory.part([bad])
    if kind == "revision outside its sealed batch":
        last = dataclasses.replace(last, sealed=factory.part([good[0]]).sealed)
    made = factory.batch(device, 2, parts=[*factory.seal(good, per_batch=100), last], alarms=alarms)
    return dataclasses.replace(
        made,
        candidates=candidates,
        revision_hashes=tuple(dict.fromkeys(r.sha256 for r in [*good, bad])),
    )


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("missing form", "A revision's form is missing"),
        ("link twice in the bundle", "A link id is used twice"),
        ("link stored already", "A link id is used twice"),
        ("revision twice in the bundle", "A revision is in the bundle twice"),
        ("revision outside its sealed batch", "A revision's sealed entry is missing"),
        ("revision given twice", "A revision is in the bundle twice"),
        ("revision that is no candidate", "A revision is not among the bundle's new ones"),
        ("candidate missing from the parts", "A revision's sealed entry is missing"),
        ("unregistered revision device", "A revision's device is not registered"),
        ("unregistered alarm device", "A revision's device is not registered"),
    ],
)
def test_a_bundle_failing_midway_stores_nothing(
    repository: Repository,
    device: DeviceIdentityFile,
    kind: str,
    reason: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rows, "INSERT_CHUNK", 100)  # the SQL backends insert the good parts first
    chain = DeviceChain(device.key_id)
    stored = factory.revision(device.key_id)
    store(repository, chain, chain.next([stored]))
    before = repository.counts()
    good = chain.records(300)
    made = dataclasses.replace(_break(kind, device.key_id, good, stored), previous=chain.previous)
    with pytest.raises(RepositoryError, match=factory.refused(repository, reason)):
        repository.store_bundle(made)
    assert repository.counts() == before
    assert repository.bundle(made.manifest_sha256) is None
    assert repository.known_revisions([r.sha256 for r in good]) == set()
    assert repository.last_sequence(device.key_id) == 1
    fixed = chain.next(good)
    assert repository.store_bundle(fixed).accepted == hashes(good)


def test_parts_may_be_made_while_they_are_stored(
    repository: Repository, device: DeviceIdentityFile
) -> None:
    chain = DeviceChain(device.key_id)
    good = chain.records(600)
    made = chain.next(good)
    asked: list[int] = []

    def parts() -> Iterator[SealedPart]:
        for index, part in enumerate(factory.seal(good, per_batch=100)):
            asked.append(index)
            yield part

    result = repository.store_bundle(dataclasses.replace(made, parts=parts()))
    assert result.accepted == hashes(good) and asked == list(range(6))
    assert repository.counts()["sealed_batches"] == 6


def test_a_failure_while_the_parts_are_made_stores_nothing(
    repository: Repository, device: DeviceIdentityFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rows, "INSERT_CHUNK", 100)
    chain = DeviceChain(device.key_id)
    good = chain.records(300)
    before = repository.counts()

    def parts() -> Iterator[SealedPart]:
        yield from factory.seal(good, per_batch=100)
        raise OSError("disk gone while sealing")

    with pytest.raises(OSError, match="disk gone"):
        repository.store_bundle(dataclasses.replace(chain.next(good), parts=parts()))
    assert repository.counts() == before
    assert repository.known_revisions([r.sha256 for r in good]) == set()


# -- alarms ----------------------------------------------------------------------------------------


def test_alarms_are_kept_oldest_first(repository: Repository, device: DeviceIdentityFile) -> None:
    other = factory.identity()
    repository.add_device(other, REGISTERED)
    fork = NewAlarm(AlarmKind.FORK, device.key_id, 3, "a" * 64, {"other": "b" * 64})
    repository.add_alarm(fork, "2026-03-20T10:00:00Z")
    gap = NewAlarm(AlarmKind.GAP, other.key_id, 5, "c" * 64, {"missing": [3, 4]})
    made = factory.batch(other.key_id, 5, [factory.revision(other.key_id)], alarms=[gap])
    repository.store_bundle(made)
    alarms = repository.alarms()
    assert [(a.kind, a.device_key_id, a.sequence, a.manifest_sha256) for a in alarms] == [
        (AlarmKind.FORK, device.key_id, 3, "a" * 64),
        (AlarmKind.GAP, other.key_id, 5, "c" * 64),
    ]
    assert [a.detail for a in alarms] == [{"other": "b" * 64}, {"missing": [3, 4]}]
    assert [a.raised_at for a in alarms] == ["2026-03-20T10:00:00Z", made.ingested_at]
    assert alarms[0].id < alarms[1].id
    assert repository.alarms(other.key_id) == [alarms[1]]
    assert repository.alarms("0" * 32) == []
    with pytest.raises(
        RepositoryError, match=factory.refused(repository, "The alarm's device is not registered")
    ):
        repository.add_alarm(
            NewAlarm(AlarmKind.CHAIN, "0" * 32, None, None), "2026-03-21T00:00:00Z"
        )
    assert repository.counts()["alarms"] == 2


# -- receipts and counts ---------------------------------------------------------------------------


def _receipt(made: BundleBatch, issued: str, file_name: str = "r.fkr") -> IssuedReceipt:
    return IssuedReceipt(
        receipt_id=factory.sha()[:32],
        manifest_sha256=made.manifest_sha256,
        device_key_id=made.device_key_id,
        sequence=made.sequence,
        issued=issued,
        accepted=len(made.candidates),
        known=0,
        file_name=file_name,
    )


def test_receipts(repository: Repository, device: DeviceIdentityFile) -> None:
    chain = DeviceChain(device.key_id)
    first = store(repository, chain, chain.next(chain.records(2)))
    second = store(repository, chain, chain.next(chain.records(1)))
    late = _receipt(first, "2026-03-21T00:00:00Z", "b" * 32 + ".fkr")
    early = _receipt(second, "2026-03-20T00:00:00Z")
    again = _receipt(first, "2026-03-22T00:00:00Z")
    for receipt in (late, early, again):
        repository.add_receipt(receipt)
    assert repository.receipts() == [early, late, again]
    assert repository.receipts(first.manifest_sha256) == [late, again]
    assert repository.receipts("0" * 64) == []
    before = repository.counts()
    unknown = dataclasses.replace(early, receipt_id=factory.sha()[:32], manifest_sha256="0" * 64)
    with pytest.raises(RepositoryError, match="A receipt for a bundle that is not stored"):
        repository.add_receipt(unknown)
    twice = factory.refused(repository, "A receipt id is used twice")
    with pytest.raises(RepositoryError, match=twice):
        repository.add_receipt(dataclasses.replace(late, issued="2026-03-23T00:00:00Z"))
    assert repository.counts() == before
    assert repository.receipts() == [early, late, again]


def test_counts_name_every_table(repository: Repository) -> None:
    counts = repository.counts()
    assert list(counts) == list(TABLES)
    assert set(counts.values()) == {0}
