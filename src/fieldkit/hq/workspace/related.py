"""Records related to a record, for the analyst reading it, and the record's victims.

Two kinds of relation, each a question an analyst asks of a record:

- **same person**: records with a victim linked as the same person as one of this record's
  victims (HQ's victim linking, ``fieldkit-hq victims link``): the person's other attacks, for
  patterns and for protection. Links between records are public (docs/data-model.md), so a
  viewer sees these too.
- **same device, same day**: records written by the same device about an event on the same
  single day: often the same incident told twice (a duplicate to reject) or two parts of one.
  The day is a restricted answer, so only analysts see this relation.

A record's own amendments are its revisions (each naming the one it replaces): the record page
shows them with their chain, not here.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from fieldkit.hq.analysis.tables import an_records, an_victims
from fieldkit.hq.workspace.filters import reads_restricted
from fieldkit.hq.workspace.labels import FormLabels
from fieldkit.hq.workspace.record_list import RecordRow, record_rows, row_query

MAX_RELATED = 20
"""Records listed per relation (the most recently received first)."""


@dataclass(frozen=True)
class VictimLine:
    victim_id: str
    entry: int
    person_id: str
    linked: bool
    """Linked as the same person as a victim of another record."""
    category: str | None
    """The victim's category, named in the reader's language."""
    kind: str


@dataclass(frozen=True)
class Related:
    same_person: list[RecordRow]
    same_device_day: list[RecordRow]
    """Empty for a viewer."""
    victims: list[VictimLine]


def related(
    conn: sa.Connection,
    labels: FormLabels,
    record_id: str,
    role: str,
    language: str,
) -> Related:
    """The relations of ``record_id`` (see the module's description) in one transaction."""
    r, v = an_records.c, an_victims.c
    other = an_victims.alias("other")
    own = conn.execute(
        sa.select(r.form_id, r.form_version, r.device_key_id, r.day_from, r.day_to).where(
            r.record_id == record_id
        )
    ).first()
    victims = conn.execute(
        sa.select(v.victim_id, v.entry, v.person_id, v.category, v.kind)
        .where(v.record_id == record_id)
        .order_by(v.entry)
    ).all()
    persons = {row.person_id for row in victims}
    same_person: list[RecordRow] = []
    shared: set[str] = set()
    if persons:
        linked = (
            sa.select(other.c.record_id)
            .where(other.c.person_id.in_(persons), other.c.record_id != record_id)
            .distinct()
        )
        found = conn.execute(
            row_query()
            .where(r.record_id.in_(linked))
            .order_by(r.received_at.desc(), r.record_id.desc())
            .limit(MAX_RELATED)
        ).all()
        same_person = record_rows(conn, found, labels, role, language)
        shared = set(
            conn.execute(
                sa.select(other.c.person_id)
                .where(other.c.person_id.in_(persons), other.c.record_id != record_id)
                .distinct()
            ).scalars()
        )
    same_day: list[RecordRow] = []
    single_day = own is not None and own.day_from is not None and own.day_from == own.day_to
    if reads_restricted(role) and own is not None and single_day:
        found = conn.execute(
            row_query()
            .where(
                r.device_key_id == own.device_key_id,
                r.day_from == own.day_from,
                r.day_to == own.day_to,
                r.record_id != record_id,
            )
            .order_by(r.received_at.desc(), r.record_id.desc())
            .limit(MAX_RELATED)
        ).all()
        same_day = record_rows(conn, found, labels, role, language)
    lines = [
        VictimLine(
            row.victim_id,
            row.entry,
            row.person_id,
            row.person_id in shared,
            None
            if own is None or not row.category
            else labels.choice(
                own.form_id, own.form_version, "victim_category", row.category, language
            ),
            row.kind,
        )
        for row in victims
    ]
    return Related(same_person, same_day, lines)


__all__ = ["MAX_RELATED", "Related", "VictimLine", "related"]
