"""The parts both shipped forms share, in either version: time, place, sources, verification.

Time. ``date_start`` and ``date_end`` are kept as answered (``YYYY``, ``YYYY-MM`` or
``YYYY-MM-DD``); ``day_from`` is the earliest day ``date_start`` may be and ``day_to`` the latest
day ``date_end`` (or, without it, ``date_start``) may be. ``time_precision`` follows ACLED
(1 the day is known, 2 within a week, 3 within a month, 4 a longer time, fieldkit's own for
a year or vaguer): version 1 asked it (copied); version 2 derives it (:func:`time_precision`).

Place. ``admin1`` is an ISO 3166-2 code: a subdivision select (version 2) answers one
(``coded``); free text (version 1) is kept in ``admin1_text`` and matched with
:func:`fieldkit.domain.places.match_subdivision` (``matched``), else ``unmatched`` until an
analyst settles it (the writer looks ``place_settlements`` up: ``settled``).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from fieldkit.domain.forms import FieldType
from fieldkit.domain.places import match_subdivision
from fieldkit.hq.analysis.facts import PlaceStatus, Row
from fieldkit.hq.analysis.reading import Reader, date_span

SPAN_PRECISION = ((1, 1), (7, 2), (31, 3))
"""(longest span in days, ACLED time precision): a span longer than a month is 4."""
DATE_PRECISION = {10: 1, 7: 3, 4: 4}
"""The time precision a date's own precision allows at best, by its length (day, month, year)."""


def time_precision(date_start: str | None, date_end: str | None) -> int | None:
    """ACLED time precision of version 2's dates, derived from their precision and span.

    The coarser of two: what the dates' own precision allows (a day 1, a month 3, a year 4),
    and the span from the earliest to the latest possible day (1 day: 1, up to 7 days: 2, up
    to 31 days: 3, longer: 4). ``2026-03-14`` is 1; ``2026-03-14`` to ``2026-03-17`` is 2;
    ``2026-03`` is 3; ``2026-03-28`` to ``2026-04-20`` is 3; ``2026`` is 4.
    """
    days = day_range(date_start, date_end)
    if days is None or date_start is None:
        return None
    answered = [d for d in (date_start, date_end) if d is not None]
    best = max(DATE_PRECISION[len(d)] for d in answered)
    span = (dt.date.fromisoformat(days[1]) - dt.date.fromisoformat(days[0])).days + 1
    by_span = next((precision for longest, precision in SPAN_PRECISION if span <= longest), 4)
    return max(best, by_span)


def day_range(date_start: str | None, date_end: str | None) -> tuple[str, str] | None:
    """``(day_from, day_to)`` as ``YYYY-MM-DD``: the earliest day of ``date_start`` and the
    latest of ``date_end`` (or of ``date_start`` without it). None without a start; an end
    before the start (an answer no form accepts) is ignored."""
    if date_start is None:
        return None
    first = date_span(date_start)
    if first is None:
        return None
    last = date_span(date_end) if date_end is not None else None
    latest = last[1] if last is not None and last[1] >= first[0] else first[1]
    return first[0].isoformat(), latest.isoformat()


def event_columns(answers: Reader) -> Row:
    """The columns of time, place, verification and handling of a shipped form's record."""
    date_start = answers.date("date_start")
    date_end = answers.date("date_end")
    days = day_range(date_start, date_end)
    if answers.defines("time_precision"):
        precision = answers.code_number("time_precision")  # version 1 asked it
    else:
        precision = time_precision(date_start, date_end)
    lat, lon = answers.point("coordinates")
    row: Row = {
        "date_start": date_start,
        "date_end": date_end,
        "day_from": days[0] if days else None,
        "day_to": days[1] if days else None,
        "time_precision": precision,
        "geo_precision": answers.code_number("geo_precision"),
        "lat": lat,
        "lon": lon,
        "location_type": answers.code("location_type"),
        "verification": answers.code("verification_status"),
        "verified_by": answers.text("verified_by"),
        "verified_on": answers.date("verified_on"),
        "classification": answers.code("classification"),
    }
    row.update(place_columns(answers))
    return row


def place_columns(answers: Reader) -> Row:
    """``country``, ``admin1``, ``admin1_text`` and ``admin1_status`` (see the module)."""
    country = answers.code("country")
    if answers.field_type("admin1") in (FieldType.SELECT_ONE, None):
        code = answers.code("admin1")
        status = PlaceStatus.CODED if code is not None else PlaceStatus.MISSING
        return {"country": country, "admin1": code, "admin1_text": None, "admin1_status": status}
    text = answers.text("admin1")
    if text is None:
        return {
            "country": country,
            "admin1": None,
            "admin1_text": None,
            "admin1_status": PlaceStatus.MISSING,
        }
    code = matched_place(country, text) if country is not None else None
    return {
        "country": country,
        "admin1": code,
        "admin1_text": text,
        "admin1_status": PlaceStatus.MATCHED if code is not None else PlaceStatus.UNMATCHED,
    }


@lru_cache(maxsize=4096)
def matched_place(country: str, text: str) -> str | None:
    """:func:`fieldkit.domain.places.match_subdivision`, remembered: a mission types the same
    few region names in record after record (pure: the subdivision data never changes while
    fieldkit runs)."""
    return match_subdivision(country, text)


def source_rows(answers: Reader) -> tuple[list[Row], int, int | None]:
    """The ``information`` entries as ``an_sources`` rows, how many there are, and how many
    are independent of the others (None when the form does not ask: version 1)."""
    rows: list[Row] = []
    for entry, source in enumerate(answers.entries("information"), start=1):
        rows.append(
            {
                "entry": entry,
                "source_type": source.code("source_type"),
                "connection": source.code("source_connection"),
                "reliability": source.code("source_reliability"),
                "credibility": source.code("info_credibility"),
                "independent": source.yes_no("source_independent"),
            }
        )
    independent = None
    if answers.defines("source_independent"):
        independent = sum(1 for row in rows if row["independent"] is True)
    return rows, len(rows), independent
