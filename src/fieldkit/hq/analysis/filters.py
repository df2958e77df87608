"""Selecting records for exports and indicators: periods, places, forms and review status.

A record's date is often partial ("2026", "2026-03") or a span; ``an_records`` keeps the earliest
and latest possible day of each (``day_from``, ``day_to``). A period selects every record whose
span OVERLAPS it, and flags ``uncertain`` those not wholly inside it: a record dated only "2026"
is in 2026-Q1, uncertain, and in every other quarter of 2026 too. A record without a date is in
no period: it is selected only when no date filter is given.

Countries are given as ISO 3166-1 alpha-3 ("MLI", what fieldkit stores) or alpha-2 ("ML"), in
any case; both mean the same country. First-level places are ISO 3166-2 codes ("ML-7"), also
accepted as stored by a subdivision select (``iso3166-2:VERSION:ML-7``).

:class:`Filters` builds SQLAlchemy clauses over the ``an_records`` table (and ``review_status``,
found on the same metadata) so that exports and indicators select exactly the same records.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select, true
from sqlalchemy.sql import FromClause

from fieldkit.domain import places
from fieldkit.hq.errors import InvalidInputError
from fieldkit.i18n import _

REVIEW_STATUSES = ("unreviewed", "verified", "rejected", "follow-up")
"""Review statuses HQ records (``fieldkit-hq review set``); a record never reviewed is
``unreviewed``."""

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_ADMIN1 = re.compile(r"^([A-Z]{2})-([A-Z0-9]{1,3})$")


@dataclass(frozen=True)
class Period:
    """A calendar year, quarter, month or day: its first and last day."""

    kind: str
    """'year', 'quarter', 'month' or 'day'."""
    first: date
    last: date

    @classmethod
    def parse(cls, text: str) -> Period:
        """ "2026", "2026-Q1", "2026-03" or "2026-03-14"; InvalidInputError otherwise."""
        value = text.strip()
        try:
            if match := _YEAR.match(value):
                year = int(match[1])
                return cls("year", date(year, 1, 1), date(year, 12, 31))
            if match := _QUARTER.match(value):
                year, quarter = int(match[1]), int(match[2])
                return cls("quarter", *_months(year, 3 * quarter - 2, 3 * quarter))
            if match := _MONTH.match(value):
                year, month = int(match[1]), int(match[2])
                return cls("month", *_months(year, month, month))
            if match := _DAY.match(value):
                day = date(int(match[1]), int(match[2]), int(match[3]))
                return cls("day", day, day)
        except ValueError:
            pass  # a month 13 or a 30 February: the same message as any other bad date
        raise InvalidInputError(
            _(
                "'{text}' is not a period: write a year (2026), a quarter (2026-Q1), "
                "a month (2026-03) or a day (2026-03-14)."
            ).format(text=text)
        )

    @property
    def label(self) -> str:
        """The period written as :meth:`parse` reads it."""
        if self.kind == "year":
            return f"{self.first.year:04d}"
        if self.kind == "quarter":
            return f"{self.first.year:04d}-Q{(self.first.month - 1) // 3 + 1}"
        if self.kind == "month":
            return f"{self.first.year:04d}-{self.first.month:02d}"
        return self.first.isoformat()

    def previous(self) -> Period:
        """The period of the same kind just before this one (2026-Q1 -> 2025-Q4)."""
        if self.kind == "day":
            day = self.first - timedelta(days=1)
            return Period("day", day, day)
        span = {"year": 12, "quarter": 3, "month": 1}[self.kind]
        start = self.first.year * 12 + self.first.month - 1 - span
        year, month = divmod(start, 12)
        return Period(self.kind, *_months(year, month + 1, month + span))

    def __str__(self) -> str:
        return self.label


def _months(year: int, first_month: int, last_month: int) -> tuple[date, date]:
    last_day = calendar.monthrange(year, last_month)[1]
    return date(year, first_month, 1), date(year, last_month, last_day)


@dataclass(frozen=True)
class Filters:
    """Which records an export or an indicator covers; None means no restriction.

    ``date_from`` and ``date_to`` are days (inclusive); ``country`` an alpha-3 code; ``admin1``
    an ISO 3166-2 code; ``review`` one of :data:`REVIEW_STATUSES`. Build one from what a user
    typed with :meth:`parse`, which checks everything and normalises codes.
    """

    date_from: date | None = None
    date_to: date | None = None
    country: str | None = None
    admin1: str | None = None
    form_id: str | None = None
    review: str | None = None

    @classmethod
    def parse(
        cls,
        *,
        date_from: str | None = None,
        date_to: str | None = None,
        country: str | None = None,
        admin1: str | None = None,
        form_id: str | None = None,
        review: str | None = None,
    ) -> Filters:
        """Filters from user input: ``--from`` takes the first day of a period ("2026-Q1"),
        ``--to`` the last day of one; InvalidInputError (one translated line) when anything
        is wrong."""
        first = Period.parse(date_from).first if date_from else None
        last = Period.parse(date_to).last if date_to else None
        if first is not None and last is not None and first > last:
            raise InvalidInputError(
                _("--from {first} is after --to {last}: give an earlier --from.").format(
                    first=first.isoformat(), last=last.isoformat()
                )
            )
        alpha3 = country_code(country) if country else None
        code = admin1_code(admin1, alpha3) if admin1 else None
        if code is not None and alpha3 is None:
            alpha3 = _alpha3_of(code)
        status = review.strip().lower() if review else None
        if status is not None and status not in REVIEW_STATUSES:
            raise InvalidInputError(
                _("'{status}' is not a review status: use one of {statuses}.").format(
                    status=review, statuses=", ".join(REVIEW_STATUSES)
                )
            )
        form = form_id.strip() if form_id else None
        return cls(first, last, alpha3, code, form or None, status)

    @classmethod
    def of_period(cls, period: Period, **others: Any) -> Filters:
        """Filters covering ``period`` (and the other restrictions, keyword arguments)."""
        return cls(date_from=period.first, date_to=period.last, **others)

    @property
    def dated(self) -> bool:
        return self.date_from is not None or self.date_to is not None

    def overlap(self, records: FromClause) -> ColumnElement[bool]:
        """Records whose [day_from, day_to] overlaps the period (always true without dates)."""
        if not self.dated:
            return true()
        day_from, day_to = records.c.day_from, records.c.day_to
        terms: list[ColumnElement[bool]] = [day_from.is_not(None), day_to.is_not(None)]
        if self.date_from is not None:
            terms.append(day_to >= self.date_from.isoformat())
        if self.date_to is not None:
            terms.append(day_from <= self.date_to.isoformat())
        return and_(*terms)

    def uncertain(self, records: FromClause) -> ColumnElement[bool]:
        """True for a selected record that is not wholly inside the period: it may have
        happened outside it. Always false without dates."""
        terms: list[ColumnElement[bool]] = []
        if self.date_from is not None:
            terms.append(records.c.day_from < self.date_from.isoformat())
        if self.date_to is not None:
            terms.append(records.c.day_to > self.date_to.isoformat())
        if not terms:
            return false()
        return case((or_(*terms), true()), else_=false())

    def review_status(self, records: FromClause) -> ColumnElement[str]:
        """Each record's review status; a record with no row in ``review_status`` is
        unreviewed."""
        table = review_table(records)
        status = (
            select(table.c.status).where(table.c.record_id == records.c.record_id).scalar_subquery()
        )
        return func.coalesce(status, "unreviewed")

    def clause(self, records: FromClause) -> ColumnElement[bool]:
        """Every restriction, as one WHERE clause over ``records`` (``an_records``)."""
        terms: list[ColumnElement[bool]] = [self.overlap(records)]
        if self.country is not None:
            terms.append(records.c.country == self.country)
        if self.admin1 is not None:
            terms.append(records.c.admin1 == self.admin1)
        if self.form_id is not None:
            terms.append(records.c.form_id == self.form_id)
        if self.review is not None:
            terms.append(self.review_status(records) == self.review)
        return and_(*terms)


def review_table(records: FromClause) -> Any:
    """The ``review_status`` table on the metadata ``records`` belongs to."""
    metadata = getattr(records, "metadata", None)
    table = None if metadata is None else metadata.tables.get("review_status")
    if table is None:
        raise InvalidInputError(_("This repository keeps no review status: leave out --review."))
    return table


def country_code(text: str) -> str:
    """The alpha-3 code of a country given as alpha-3 or alpha-2 (any case)."""
    import pycountry  # maintained ISO 3166 data, offline

    value = text.strip().upper()
    found = None
    if len(value) == 3 and value.isalpha():
        found = pycountry.countries.get(alpha_3=value)
    elif len(value) == 2 and value.isalpha():
        found = pycountry.countries.get(alpha_2=value)
    if found is None:
        raise InvalidInputError(
            _(
                "'{text}' is not a country code: give its ISO 3166 alpha-3 (MLI) "
                "or alpha-2 (ML) code."
            ).format(text=text)
        )
    return str(found.alpha_3)


def admin1_code(text: str, country: str | None) -> str:
    """An ISO 3166-2 first-level code ("ML-7"), checked, and in ``country`` when given."""
    value = places.short_code(text.strip()).upper()
    found = places.subdivision(value) if _ADMIN1.match(value) else None
    if found is not None and not places.is_first_level_of(found.code, found.country):
        found = None  # a province of a region: counts are by first-level places
    if found is None:
        raise InvalidInputError(
            _(
                "'{text}' is not a first-level place code: give its ISO 3166-2 code, "
                "for example ML-7."
            ).format(text=text)
        )
    if country is not None and found.country != country:
        raise InvalidInputError(
            _("{code} is not in {country}: check --admin1 or --country.").format(
                code=found.code, country=country
            )
        )
    return found.code


def _alpha3_of(code: str) -> str:
    return places.country_of(code)


__all__ = ["REVIEW_STATUSES", "Filters", "Period", "admin1_code", "country_code"]
