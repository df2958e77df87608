"""The analysis tables on SQLite and PostgreSQL: filled with each stored revision that is its
record's newest (in the bundle's transaction), kept by older ones, rebuilt in batches; free-text
places settled; nothing identifying in them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from fieldkit.bundle.agefile import new_identity
from fieldkit.bundle.forms import form_bytes
from fieldkit.crypto.identity import SigningKey
from fieldkit.domain.forms import FormDefinition
from fieldkit.domain.records import sha256_hex
from fieldkit.hq import victims
from fieldkit.hq.analysis import tables as a
from fieldkit.hq.analysis.mapping import safe_facts
from fieldkit.hq.analysis.places import settle_place, unmatched_places
from fieldkit.hq.analysis.rebuild import rebuild
from fieldkit.hq.analysis.session import transaction
from fieldkit.hq.analysis.store import delete_rows
from fieldkit.hq.errors import InvalidInputError
from fieldkit.hq.keys import HqKeys
from fieldkit.hq.repository import FakeRepository, NewForm, NewRevision, Repository
from tests.bundle.factory import forms_for, make_bundle, sealed
from tests.hq import factory
from tests.hq.analysis_forms import ATTACK, MARKET, example, kept, shipped_form, stored
from tests.hq.support import Device, Hq

CANARY = "CANARY-Name-Zq8wPx-7"


def new_form(form: FormDefinition) -> NewForm:
    content = form_bytes(form)
    return NewForm(sha256_hex(content), form.id, form.version, content)


def revision(
    chain: factory.DeviceChain, form: FormDefinition, data: dict[str, Any], **options: Any
) -> NewRevision:
    answers = kept(form, data)
    made = factory.revision(chain.key_id, form=new_form(form), answers=answers, **options)
    return replace(made, facts=safe_facts(form, answers))


def store(
    repository: Repository, chain: factory.DeviceChain, revisions: list[NewRevision], at: str
) -> None:
    forms = {r.form_sha256 for r in revisions}
    known = [new_form(shipped_form(ATTACK, "1")), new_form(shipped_form(MARKET, "1"))]
    made = chain.next(revisions, forms=[f for f in known if f.sha256 in forms])
    factory.store(repository, chain, replace(made, ingested_at=at))


def dump(repository: Repository, *tables: sa.Table) -> dict[str, list[dict[str, Any]]]:
    """Every row of the analysis tables, sorted."""
    found = {}
    with transaction(repository) as conn:
        for table in tables or a.ANALYSIS_TABLES:
            rows = [dict(row._mapping) for row in conn.execute(sa.select(table))]
            found[table.name] = sorted(rows, key=repr)
    return found


@pytest.fixture
def chain(sql_repository: Repository) -> factory.DeviceChain:
    identity = factory.identity()
    sql_repository.add_device(identity, "2026-03-02T08:00:00Z")
    return factory.DeviceChain(identity.key_id)


def test_a_real_bundle_fills_the_tables_without_identifying_answers(
    sql_repository: Repository, tmp_path: Path
) -> None:
    """Ingest of a device's bundle of two version 1 records: their rows, nothing identifying."""
    hq = Hq(tmp_path, sql_repository)
    device = Device()
    device.register(sql_repository)
    attack_form, market_form = shipped_form(ATTACK, "1"), shipped_form(MARKET, "1")
    attack = example(ATTACK)
    attack["victims"][0].update(victim_name=CANARY, victim_contact=CANARY)
    revisions = [
        sealed(device.key, form=attack_form, data=stored(attack_form, attack)),
        sealed(device.key, form=market_form, data=stored(market_form, example(MARKET))),
    ]
    data, _info = make_bundle(
        hq.keys,
        revisions,
        sequence=1,
        device=device.key,
        forms=forms_for(revisions, known=(attack_form, market_form)),
    )
    path = hq.stick / "bundle.fkb"
    path.write_bytes(data)
    report = hq.ingestor().run([path])
    assert report.ok, [r.reason for r in report.results]
    rows = dump(sql_repository)
    records = {r["form_id"]: r for r in rows["an_records"]}
    ingested = sql_repository.bundle_at(device.key.key_id, 1)
    assert ingested is not None
    assert {r["received_at"] for r in records.values()} == {ingested.ingested_at}
    assert records[ATTACK]["kind"] == "attack" and records[MARKET]["kind"] == "market"
    assert records[ATTACK]["record_id"] == revisions[0].record_id
    assert records[ATTACK]["revision_sha256"] == revisions[0].sha256
    assert records[ATTACK]["admin1"] == "BF-08" and records[MARKET]["admin1"] == "ML-1"
    assert len(rows["an_victims"]) == 2 and len(rows["an_acts"]) == 2
    assert {v["person_id"] for v in rows["an_victims"]} == {
        f"{revisions[0].record_id}.1",
        f"{revisions[0].record_id}.2",
    }
    assert len(rows["an_sources"]) == 5 and len(rows["an_exploited"]) == 3
    assert {m["market"] for m in rows["an_markets"]} == {
        "non_renewable_resource_crimes",
        "extortion_protection_racketeering",
    }
    assert CANARY not in repr(rows)
    assert "SRC-1203" not in repr(rows)  # a source pseudonym (identifying)


