"""The contract every repository backend keeps, reading back: forms, revisions, records and
sealed batches (the rest is in ``test_repository_contract.py``)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from fieldkit.bundle import DeviceIdentityFile
from fieldkit.hq.errors import NotFoundError
from fieldkit.hq.repository import BundleBatch, Repository
from tests.hq import factory
from tests.hq.factory import FORM, OTHER_FORM, DeviceChain, store

# -- forms, revisions, records ---------------------------------------------------------------------


def test_forms_are_stored_once(repository: Repository, device: DeviceIdentityFile) -> None:
    chain = DeviceChain(device.key_id)
    store(repository, chain, chain.next(chain.records(1), forms=[OTHER_FORM, FORM, FORM]))
    store(repository, chain, chain.next(chain.records(1)))  # FORM again
    store(repository, chain, chain.next(chain.records(1, form=OTHER_FORM), forms=[]))
    assert repository.counts()["forms"] == 2
    assert [f.form_id for f in repository.forms()] == ["test-attack", "test-observation"]
    stored = repository.form(FORM.sha256)
    assert stored is not None
    assert (stored.form_id, stored.version, stored.definition) == (
        FORM.form_id,
        FORM.version,
        FORM.definition,
    )
    assert repository.form("0" * 64) is None


def test_revisions_come_back_in_ingest_order_exactly(
    repository: Repository, device: DeviceIdentityFile
) -> None:
    chain = DeviceChain(device.key_id)
    answers = {
        "narrative": "TEST a\u0000b \u202bعربي\u202c 😀 «quoted»",
        "weight": 12.5,
        "count": 2**53 - 1,
        "people": [{"age": 34}, {"name": None, "flags": []}],
        "ok": True,
    }
    made: list[BundleBatch] = []
    for size in (1100, 900, 500):  # more than one page of the SQL backends
        revisions = chain.records(size, answers=answers, attachments=["d" * 64])
        made.append(store(repository, chain, chain.next(revisions)))
    expected = [r for b in made for r in factory.revisions_of(b)]
    got = list(repository.iter_revisions())
    assert [r.sha256 for r in got] == [r.sha256 for r in expected]
    assert [r.seq for r in got] == sorted({r.seq for r in got})
    for new, stored in zip(expected[:3] + expected[-3:], got[:3] + got[-3:], strict=True):
        fields = dataclasses.asdict(new)
        del fields["facts"]  # analysis rows, written to their own tables (tests/hq/test_analysis_*)
        fields["answers"] = json.loads(fields["answers"])
        assert fields["answers"] == answers
        assert {k: getattr(stored, k) for k in fields} == fields
    sealed = {r.link_id: p.sealed for b in made for p in b.parts for r in p.revisions}
    last = got[-1]
    assert repository.sealed_batch(last.batch_id) == sealed[last.link_id].ciphertext
    assert sealed[last.link_id].links[last.position] == last.link_id


def test_revisions_by_form_and_latest_only(
    repository: Repository, device: DeviceIdentityFile
) -> None:
    chain = DeviceChain(device.key_id)
    observed = factory.revision(device.key_id)
    attack = factory.revision(device.key_id, form=OTHER_FORM)
    store(repository, chain, chain.next([observed, attack], forms=[FORM, OTHER_FORM]))
    second = factory.amend(observed)
    third = factory.amend(second)
    # The third revision arrives before the second (bundles brought in out of order).
    late = chain.next([second])
    chain.stored_ok(late)
    early = chain.next([third])
    repository.store_bundle(early)
    repository.store_bundle(late)
    order = [r.sha256 for r in repository.iter_revisions()]
    assert order == [observed.sha256, attack.sha256, third.sha256, second.sha256]
    by_form = repository.iter_revisions(form_id="test-observation")
    assert [r.sha256 for r in by_form] == [observed.sha256, third.sha256, second.sha256]
    latest = repository.iter_revisions(latest_only=True)
    assert [r.sha256 for r in latest] == [attack.sha256, third.sha256]
    latest_attack = repository.iter_revisions(form_id="test-attack", latest_only=True)
    assert [r.sha256 for r in latest_attack] == [attack.sha256]
    assert list(repository.iter_revisions(form_id="no-such-form")) == []


def test_revisions_stream_as_they_were_when_asked(
    repository: Repository, device: DeviceIdentityFile
) -> None:
    chain = DeviceChain(device.key_id)
    first = chain.records(1500)
    store(repository, chain, chain.next(first))
    latest = repository.iter_revisions(latest_only=True)
    everything = repository.iter_revisions()
    assert next(latest).sha256 == first[0].sha256
    assert next(everything).sha256 == first[0].sha256
    # An ingest while both are being read: it is neither blocked nor seen by them.
    amendments = [factory.amend(r) for r in first[:1200]]
    store(repository, chain, chain.next(amendments))
    assert [r.sha256 for r in latest] == [r.sha256 for r in first[1:]]
    assert len(list(everything)) == 1499
    assert len(list(repository.iter_revisions())) == 2700
    assert len(list(repository.iter_revisions(latest_only=True))) == 1500


def test_records_summarise_each_record(repository: Repository, device: DeviceIdentityFile) -> None:
    chain = DeviceChain(device.key_id)
    one = factory.revision(device.key_id)
    two = factory.revision(device.key_id, form=OTHER_FORM)
    store(repository, chain, chain.next([one, two], forms=[FORM, OTHER_FORM]))
    one_b = factory.amend(one)
    one_c = factory.amend(one_b)
    store(repository, chain, chain.next([one_b, one_c]))
    summaries = repository.records()
    assert [(s.record_id, s.revisions, s.latest.sha256) for s in summaries] == [
        (two.record_id, 1, two.sha256),
        (one.record_id, 3, one_c.sha256),
    ]
    assert summaries[1].latest.number == 3 and summaries[1].latest.previous == one_b.sha256
    only = repository.records(form_id="test-attack")
    assert [(s.record_id, s.revisions) for s in only] == [(two.record_id, 1)]
    assert repository.records(form_id="no-such-form") == []


def test_sealed_batches(repository: Repository, device: DeviceIdentityFile) -> None:
    chain = DeviceChain(device.key_id)
    made = store(repository, chain, chain.next(chain.records(600)))  # three sealed batches
    by_link = {r.link_id: r for r in repository.iter_revisions()}
    assert repository.counts()["sealed_batches"] == 3
    for sealed in factory.sealed_of(made):
        for position, link in enumerate(sealed.links):
            stored = by_link[link]
            assert stored.position == position
            assert repository.sealed_batch(stored.batch_id) == sealed.ciphertext
    missing = max(r.batch_id for r in by_link.values()) + 100
    with pytest.raises(NotFoundError, match="A sealed batch is missing from the repository"):
        repository.sealed_batch(missing)
