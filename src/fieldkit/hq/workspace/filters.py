"""Which records a workspace page shows: the shared filters of the records list and the map.

:class:`RecordFilters` is the analysis :class:`~fieldkit.hq.analysis.filters.Filters` (period,
country, first-level place, form, review status) plus a device and a full-text query, read from
a page's query string (:meth:`RecordFilters.from_query`) and written back into links
(:meth:`RecordFilters.to_query`). :meth:`RecordFilters.where` is the SQL clause over
``an_records``, for the reader's role:

- the full text searches the PUBLIC answers for a viewer, the public and restricted ones for an
  analyst or an administrator (:mod:`fieldkit.hq.analysis.search`); identifying answers are in
  no search document;
- days are restricted answers: a viewer's period is widened to whole months (a viewer filtering
  by a single day would learn records' exact days), as public figures are by month.

A period is written as a year (2026), a quarter (2026-Q1), a month (2026-03) or a day
(2026-03-14): ``from`` takes its first day, ``to`` its last. A record is selected when its span
of possible days overlaps the period.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

import sqlalchemy as sa
from sqlalchemy import ColumnElement

from fieldkit.hq.analysis import search
from fieldkit.hq.analysis.filters import Filters, Period
from fieldkit.hq.analysis.tables import an_records
from fieldkit.hq.errors import InvalidInputError
from fieldkit.hq.repository.tables_review import review_status
from fieldkit.i18n import _

QUERY_KEYS = ("form", "from", "to", "country", "admin1", "review", "device", "q")
"""The query-string parameters the filters read and write, in the order links show them."""
PRIVILEGED_ROLES = frozenset({"analyst", "admin"})
"""Roles that read restricted answers (``fieldkit.hq.web.routing.Role`` values)."""

_DEVICE = re.compile(r"^[0-9a-f]{32}$")


def reads_restricted(role: str) -> bool:
    """Whether an account of ``role`` reads restricted answers; any other role (a viewer, or a
    role this module does not know) reads public answers only."""
    return str(role) in PRIVILEGED_ROLES


@dataclass(frozen=True)
class RecordFilters:
    """The filters of the records list and the map; None (or empty) means no restriction."""

    base: Filters = field(default_factory=Filters)
    period_from: str | None = None
    """``from`` as given, normalised ("2026-03"): links keep the precision the user chose."""
    period_to: str | None = None
    device: str | None = None
    """A device's key id (32 hexadecimal digits)."""
    q: str | None = None
    """The full-text query as typed (trimmed)."""

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> RecordFilters:
        """The filters of a query string (other parameters are ignored; empty ones mean no
        restriction); InvalidInputError with one translated line naming what is wrong."""

        def given(key: str) -> str | None:
            value = params.get(key)
            return value.strip() or None if isinstance(value, str) else None

        first = Period.parse(text) if (text := given("from")) else None
        last = Period.parse(text) if (text := given("to")) else None
        if first is not None and last is not None and first.first > last.last:
            raise InvalidInputError(
                _(
                    "The period starts ({first}) after it ends ({last}): give an earlier start."
                ).format(first=first.label, last=last.label)
            )
        base = Filters.parse(
            country=given("country"),
            admin1=given("admin1"),
            form_id=given("form"),
            review=given("review"),
        )
        base = replace(
            base,
            date_from=None if first is None else first.first,
            date_to=None if last is None else last.last,
        )
        device = given("device")
        if device is not None:
            device = device.lower()
            if not _DEVICE.match(device):
                raise InvalidInputError(
                    _(
                        "'{device}' is not a device key id: give its 32 hexadecimal digits, "
                        "as the devices page shows them."
                    ).format(device=device[:40])
                )
        q = given("q")
        if q is not None and len(q) > search.MAX_QUERY:
            raise InvalidInputError(
                _("The search text is longer than {n} characters: shorten it.").format(
                    n=search.MAX_QUERY
                )
            )
        return cls(
            base,
            None if first is None else first.label,
            None if last is None else last.label,
            device,
            q,
        )

    def to_query(self) -> dict[str, str]:
        """The query-string parameters that give these filters back (only those set)."""
        values = {
            "form": self.base.form_id,
            "from": self.period_from,
            "to": self.period_to,
            "country": self.base.country,
            "admin1": self.base.admin1,
            "review": self.base.review,
            "device": self.device,
            "q": self.q,
        }
        return {key: value for key, value in values.items() if value}

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return bool(self.to_query())

    @property
    def narrowed(self) -> bool:
        """Whether a filter other than the words is set."""
        return bool(set(self.to_query()) - {"q"})

    @property
    def terms(self) -> tuple[str, ...]:
        """The words the full text looks for (empty without a query or with no word in it)."""
        return search.query_terms(self.q) if self.q else ()

    def for_role(self, role: str) -> Filters:
        """The analysis filters as ``role`` may apply them: a viewer's days widened to months."""
        base = self.base
        if reads_restricted(role):
            return base
        first, last = base.date_from, base.date_to
        return replace(
            base,
            date_from=None if first is None else first.replace(day=1),
            date_to=None if last is None else _month_end(last),
        )

    def scope(self, account_role: str) -> str:
        """The search documents ``account_role`` searches (:mod:`fieldkit.hq.analysis.search`)."""
        return search.ALL if reads_restricted(account_role) else search.PUBLIC

    def where(self, account_role: str, *, full_text: bool = True) -> ColumnElement[bool]:
        """Every filter as one WHERE clause over ``an_records``, for a reader of
        ``account_role`` (a ``Role``, or its value); without the words when not
        ``full_text`` (the caller applies them itself)."""
        records = an_records
        base = replace(self.for_role(account_role), review=None)
        terms: list[ColumnElement[bool]] = [base.clause(records)]
        if self.base.review is not None:
            terms.append(review_clause(self.base.review))
        if self.device is not None:
            terms.append(records.c.device_key_id == self.device)
        if self.q is not None and full_text:
            terms.append(search.matches(records.c.record_id, self.terms, self.scope(account_role)))
        return sa.and_(*terms)


def review_clause(status: str) -> ColumnElement[bool]:
    """Records whose review status is ``status`` (a record never reviewed is unreviewed),
    written as EXISTS over ``review_status``'s primary key so that a database checks it per
    record by index."""
    row = review_status.alias("reviewed").c  # its own name: a query may join review_status too
    if status == "unreviewed":
        reviewed = sa.select(row.record_id).where(
            row.record_id == an_records.c.record_id, row.status != "unreviewed"
        )
        return ~reviewed.exists()
    return (
        sa.select(row.record_id)
        .where(row.record_id == an_records.c.record_id, row.status == status)
        .exists()
    )


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


__all__ = ["PRIVILEGED_ROLES", "QUERY_KEYS", "RecordFilters", "reads_restricted", "review_clause"]