def test_a_newer_revision_replaces_the_rows_and_an_older_one_does_not(
    sql_repository: Repository, chain: factory.DeviceChain
) -> None:
    form = shipped_form(ATTACK, "1")
    first = revision(chain, form, example(ATTACK))
    store(sql_repository, chain, [first], "2026-03-20T12:00:00Z")
    with transaction(sql_repository, write=True) as conn:  # as victim linking would
        conn.execute(
            a.an_victims.update()
            .where(a.an_victims.c.victim_id == f"{first.record_id}.1")
            .values(person_id="0" * 32 + ".1")
        )
    one_victim = example(ATTACK)
    one_victim["victims"] = one_victim["victims"][:1]
    one_victim.update(motive="political", main_act="killing")
    second = replace(
        revision(chain, form, one_victim),
        record_id=first.record_id,
        number=2,
        previous=first.sha256,
    )
    store(sql_repository, chain, [second], "2026-03-21T12:00:00Z")
    rows = dump(sql_repository)
    assert [(r["revision"], r["motive"]) for r in rows["an_records"]] == [(2, "political")]
    assert rows["an_records"][0]["received_at"] == "2026-03-20T12:00:00Z"
    assert [(v["victim_id"], v["person_id"]) for v in rows["an_victims"]] == [
        (f"{first.record_id}.1", "0" * 32 + ".1")
    ]
    assert len(rows["an_acts"]) == 1
    # Revision 3 of another record arrives before its revision 1.
    later = revision(chain, form, dict(example(ATTACK), motive="economic"), number=3)
    store(sql_repository, chain, [later], "2026-03-22T12:00:00Z")
    earlier = replace(
        revision(chain, form, dict(example(ATTACK), motive="unknown")), record_id=later.record_id
    )
    store(sql_repository, chain, [earlier], "2026-03-23T12:00:00Z")
    held = dump(sql_repository, a.an_records)["an_records"]
    mine = [r for r in held if r["record_id"] == later.record_id]
    assert [(r["revision"], r["motive"], r["received_at"]) for r in mine] == [
        (3, "economic", "2026-03-22T12:00:00Z")
    ]


