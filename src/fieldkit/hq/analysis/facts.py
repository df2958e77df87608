"""A record's facts: its rows of the analysis tables, as plain values (no database here).

:func:`fieldkit.hq.analysis.mapping.facts` makes them from a revision's answers;
:mod:`fieldkit.hq.analysis.store` writes them. The record's own ids (record id, revision, form,
device, received time) are added by the writer, which knows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]
"""One row: column name to value."""


class Kind:
    """What a record is about (``an_records.kind``)."""

    ATTACK = "attack"
    MARKET = "market"
    OTHER = "other"


class PlaceStatus:
    """How ``an_records.admin1`` was found (``an_records.admin1_status``)."""

    CODED = "coded"
    """Answered as an ISO 3166-2 code (version 2 of the shipped forms)."""
    MATCHED = "matched"
    """Free text (version 1) whose normalised spelling is the name of exactly one subdivision."""
    SETTLED = "settled"
    """Free text an analyst settled (``fieldkit-hq places settle``)."""
    UNMATCHED = "unmatched"
    """Free text that matched no subdivision, or several, and is not settled yet."""
    MISSING = "missing"
    """No first-level place answered."""


@dataclass
class Facts:
    """Every analysis row of one record except its ids.

    ``record`` holds ``an_records`` columns (all but record_id, revision_sha256, revision,
    form_id, form_version, device_key_id and received_at); every other list holds rows of its
    table without ``record_id``; a victim's ``victim_id`` and ``person_id`` are made by the
    writer from ``entry``, and an act names its victim by ``victim`` (the victim's entry).
    """

    kind: str
    record: Row
    victims: list[Row] = field(default_factory=list)
    acts: list[Row] = field(default_factory=list)
    perpetrators: list[Row] = field(default_factory=list)
    sources: list[Row] = field(default_factory=list)
    markets: list[str] = field(default_factory=list)
    commodities: list[str] = field(default_factory=list)
    actors: list[Row] = field(default_factory=list)
    quantities: list[Row] = field(default_factory=list)
    exploited: list[Row] = field(default_factory=list)
    search: dict[str, str] = field(default_factory=dict)
    """Its full-text search documents, scope -> words (:mod:`fieldkit.hq.analysis.search`)."""
