"""Counting each victim once: keyed hashes made at ingest, candidate pairs, signed links that
set ``an_victims.person_id``, and names that never reach the repository, the log or the audit."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from fieldkit.crypto.identity import SigningKey
from fieldkit.hq import audit, victims
from fieldkit.hq.analysis.rebuild import rebuild
from fieldkit.hq.errors import ConflictError, InvalidInputError, NotFoundError, RepositoryError
from fieldkit.hq.ingest import Outcome
from fieldkit.hq.repository import Repository
from fieldkit.hq.repository import tables_review as t
from fieldkit.hq.victims.matching import keyed_hash, match_key, normalise_name
from tests.hq.analysis_forms import ATTACK, shipped_form
from tests.hq.conftest import SQL_BACKENDS, _open
from tests.hq.judging import attack, attack_form, ingest, ingest_revisions, person_ids, victim
from tests.hq.support import Device, Hq, holds

NAME = "Amadou Diallo-CANARY"
SAME_NAME = "  DIALLO-canary, Amadou "
OTHER = "Fatou Keïta-CANARY"


@pytest.fixture(params=SQL_BACKENDS)
def sql_hq(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hq]:
    repository: Repository = _open(request.param, request)
    yield Hq(tmp_path, repository)
    repository.close()


@pytest.fixture
def device(sql_hq: Hq) -> Device:
    enrolled = Device()
    enrolled.register(sql_hq.repository)
    return enrolled


def two_records(hq: Hq, device: Device) -> tuple[str, str, str]:
    """Victims: A (record 1), B the same person spelt otherwise, C someone else (record 2)."""
    first, second = ingest(
        hq,
        device,
        attack(victim(NAME, "V-1")),
        attack(victim(OTHER, "V-2"), victim(SAME_NAME, "V-3")),
    )
    return f"{first}.1", f"{second}.2", f"{second}.1"


def test_the_same_person_in_two_records_is_one_candidate_pair(sql_hq: Hq, device: Device) -> None:
    a, b, _c = two_records(sql_hq, device)

    found = victims.matches(sql_hq.repository)

    assert [(m.a["victim_id"], m.b["victim_id"]) for m in found] == [tuple(sorted((a, b)))]
    assert found[0].a["kind"] == "person" and "victim_name" not in found[0].a


def test_link_makes_one_person_and_unlink_restores(sql_hq: Hq, device: Device) -> None:
    a, b, c = two_records(sql_hq, device)
    repository, keys = sql_hq.repository, sql_hq.secrets
    assert victims.distinct_persons(repository) == 3

    linked = victims.link(repository, keys, b, a, actor="analyst 1")

    assert linked.changed and linked.same_person and linked.person_a == min(a, b)
    ids = person_ids(repository)
    assert ids[a] == ids[b] == min(a, b) and ids[c] == c
    assert victims.distinct_persons(repository) == 2
    assert victims.matches(repository) == []
    again = victims.link(repository, keys, a, b, actor="analyst 1")
    assert not again.changed and again.same_person

    unlinked = victims.unlink(repository, keys, a, b, actor="analyst 2")

    assert unlinked.changed and not unlinked.same_person
    assert person_ids(repository) == {a: a, b: b, c: c}
    assert victims.distinct_persons(repository) == 3
    assert victims.matches(repository) == [], "a pair decided on is no longer proposed"
    assert not victims.unlink(repository, keys, a, b, actor="analyst 2").changed
    actions = [e.action for e in audit.entries(repository)]
    assert actions == ["victims_linked", "victims_unlinked"]
    assert audit.verify(repository, keys.signing_key.public.public_key).ok


def test_a_count_of_one_person_across_two_records(sql_hq: Hq, device: Device) -> None:
    first, second = ingest(
        sql_hq, device, attack(victim(NAME, "V-1")), attack(victim(SAME_NAME, "V-2"))
    )
    repository = sql_hq.repository
    assert victims.distinct_persons(repository) == 2
    victims.link(repository, sql_hq.secrets, f"{first}.1", f"{second}.1", actor="analyst")
    assert victims.distinct_persons(repository) == 1


def test_person_ids_are_applied_again_after_the_analysis_rows_are_rewritten(
    sql_hq: Hq, device: Device
) -> None:
    a, b, c = two_records(sql_hq, device)
    victims.link(sql_hq.repository, sql_hq.secrets, a, b, actor="analyst")
    victims.link(sql_hq.repository, sql_hq.secrets, b, c, actor="analyst")
    engine = sql_hq.repository.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:  # what a rebuild of the analysis tables leaves
        conn.execute(sa.text("UPDATE an_victims SET person_id = victim_id"))
        assert victims.apply_person_ids(conn) == 3
    assert set(person_ids(sql_hq.repository).values()) == {min(a, b, c)}


def test_a_rebuild_of_the_analysis_tables_keeps_the_links(sql_hq: Hq, device: Device) -> None:
    a, b, c = two_records(sql_hq, device)
    victims.link(sql_hq.repository, sql_hq.secrets, a, b, actor="analyst")
    engine = sql_hq.repository.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:  # rows written again without their person ids
        conn.execute(sa.text("UPDATE an_victims SET person_id = victim_id"))

    rebuild(sql_hq.repository)

    assert person_ids(sql_hq.repository) == {a: min(a, b), b: min(a, b), c: c}
    assert victims.distinct_persons(sql_hq.repository) == 2


def test_unlinking_two_victims_joined_through_a_third_is_refused(
    sql_hq: Hq, device: Device
) -> None:
    a, b, c = two_records(sql_hq, device)
    keys = sql_hq.secrets
    victims.link(sql_hq.repository, keys, a, b, actor="analyst")
    victims.link(sql_hq.repository, keys, b, c, actor="analyst")
    before = audit.entries(sql_hq.repository)
    with pytest.raises(ConflictError, match="through links to other victims"):
        victims.unlink(sql_hq.repository, keys, a, c, actor="analyst")
    assert audit.entries(sql_hq.repository) == before
    outcome = victims.unlink(sql_hq.repository, keys, b, c, actor="analyst")
    assert outcome.changed and not outcome.same_person


def test_unknown_or_repeated_victim_ids_are_refused(sql_hq: Hq, device: Device) -> None:
    a, b, _c = two_records(sql_hq, device)
    keys = sql_hq.secrets
    typo = a[:-1] + "7"
    with pytest.raises(NotFoundError, match=r"No victim .*Did you mean") as refused:
        victims.link(sql_hq.repository, keys, typo, b, actor="analyst")
    assert "\n" not in refused.value.user_message
    with pytest.raises(InvalidInputError, match="two different victims"):
        victims.link(sql_hq.repository, keys, a, a.upper(), actor="analyst")
    with sql_hq.repository.engine.connect() as conn:  # type: ignore[attr-defined]
        assert conn.execute(sa.select(sa.func.count()).select_from(t.victim_links)).scalar() == 0


def test_index_makes_the_keys_of_records_ingested_before(sql_hq: Hq, device: Device) -> None:
    two_records(sql_hq, device)
    engine = sql_hq.repository.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        made_at_ingest = conn.execute(sa.select(t.victim_keys).order_by("victim_id")).all()
        conn.execute(t.victim_keys.delete())
    assert victims.matches(sql_hq.repository) == []

    report = victims.index(sql_hq.repository, sql_hq.secrets, actor="admin")

    assert (report.records, report.victims) == (2, 3)
    with engine.connect() as conn:
        assert conn.execute(sa.select(t.victim_keys).order_by("victim_id")).all() == made_at_ingest
    assert len(victims.matches(sql_hq.repository)) == 1
    (entry,) = audit.entries(sql_hq.repository)
    assert entry.action == "victims_indexed" and entry.detail == {"records": 2, "victims": 3}


def test_names_never_reach_the_repository_the_log_or_the_audit(
    sql_hq: Hq, device: Device, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    a, b, _c = two_records(sql_hq, device)
    victims.index(sql_hq.repository, sql_hq.secrets, actor="admin")
    victims.link(sql_hq.repository, sql_hq.secrets, a, b, actor="admin")
    for text in ("CANARY", "canary", "Diallo", "diallo", normalise_name(NAME)):
        assert text not in caplog.text
        assert text not in repr(audit.entries(sql_hq.repository))
        assert holds(sql_hq.paths.root, text) == [], text  # the SQLite file, receipts...
    engine = sql_hq.repository.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        stored = repr(conn.execute(sa.select(t.victim_keys)).all())
        stored += repr(conn.execute(sa.select(t.audit_log)).all())
    assert "iallo" not in stored and "CANARY" not in stored.upper()


def test_the_keyed_hash_depends_on_hq_key_and_is_no_plain_hash() -> None:
    one, other = match_key(SigningKey.generate()), match_key(SigningKey.generate())
    mine = keyed_hash(one, NAME)
    assert mine is not None and len(mine) == 64
    assert keyed_hash(one, SAME_NAME) == mine
    assert keyed_hash(other, NAME) != mine
    for text in (NAME, normalise_name(NAME)):
        assert mine not in (hashlib.sha256(text.encode()).hexdigest(),)
    assert keyed_hash(one, OTHER) != mine
    assert keyed_hash(one, " -, ") is None


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("Amadou  DIALLO", "amadou diallo"),
        ("Diallo, Amadou", "amadou diallo"),
        ("Fatoumata Touré", "fatoumata toure"),
        ("ＦＡＴＯＵ", "fatou"),  # full-width letters (NFKD)
        ("Straße", "strasse"),  # case folding
        ("مُحَمَّد", "محمد"),  # Arabic vowel signs are dropped
        ("Jean-Pierre N'Diaye", "diaye jean n pierre"),
    ],
)
def test_names_are_normalised(given: str, normal: str) -> None:
    assert normalise_name(given) == normal


def test_a_newer_revision_replaces_a_record_s_keys(sql_hq: Hq, device: Device) -> None:
    form = attack_form()
    first = device.revision(data=attack(victim(NAME, "V-1")), form=form)
    second = device.revision(data=attack(victim(SAME_NAME, "V-2")), form=form)
    ingest_revisions(sql_hq, device, [first, second])
    assert len(victims.matches(sql_hq.repository)) == 1
    amended = device.revision(
        record_id=second.record_id,
        number=2,
        previous=second.sha256,
        data=attack(victim(None, "V-2"), victim(OTHER, "V-3")),
        form=form,
    )

    ingest_revisions(sql_hq, device, [amended])

    engine = sql_hq.repository.engine  # type: ignore[attr-defined]
    query = sa.select(t.victim_keys.c.victim_id).where(
        t.victim_keys.c.record_id == second.record_id
    )
    with engine.connect() as conn:
        assert conn.execute(query).scalars().all() == [f"{second.record_id}.2"]
    assert victims.matches(sql_hq.repository) == []


def test_links_hold_across_a_newer_revision(sql_hq: Hq, device: Device) -> None:
    form = attack_form()
    first = device.revision(data=attack(victim(NAME, "V-1")), form=form)
    second = device.revision(data=attack(victim(SAME_NAME, "V-2")), form=form)
    ingest_revisions(sql_hq, device, [first, second])
    a, b = f"{first.record_id}.1", f"{second.record_id}.1"
    victims.link(sql_hq.repository, sql_hq.secrets, a, b, actor="analyst")
    amended = device.revision(
        record_id=first.record_id,
        number=2,
        previous=first.sha256,
        data=attack(victim(NAME, "V-1"), victim(OTHER, "V-9")),
        form=form,
    )

    ingest_revisions(sql_hq, device, [amended])

    ids = person_ids(sql_hq.repository)
    assert ids[a] == ids[b] == min(a, b) and ids[f"{first.record_id}.2"] == f"{first.record_id}.2"
    assert victims.distinct_persons(sql_hq.repository) == 2


def test_a_failed_hashing_leaves_the_bundle_stored_and_says_what_to_run(
    sql_hq: Hq, device: Device, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def fail(*_args: object) -> int:
        raise RepositoryError("the repository database cannot be used")

    monkeypatch.setattr(victims, "index_at_ingest", fail)
    caplog.set_level(logging.INFO)
    path = sql_hq.bundle(
        device,
        [device.revision(data=attack(victim(NAME, "V-1")), form=attack_form())],
        forms=[attack_form()],
    )

    result = sql_hq.ingestor().ingest_file(path)

    assert result.outcome is Outcome.ACCEPTED and result.receipt is not None
    assert "victims index" in caplog.text
    report = victims.index(sql_hq.repository, sql_hq.secrets, actor="admin")
    assert (report.records, report.victims) == (1, 1)


def test_a_version_1_and_a_version_2_record_of_the_same_person_match(
    sql_hq: Hq, device: Device
) -> None:
    old, new = shipped_form(ATTACK, "1"), shipped_form(ATTACK, "2")
    assert (old.version, new.version) == ("1", "2")
    first = device.revision(data=attack(victim(NAME, "V-1")), form=old)
    second = device.revision(data=attack(victim(SAME_NAME, "V-2")), form=new)
    path = sql_hq.bundle(device, [first, second], forms=[old, new])
    assert sql_hq.ingestor().ingest_file(path).outcome is Outcome.ACCEPTED

    (pair,) = victims.matches(sql_hq.repository)

    found = {pair.a["victim_id"], pair.b["victim_id"]}
    assert found == {f"{first.record_id}.1", f"{second.record_id}.1"}


def test_a_person_id_names_a_victim_that_still_exists(sql_hq: Hq, device: Device) -> None:
    form = attack_form()
    first = device.revision(
        record_id="0" * 32,  # the smallest id: its victim names the person until it goes
        data=attack(victim(OTHER, "V-1"), victim(NAME, "V-2")),
        form=form,
    )
    second = device.revision(data=attack(victim(SAME_NAME, "V-3")), form=form)
    third = device.revision(data=attack(victim(NAME, "V-4")), form=form)
    ingest_revisions(sql_hq, device, [first, second, third])
    gone, b, c = f"{first.record_id}.2", f"{second.record_id}.1", f"{third.record_id}.1"
    victims.link(sql_hq.repository, sql_hq.secrets, gone, b, actor="analyst")
    victims.link(sql_hq.repository, sql_hq.secrets, b, c, actor="analyst")
    assert {person_ids(sql_hq.repository)[v] for v in (gone, b, c)} == {gone}
    amended = device.revision(
        record_id=first.record_id,
        number=2,
        previous=first.sha256,
        data=attack(victim(OTHER, "V-1")),  # the second victim was entered by mistake
        form=form,
    )

    ingest_revisions(sql_hq, device, [amended])

    ids = person_ids(sql_hq.repository)
    assert gone not in ids
    assert ids[b] == ids[c] == min(b, c), "still one person, named by an existing victim"
