"""Counting each victim once: keyed hashes of victims' names, candidate pairs, links.

- At ingest (HQ's keys are unlocked and each revision's identifying answers are in memory),
  :func:`index_at_ingest` stores the keyed hash of each named victim of each record's newest
  revision in ``victim_keys`` (:mod:`.matching`: never the name, never logged).
  :func:`index` does the same for every record, unsealing identifying answers with HQ's
  identity (records ingested before, or an ingest whose hashing failed).
- :func:`matches`: pairs of victims with the same hash that no decision covers yet, with what
  the analysis tables say of each (no identity).
- :func:`link` / :func:`unlink` (:mod:`.links`): signed decisions, in the audit log;
  ``an_victims.person_id`` follows them (:func:`apply_person_ids`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from fieldkit.domain.records import utc_timestamp
from fieldkit.hq import audit
from fieldkit.hq.analysis.tables import an_victims
from fieldkit.hq.keys import HqKeys
from fieldkit.hq.records import FormCache, iter_records
from fieldkit.hq.repository import Repository
from fieldkit.hq.repository import tables as base
from fieldkit.hq.repository import tables_review as t
from fieldkit.hq.sqlwork import transaction
from fieldkit.hq.victims.links import (
    Decision,
    LinkOutcome,
    apply_person_ids,
    components,
    current_decisions,
    decide,
    linked_pairs,
    signed_items,
)
from fieldkit.hq.victims.matching import VictimKey, keys_of, match_key

__all__ = [
    "Candidate",
    "Decision",
    "IndexReport",
    "LinkOutcome",
    "apply_person_ids",
    "distinct_persons",
    "index",
    "index_at_ingest",
    "link",
    "matches",
    "signed_items",
    "unlink",
]

log = logging.getLogger("fieldkit.hq.victims")


@dataclass(frozen=True)
class IndexReport:
    records: int
    victims: int
    """Named victims hashed."""


@dataclass(frozen=True)
class Candidate:
    """Two victims whose names hash alike, with what the analysis tables say of each."""

    a: dict[str, Any]
    b: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b}


def _replace_keys(conn: Connection, record_ids: Iterable[str], found: list[VictimKey]) -> None:
    ids = list(record_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        conn.execute(t.victim_keys.delete().where(t.victim_keys.c.record_id.in_(chunk)))
    if found:
        conn.execute(
            t.victim_keys.insert(),
            [{"victim_id": k.victim_id, "record_id": k.record_id, "key": k.key} for k in found],
        )


def index_at_ingest(
    repository: Repository,
    keys: HqKeys,
    revisions: Iterable[tuple[str, int, dict[str, Any]]],
) -> int:
    """Hash the named victims of the revisions just stored, given as ``(record_id, number,
    identifying answers)``: for each record, its newest revision if it is the newest HQ holds
    (an older one arriving late changes nothing). Then person ids are applied again (the
    analysis rows of a record with a new revision were replaced). Returns the victims hashed.
    A repository without an engine (the in-memory test one) is left alone."""
    if not isinstance(getattr(repository, "engine", None), Engine):
        return 0
    newest: dict[str, tuple[int, dict[str, Any]]] = {}
    for record_id, number, answers in revisions:
        if record_id not in newest or newest[record_id][0] < number:
            newest[record_id] = (number, answers)
    key = match_key(keys.signing_key)
    with transaction(repository, write=True) as conn:
        r = base.revisions
        held = dict(
            conn.execute(
                sa.select(r.c.record_id, sa.func.max(r.c.number))
                .where(r.c.record_id.in_(list(newest)))
                .group_by(r.c.record_id)
            ).all()
        )
        current = [rid for rid, (number, _a) in newest.items() if held.get(rid) == number]
        found = [k for rid in current for k in keys_of(key, rid, newest[rid][1])]
        _replace_keys(conn, current, found)
        apply_person_ids(conn)
    return len(found)


def index(repository: Repository, keys: HqKeys, *, actor: str) -> IndexReport:
    """Hash the named victims of every record's newest revision again (identifying answers
    unsealed with HQ's identity, in memory only); replaces every stored hash."""
    name = audit.check_actor(actor)
    key = match_key(keys.signing_key)
    found: list[VictimKey] = []
    records = 0
    for record in iter_records(repository, FormCache(repository), identity=keys.ingest_identity):
        records += 1
        found.extend(keys_of(key, record.revision.record_id, record.answers))
    with transaction(repository, write=True) as conn:
        conn.execute(t.victim_keys.delete())
        _replace_keys(conn, [], found)
        apply_person_ids(conn)
        audit.append(
            conn,
            keys.signing_key,
            at=utc_timestamp(),
            actor=name,
            action=audit.Action.VICTIMS_INDEXED,
            subject=None,
            detail={"records": records, "victims": len(found)},
        )
    log.info("victim keys: %d record(s), %d named victim(s)", records, len(found))
    return IndexReport(records, len(found))


def _describe(row: Any) -> dict[str, Any]:
    return {
        "victim_id": row.victim_id,
        "record_id": row.record_id,
        "kind": row.kind,
        "sex": row.sex,
        "age_group": row.age_group,
        "category": row.category,
    }


def matches(repository: Repository, record_id: str | None = None) -> list[Candidate]:
    """Candidate pairs: the same keyed hash, both victims in the analysis tables, no decision
    on the pair yet, not already one person. Ordered by victim ids. With ``record_id`` (as
    stored), only the pairs with a victim of that record."""
    k1, k2 = t.victim_keys.alias("k1"), t.victim_keys.alias("k2")
    pairs_query = (
        sa.select(k1.c.victim_id.label("a"), k2.c.victim_id.label("b"))
        .join(k2, sa.and_(k1.c.key == k2.c.key, k1.c.victim_id < k2.c.victim_id))
        .order_by("a", "b")
    )
    if record_id is not None:
        pairs_query = pairs_query.where(
            sa.or_(k1.c.record_id == record_id, k2.c.record_id == record_id)
        )
    with transaction(repository) as conn:
        pairs = [(str(r.a), str(r.b)) for r in conn.execute(pairs_query)]
        decisions = current_decisions(conn)
        ids = sorted({v for pair in pairs for v in pair})
        rows: dict[str, Any] = {}
        for start in range(0, len(ids), 500):
            query = sa.select(an_victims).where(
                an_victims.c.victim_id.in_(ids[start : start + 500])
            )
            rows.update({str(r.victim_id): r for r in conn.execute(query)})
    groups = components(linked_pairs(decisions))
    return [
        Candidate(_describe(rows[a]), _describe(rows[b]))
        for a, b in pairs
        if a in rows
        and b in rows
        and (a, b) not in decisions
        and groups.get(a, a) != groups.get(b, b)
    ]


def link(
    repository: Repository, keys: HqKeys, a: str, b: str, *, actor: str, at: str | None = None
) -> LinkOutcome:
    """Record that victims ``a`` and ``b`` are the same person."""
    return decide(repository, keys, a, b, Decision.LINK, actor=actor, at=at)


def unlink(
    repository: Repository, keys: HqKeys, a: str, b: str, *, actor: str, at: str | None = None
) -> LinkOutcome:
    """Record that victims ``a`` and ``b`` are not the same person (undoing a link)."""
    return decide(repository, keys, a, b, Decision.UNLINK, actor=actor, at=at)


def distinct_persons(repository: Repository) -> int:
    """How many persons the analysis tables' victims are, links applied."""
    with transaction(repository) as conn:
        return int(
            conn.execute(sa.select(sa.func.count(sa.distinct(an_victims.c.person_id)))).scalar()
            or 0
        )