def test_rebuild_makes_the_same_rows_in_batches_and_keeps_links(
    sql_repository: Repository, chain: factory.DeviceChain
) -> None:
    attack, market = shipped_form(ATTACK, "1"), shipped_form(MARKET, "1")
    revisions = [revision(chain, attack, example(ATTACK)) for _ in range(3)]
    revisions += [revision(chain, market, example(MARKET)) for _ in range(4)]
    revisions.append(
        replace(
            revision(chain, market, dict(example(MARKET), collection_method="interview")),
            record_id=revisions[-1].record_id,
            number=2,
        )
    )
    store(sql_repository, chain, revisions, "2026-03-20T12:00:00Z")
    victim, other = f"{revisions[0].record_id}.2", f"{revisions[1].record_id}.2"
    keys = HqKeys(ingest_identity=new_identity()[0], signing_key=SigningKey.generate())
    victims.link(sql_repository, keys, victim, other, actor="analyst")
    before = dump(sql_repository)
    persons = {v["victim_id"]: v["person_id"] for v in before["an_victims"]}
    assert persons[victim] == persons[other] == min(victim, other)
    assert len(before["an_records"]) == 7
    seen: list[int] = []
    report = rebuild(sql_repository, batch=2, progress=seen.append)
    assert (report.records, report.written) == (7, 7)
    assert seen == [2, 4, 6]
    assert dump(sql_repository) == before
    with transaction(sql_repository, write=True) as conn:
        delete_rows(conn, [r.record_id for r in revisions])
    assert dump(sql_repository, a.an_records)["an_records"] == []
    rebuild(sql_repository, batch=3)
    assert dump(sql_repository) == before  # person ids applied again from the victim links


def test_rebuild_needs_a_sql_repository() -> None:
    with pytest.raises(InvalidInputError, match="SQLite or PostgreSQL"):
        rebuild(FakeRepository())


def test_unmatched_places_are_listed_and_settled_at_once_and_at_ingest(
    sql_repository: Repository, chain: factory.DeviceChain
) -> None:
    form = shipped_form(MARKET, "1")
    typed = [
        ("Ménaka Nord", "MLI"),
        ("MENAKA-NORD", "MLI"),
        ("Ménaka Nord", "NER"),
        ("Kayes", "MLI"),
    ]
    revisions = [
        revision(chain, form, dict(example(MARKET), admin1=text, country=country))
        for text, country in typed
    ]
    store(sql_repository, chain, revisions, "2026-03-20T12:00:00Z")
    places = unmatched_places(sql_repository)
    assert [(p.country, p.records) for p in places] == [("MLI", 2), ("NER", 1)]
    assert places[0].text in ("Ménaka Nord", "MENAKA-NORD")
    before = dump(sql_repository, a.an_records)
    for country, code in (("MLI", "NE-1"), ("XXX", "ML-7"), ("MLI", "ML-BKO-1")):
        with pytest.raises(InvalidInputError):
            settle_place(sql_repository, country, "menaka nord", code, "analyst")
    with pytest.raises(InvalidInputError):
        settle_place(sql_repository, "MLI", " -- ", "ML-9", "analyst")
    # A text matched by its name needs no settlement (matching comes first, it would be dead).
    with pytest.raises(InvalidInputError, match="already matches ML-1"):
        settle_place(sql_repository, "MLI", "KAYES", "ML-2", "analyst")
    assert dump(sql_repository, a.an_records) == before
    settled = settle_place(sql_repository, "mli", "menaka nord", "ml-9", "analyst A")
    assert (settled.code, settled.records) == ("ML-9", 2)
    records = {r["record_id"]: r for r in dump(sql_repository, a.an_records)["an_records"]}
    assert [
        (records[r.record_id]["admin1"], records[r.record_id]["admin1_status"]) for r in revisions
    ] == [
        ("ML-9", "settled"),
        ("ML-9", "settled"),
        (None, "unmatched"),
        ("ML-1", "matched"),
    ]
    assert [(p.country, p.records) for p in unmatched_places(sql_repository)] == [("NER", 1)]
    # Settled again, differently: the settled records follow; a later record is settled as
    # it is stored.
    assert settle_place(sql_repository, "MLI", "Menaka  Nord", "ML-7", "analyst B").records == 2
    late = revision(chain, form, dict(example(MARKET), admin1="menaka nord!"))
    store(sql_repository, chain, [late], "2026-03-21T12:00:00Z")
    row = [
        r
        for r in dump(sql_repository, a.an_records)["an_records"]
        if r["record_id"] == late.record_id
    ]
    assert (row[0]["admin1"], row[0]["admin1_status"]) == ("ML-7", "settled")
    settlements = dump(sql_repository, a.place_settlements)["place_settlements"]
    assert [(s["text_norm"], s["admin1"], s["settled_by"]) for s in settlements] == [
        ("menaka nord", "ML-7", "analyst B")
    ]


