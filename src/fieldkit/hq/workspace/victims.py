"""The victims page: candidate pairs and decisions, with what helps an analyst decide.

The pairs are those of :func:`fieldkit.hq.victims.matches` (same keyed hash of the name, not yet
decided), the decisions the current one on each pair decided (:mod:`fieldkit.hq.victims.links`).
Each victim comes with the non-identifying facts of the analysis tables: its record, the
record's date and first-level place, the victim's kind, sex, age group and category (labelled
from the vocabularies of the forms HQ holds). Names are identifying: they are read (unsealed with
HQ's identity, in memory only, never stored nor logged) only for a pair whose two records the
caller says are revealed (the web session's reveals), and only then shown.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fieldkit.domain import places
from fieldkit.hq import review, victims
from fieldkit.hq.analysis.tables import an_records, an_victims
from fieldkit.hq.errors import ConflictError
from fieldkit.hq.exports.vocabularies import Vocabularies, held_vocabularies
from fieldkit.hq.keys import HqKeys
from fieldkit.hq.records import FormCache
from fieldkit.hq.repository import Repository
from fieldkit.hq.repository import tables as base
from fieldkit.hq.repository import tables_review as t
from fieldkit.hq.sealing import SealedReader
from fieldkit.hq.sqlwork import transaction
from fieldkit.hq.victims.matching import victim_id, victim_names
from fieldkit.i18n import _, current_language

LISTS = {
    "kind": "fieldkit-victim-kind",
    "sex": "sdg-sex",
    "age_group": "sdg16101-age-group",
    "category": "sdg16101-victim-category",
}
"""The vocabulary that labels each victim column of ``an_victims``."""


@dataclass(frozen=True)
class VictimFacts:
    """What the analysis tables say of a victim and its record; ``name`` only when revealed."""

    victim_id: str
    record_id: str
    present: bool
    """False when the record's newest revision no longer has this victim."""
    date: str | None = None
    place: str | None = None
    kind: str | None = None
    sex: str | None = None
    age_group: str | None = None
    category: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Pair:
    a: VictimFacts
    b: VictimFacts

    @property
    def records(self) -> tuple[str, str]:
        return self.a.record_id, self.b.record_id


@dataclass(frozen=True)
class CurrentDecision:
    """The newest decision on a pair: ``link`` (one person) or ``unlink`` (different persons)."""

    id: int
    pair: Pair
    decision: str
    at: str
    actor: str


@dataclass(frozen=True)
class VictimsView:
    record_id: str | None
    """The record the page is narrowed to (as stored), or None for every record."""
    candidates: list[Pair]
    decisions: list[CurrentDecision]
    """Newest first."""
    persons: int
    """How many persons the analysis tables' victims are, links applied."""
    revealed: frozenset[str]
    """Records whose names are shown (revealed ones that appear on the page)."""


def victims_view(
    repository: Repository,
    keys: HqKeys,
    *,
    record: str | None = None,
    revealed: Callable[[str], bool] = lambda _record: False,
) -> VictimsView:
    """Candidate pairs and current decisions (of one record when ``record`` is given: its id or
    an unambiguous prefix of 6+ characters), with names for each pair whose two records are
    ``revealed``."""
    record_id = None
    if record is not None and record.strip():
        with transaction(repository) as conn:
            record_id, _newest = review.find_record(conn, record)
    candidates = [
        Pair(_facts_of(c.a), _facts_of(c.b)) for c in victims.matches(repository, record_id)
    ]
    with transaction(repository) as conn:
        decided = _current_decisions(conn, record_id)
        facts = _facts(conn, [v for d in decided for v in (d.victim_a, d.victim_b)])
        records = {p for pair in candidates for p in pair.records} | {
            victim.rpartition(".")[0] for victim in facts
        }
        dated = _record_facts(conn, records)
    vocabularies = held_vocabularies(repository, FormCache(repository))
    language = current_language()

    def finish(item: VictimFacts) -> VictimFacts:
        return _labelled(item, dated.get(item.record_id), vocabularies, language)

    pairs = [Pair(finish(p.a), finish(p.b)) for p in candidates]
    decisions = [
        CurrentDecision(
            int(row.id),
            Pair(finish(facts[row.victim_a]), finish(facts[row.victim_b])),
            str(row.decision),
            str(row.at),
            str(row.actor),
        )
        for row in decided
    ]
    asked: dict[str, bool] = {}

    def is_revealed(record_id: str) -> bool:
        if record_id not in asked:
            asked[record_id] = revealed(record_id)
        return asked[record_id]

    shown = {
        r
        for pair in [*pairs, *(d.pair for d in decisions)]
        if all(map(is_revealed, pair.records))
        for r in pair.records
    }
    if shown:
        names = victim_names_of(repository, keys, shown)
        pairs = [_named(p, shown, names) for p in pairs]
        decisions = [replace(d, pair=_named(d.pair, shown, names)) for d in decisions]
    return VictimsView(
        record_id, pairs, decisions, victims.distinct_persons(repository), frozenset(shown)
    )


