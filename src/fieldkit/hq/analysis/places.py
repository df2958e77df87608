"""First-level places of version 1's free text: what did not match, and settling it.

Version 1 of the shipped forms asked the region (``admin1``) as free text. Each such text is
matched at ingest with :func:`fieldkit.domain.places.match_subdivision` (case, accents,
punctuation and spacing ignored; the ISO name, the French and local names, and the code itself).
A text that matches no subdivision, or several, stays ``unmatched`` until an analyst settles it:
:func:`settle_place` records (country, normalised text) -> code in ``place_settlements`` and
updates every unmatched (or earlier settled) record with that text at once; records ingested
later with the same text are settled as they are stored. Records whose text matched are never
changed by a settlement.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from fieldkit.domain.places import (
    is_first_level_of,
    match_subdivision,
    normalise_place,
    subdivisions,
)
from fieldkit.domain.records import utc_timestamp
from fieldkit.hq.analysis import tables as a
from fieldkit.hq.analysis.facts import PlaceStatus
from fieldkit.hq.analysis.session import transaction
from fieldkit.hq.errors import InvalidInputError
from fieldkit.hq.repository.base import Repository
from fieldkit.hq.repository.rows import chunks
from fieldkit.i18n import _

MAX_TEXT = 400
"""Longest normalised text a settlement keeps (``place_settlements.text_norm``)."""


class UnmatchedPlace(NamedTuple):
    """(country, text, records): a typed region no subdivision matched."""

    country: str
    text: str
    """The spelling most records use (spellings that normalise alike are counted together)."""
    records: int


@dataclass(frozen=True)
class SettledPlace:
    country: str
    text: str
    code: str
    records: int
    """Records updated now."""


def unmatched_places(repository: Repository) -> list[UnmatchedPlace]:
    """Free-text places no subdivision matched, with their number of records, most first."""
    r = a.an_records.c
    query = (
        sa.select(r.country, r.admin1_text, sa.func.count())
        .where(r.admin1_status == PlaceStatus.UNMATCHED)
        .group_by(r.country, r.admin1_text)
    )
    spellings: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    with transaction(repository) as conn:
        for country, text, count in conn.execute(query):
            spellings[(country or "", normalise_place(text or ""))][text or ""] += int(count)
    found = [
        UnmatchedPlace(country, texts.most_common(1)[0][0], sum(texts.values()))
        for (country, _norm), texts in spellings.items()
    ]
    return sorted(found, key=lambda p: (-p.records, p.country, p.text.casefold()))


def settle_place(
    repository: Repository,
    country: str,
    text: str,
    code: str,
    actor: str,
    *,
    now: str | None = None,
) -> SettledPlace:
    """Settle ``text`` (as typed in records of ``country``) as subdivision ``code``."""
    country = country.strip().upper()
    code = code.strip().upper()
    norm = normalise_place(text)
    known = subdivisions(country)
    if not known:
        raise InvalidInputError(
            _(
                "{country}: not a country code with first-level subdivisions; give its ISO "
                "3166-1 alpha-3 code, such as MLI. Nothing was changed."
            ).format(country=country)
        )
    if not is_first_level_of(code, country):
        examples = ", ".join(s.code for s in known[:3])
        raise InvalidInputError(
            _(
                "{code} is not a first-level subdivision of {country} (its codes are like "
                "{examples}). Nothing was changed."
            ).format(code=code, country=country, examples=examples)
        )
    if not norm or len(norm) > MAX_TEXT:
        raise InvalidInputError(
            _(
                "Give the place as the records spell it (1 to {limit} letters), as "
                "'fieldkit-hq places unmatched' lists it. Nothing was changed."
            ).format(limit=MAX_TEXT)
        )
    matched = match_subdivision(country, text)
    if matched is not None:
        # Matching by name comes first at ingest and rebuild: such a settlement would be dead.
        raise InvalidInputError(
            _(
                "'{text}' already matches {matched} by its name in {country}: its records are "
                "counted there, and a settlement would change none. Nothing was changed."
            ).format(text=text, matched=matched, country=country)
        )
    actor = actor.strip()
    if not actor:
        raise InvalidInputError(_("Say who settles the place (--by NAME). Nothing was changed."))
    with transaction(repository, write=True) as conn:
        _save(conn, country, norm, code, actor, now or utc_timestamp())
        updated = _apply(conn, country, norm, code)
    return SettledPlace(country, text, code, updated)


def _save(conn: sa.Connection, country: str, norm: str, code: str, actor: str, now: str) -> None:
    """Insert or replace the settlement (one statement: two analysts settling the same text
    at once both succeed, the later one's code is kept)."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    values = {"admin1": code, "settled_by": actor, "settled_at": now}
    statement = insert(a.place_settlements).values(country=country, text_norm=norm, **values)
    conn.execute(
        statement.on_conflict_do_update(index_elements=["country", "text_norm"], set_=values)
    )


def _apply(conn: sa.Connection, country: str, norm: str, code: str) -> int:
    """Set ``code`` on the unmatched or settled records of ``country`` whose text is ``norm``."""
    r = a.an_records.c
    candidates = sa.select(r.record_id, r.admin1_text).where(
        r.country == country,
        r.admin1_status.in_((PlaceStatus.UNMATCHED, PlaceStatus.SETTLED)),
        r.admin1_text.is_not(None),
    )
    ids = [
        record_id for record_id, typed in conn.execute(candidates) if normalise_place(typed) == norm
    ]
    for chunk in chunks(ids):
        conn.execute(
            a.an_records.update()
            .where(r.record_id.in_(chunk))
            .values(admin1=code, admin1_status=PlaceStatus.SETTLED)
        )
    return len(ids)