def test_answers_with_a_nul_character_are_kept_exactly(
    sql_repository: Repository, chain: factory.DeviceChain
) -> None:
    answers = {"narrative": "before\x00after \\u0000 literal", "count": 3}
    made = factory.revision(chain.key_id, answers=answers)
    plain = factory.revision(chain.key_id, answers={"narrative": "plain", "count": 1})
    factory.store(sql_repository, chain, chain.next([made, plain]))
    read = {r.record_id: r.answers for r in sql_repository.iter_revisions()}
    assert read[made.record_id] == answers
    assert read[plain.record_id] == {"narrative": "plain", "count": 1}
    summaries = {s.record_id: s.latest.answers for s in sql_repository.records()}
    assert summaries[made.record_id] == answers


@pytest.fixture
def postgres_repository(postgres_url: str) -> Iterator[Repository]:
    from fieldkit.hq.repository import open_repository

    opened = open_repository(postgres_url)
    yield opened
    opened.close()


@pytest.mark.postgres
def test_postgres_answers_are_jsonb(postgres_repository: Repository) -> None:
    with transaction(postgres_repository) as conn:
        kind = conn.execute(
            sa.text(
                "SELECT data_type FROM information_schema.columns WHERE table_schema = "
                "current_schema() AND table_name = 'revisions' AND column_name = :c"
            ),
            {"c": "answers"},
        ).scalar_one()
    assert kind == "jsonb"


def test_a_nul_in_answers_is_ingested_and_the_signature_verifies_on_re_read(
    sql_repository: Repository, tmp_path: Path
) -> None:
    """On PostgreSQL the answers are jsonb, which holds no NUL: they are kept exactly anyway,
    and the device's signature over the sealed original still verifies."""
    import json

    from fieldkit.domain.records import revision_signing_message
    from fieldkit.hq.sealing import SealedReader
    from tests.bundle.factory import TEST_FORM

    hq = Hq(tmp_path, sql_repository)
    device = Device()
    device.register(sql_repository)
    data = {"narrative": "a\x00b", "weight": 2.5}
    revisions = [sealed(device.key, form=TEST_FORM, data=data)]
    made, _info = make_bundle(hq.keys, revisions, sequence=1, device=device.key)
    path = hq.stick / "nul.fkb"
    path.write_bytes(made)
    assert hq.ingestor().run([path]).ok
    (stored_revision,) = sql_repository.iter_revisions()
    assert stored_revision.answers == data
    reader = SealedReader(hq.keys.hq[0], sql_repository.sealed_batch)
    entry = reader.entry(stored_revision.batch_id, stored_revision.position)
    assert entry.content == revisions[0].content
    assert json.loads(entry.content)["data"] == data
    assert device.key.public.verify(entry.signature, revision_signing_message(entry.content))


def test_version_2_records_are_stored_beside_version_1(
    sql_repository: Repository, chain: factory.DeviceChain
) -> None:
    one, two = shipped_form(ATTACK, "1"), shipped_form(ATTACK, "2")
    first = revision(chain, one, example(ATTACK))
    second = revision(chain, two, example(ATTACK, "2"))
    made = chain.next([first, second], forms=[new_form(one), new_form(two)])
    factory.store(sql_repository, chain, made)
    rows = dump(sql_repository)
    assert sorted(r["form_version"] for r in rows["an_records"]) == ["1", "2"]
    victims = [v for v in rows["an_victims"] if v["record_id"] == second.record_id]
    assert [v["kind"] for v in victims] == ["person", "person", "organisation"]
    assert {v["consent"] for v in victims} == {"yes"}
    acts = [a for a in rows["an_acts"] if a["record_id"] == second.record_id]
    assert sorted(a["perpetrator"] for a in acts) == [
        "organised_criminal_group",
        "organised_criminal_group",
        "unknown",
    ]
    sources = [s for s in rows["an_sources"] if s["record_id"] == second.record_id]
    assert sorted(s["independent"] for s in sources) == [False, True, True]
    assert rebuild(sql_repository).written == 2
    assert dump(sql_repository) == rows