def victim_names_of(
    repository: Repository, keys: HqKeys, record_ids: Collection[str]
) -> dict[str, str]:
    """The names of the victims of ``record_ids`` (their newest revisions), by victim id,
    unsealed with HQ's identity. In memory only: never stored, never logged."""
    rev, ident = base.revisions, base.identifying
    newest = (
        sa.select(rev.c.record_id, sa.func.max(rev.c.number).label("number"))
        .where(rev.c.record_id.in_(sorted(record_ids)))
        .group_by(rev.c.record_id)
        .subquery()
    )
    query = (
        sa.select(rev.c.record_id, rev.c.sha256, rev.c.link_id, ident.c.batch_id, ident.c.position)
        .join(
            newest, sa.and_(rev.c.record_id == newest.c.record_id, rev.c.number == newest.c.number)
        )
        .join(ident, ident.c.link_id == rev.c.link_id)
        .order_by(ident.c.batch_id, ident.c.position)
    )
    with transaction(repository) as conn:
        rows = list(conn.execute(query))
    reader = SealedReader(keys.ingest_identity, repository.sealed_batch)
    names: dict[str, str] = {}
    for row in rows:
        entry = reader.entry(int(row.batch_id), int(row.position))
        if entry.link != row.link_id or entry.revision != row.sha256:
            raise ConflictError(_("A sealed batch in the repository is damaged."))
        for number, name in victim_names(entry.identifying):
            names[victim_id(str(row.record_id), number)] = name
    return names


def _named(pair: Pair, shown: Collection[str], names: dict[str, str]) -> Pair:
    if pair.a.record_id not in shown or pair.b.record_id not in shown:
        return pair
    return Pair(
        replace(pair.a, name=names.get(pair.a.victim_id)),
        replace(pair.b, name=names.get(pair.b.victim_id)),
    )


def _facts_of(described: dict[str, Any]) -> VictimFacts:
    return VictimFacts(
        victim_id=str(described["victim_id"]),
        record_id=str(described["record_id"]),
        present=True,
        kind=described.get("kind"),
        sex=described.get("sex"),
        age_group=described.get("age_group"),
        category=described.get("category"),
    )


def _current_decisions(conn: Connection, record_id: str | None) -> list[Any]:
    """The newest row of ``victim_links`` for each pair (of ``record_id``'s victims when
    given), newest first."""
    links = t.victim_links
    newest = (
        sa.select(sa.func.max(links.c.id))
        .group_by(links.c.victim_a, links.c.victim_b)
        .scalar_subquery()
    )
    query = sa.select(links).where(links.c.id.in_(newest)).order_by(links.c.id.desc())
    rows = list(conn.execute(query))
    if record_id is None:
        return rows
    return [
        row
        for row in rows
        if record_id in (row.victim_a.rpartition(".")[0], row.victim_b.rpartition(".")[0])
    ]


def _facts(conn: Connection, victim_ids: Iterable[str]) -> dict[str, VictimFacts]:
    """Facts of each victim id; one the analysis tables no longer hold is marked absent."""
    wanted = sorted(set(victim_ids))
    found: dict[str, VictimFacts] = {}
    for start in range(0, len(wanted), 500):
        query = sa.select(an_victims).where(an_victims.c.victim_id.in_(wanted[start : start + 500]))
        for row in conn.execute(query):
            found[str(row.victim_id)] = _facts_of(row._asdict())
    for victim in wanted:
        if victim not in found:
            found[victim] = VictimFacts(victim, victim.rpartition(".")[0], present=False)
    return found


def _record_facts(conn: Connection, record_ids: Iterable[str]) -> dict[str, Any]:
    wanted = sorted(set(record_ids))
    rows: dict[str, Any] = {}
    columns = (
        an_records.c.record_id,
        an_records.c.date_start,
        an_records.c.date_end,
        an_records.c.country,
        an_records.c.admin1,
        an_records.c.admin1_text,
    )
    for start in range(0, len(wanted), 500):
        query = sa.select(*columns).where(an_records.c.record_id.in_(wanted[start : start + 500]))
        rows.update({str(r.record_id): r for r in conn.execute(query)})
    return rows


def _labelled(
    item: VictimFacts, record: Any, vocabularies: Vocabularies, language: str
) -> VictimFacts:
    def label(column: str) -> str | None:
        code = getattr(item, column)
        return vocabularies.label(LISTS[column], code, language) or code

    return replace(
        item,
        date=None if record is None else _date(record.date_start, record.date_end),
        place=None if record is None else _place(record, language),
        kind=label("kind"),
        sex=label("sex"),
        age_group=label("age_group"),
        category=label("category"),
    )


def _date(start: str | None, end: str | None) -> str | None:
    if start and end and end != start:
        return f"{start} – {end}"
    return start or end


def _place(record: Any, language: str) -> str | None:
    if record.admin1:
        found = places.subdivision(record.admin1, language)
        return f"{found.local_name} ({found.code})" if found else str(record.admin1)
    if record.admin1_text and record.country:
        return f"{record.admin1_text} ({record.country})"
    given = record.admin1_text or record.country
    return None if given is None else str(given)