@pytest.mark.postgres
@pytest.mark.parametrize("existing", [False, True], ids=["new", "held"])
@pytest.mark.parametrize(("first", "second", "kept_revision"), [(2, 3, 3), (3, 2, 3)])
def test_two_transactions_writing_one_record_keep_the_newer(
    postgres_repository: Repository, first: int, second: int, kept_revision: int, existing: bool
) -> None:
    """The second transaction waits for the first, then judges the record against what the
    first committed: the newer revision's rows stay, whichever came first."""
    import threading
    import time

    from fieldkit.hq.analysis.store import RecordFacts, write_facts

    form = shipped_form(ATTACK, "1")
    facts = safe_facts(form, kept(form, example(ATTACK)))

    def item(number: int, at: str) -> RecordFacts:
        return RecordFacts("a" * 32, number, factory.sha(), ATTACK, "1", "d" * 32, at, facts)

    engine = postgres_repository.engine  # type: ignore[attr-defined]
    if existing:  # revision 1's rows are held: both transactions replace them
        with engine.begin() as conn:
            write_facts(conn, [item(1, "2026-03-21T00:00:00Z")])
    written: list[int] = []
    with engine.connect() as conn_a:
        transaction_a = conn_a.begin()
        assert write_facts(conn_a, [item(first, "2026-03-21T00:00:00Z")]) == 1

        def other() -> None:
            with engine.begin() as conn_b:
                written.append(write_facts(conn_b, [item(second, "2026-03-22T00:00:00Z")]))

        thread = threading.Thread(target=other)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive()  # waiting for the first transaction
        transaction_a.commit()
        thread.join(30)
    assert written == [1 if second > first else 0]
    rows = dump(postgres_repository, a.an_records, a.an_victims)
    assert [r["revision"] for r in rows["an_records"]] == [kept_revision]
    assert rows["an_records"][0]["received_at"] == "2026-03-21T00:00:00Z"
    assert len(rows["an_victims"]) == 2


@pytest.mark.postgres
def test_a_settlement_made_during_an_ingest_settles_its_records(
    postgres_repository: Repository,
) -> None:
    import threading
    import time

    from fieldkit.hq.analysis.store import RecordFacts, write_facts

    form = shipped_form(MARKET, "1")
    facts = safe_facts(form, kept(form, dict(example(MARKET), admin1="Ménaka Nord")))
    assert facts.record["admin1_status"] == "unmatched"
    engine = postgres_repository.engine  # type: ignore[attr-defined]
    settled: list[int] = []
    with engine.connect() as conn:
        ingest = conn.begin()
        item = RecordFacts("b" * 32, 1, factory.sha(), MARKET, "1", "d" * 32, "2026", facts)
        assert write_facts(conn, [item]) == 1

        def settle() -> None:
            done = settle_place(postgres_repository, "MLI", "menaka nord", "ML-9", "analyst")
            settled.append(done.records)

        thread = threading.Thread(target=settle)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive()  # waits for the ingest
        ingest.commit()
        thread.join(30)
    assert settled == [1]
    (row,) = dump(postgres_repository, a.an_records)["an_records"]
    assert (row["admin1"], row["admin1_status"]) == ("ML-9", "settled")


def test_answers_with_a_nul_survive_a_downgrade_and_an_upgrade(
    sql_repository: Repository, chain: factory.DeviceChain
) -> None:
    """Schema 0003 kept answers as json (which holds a NUL); 0004 wraps them for jsonb and
    its downgrade unwraps them: the answers read back are the same at every step."""
    from alembic import command

    from fieldkit.hq.repository.database import alembic_config, upgrade

    answers = {"narrative": "x\x00y", "count": 1}
    made = factory.revision(chain.key_id, answers=answers)
    factory.store(sql_repository, chain, chain.next([made]))
    engine = sql_repository.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0003")
    with engine.connect() as conn:
        text = conn.execute(sa.text("SELECT CAST(answers AS TEXT) FROM revisions")).scalar_one()
    assert json.loads(text) == answers
    upgrade(engine)
    (read,) = sql_repository.iter_revisions()
    assert read.answers == answers
