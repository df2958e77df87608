"""One mapping from a revision's answers to its analysis rows, whatever the form's version.

:func:`facts` reads the answers through the form they were filled in with: the shipped forms
``attack-on-activist`` (:mod:`.attack`) and ``illicit-market-observation`` (:mod:`.market`),
version 1 or 2 alike (what differs is told by which fields the form defines, not by its version
number: a field version 1 lacks reads as unanswered, and version 1's asked time precision is
copied where version 2's is derived). A record of any other form gets an ``an_records`` row
with the common columns only (its ids, form, device, received time; ``kind`` ``other``).

Only answers the form does not mark identifying are read (:class:`.reading.Reader`); the
answers HQ stores hold no identifying ones anyway (they are split out and sealed first).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fieldkit.domain.forms import FormDefinition
from fieldkit.hq.analysis import search
from fieldkit.hq.analysis.attack import attack_facts
from fieldkit.hq.analysis.common import event_columns, source_rows
from fieldkit.hq.analysis.facts import Facts, Kind, PlaceStatus
from fieldkit.hq.analysis.market import market_facts
from fieldkit.hq.analysis.reading import Reader

log = logging.getLogger(__name__)

ATTACK_FORM = "attack-on-activist"
MARKET_FORM = "illicit-market-observation"
KINDS = {ATTACK_FORM: Kind.ATTACK, MARKET_FORM: Kind.MARKET}


def facts(form: FormDefinition, answers: Mapping[str, Any]) -> Facts:
    """The analysis rows of a record whose newest revision has ``answers`` (the stored public
    and restricted answers) and was filled in with ``form``."""
    if form.id not in KINDS:
        return Facts(kind=Kind.OTHER, record={"admin1_status": PlaceStatus.MISSING})
    reader = Reader(form, answers)
    event = event_columns(reader)
    sources, count, independent = source_rows(reader)
    event.update(sources=count, independent_sources=independent)
    make = attack_facts if form.id == ATTACK_FORM else market_facts
    found = make(reader, event)
    found.sources = sources
    return found


def safe_facts(form: FormDefinition, answers: Mapping[str, Any]) -> Facts:
    """:func:`facts` with the record's search documents, or the common columns only if the
    mapping fails on these answers (a record is never refused for the sake of its analysis rows;
    the log names the form and the kind of failure, never an answer)."""
    try:
        found = facts(form, answers)
    except Exception as error:  # any failure of the mapping, see above
        log.warning(
            "analysis rows of a %s record left at their common columns (%s)",
            form.id,
            type(error).__name__,
        )
        found = Facts(
            kind=KINDS.get(form.id, Kind.OTHER), record={"admin1_status": PlaceStatus.MISSING}
        )
    try:
        found.search = search.documents(form, answers)
    except Exception as error:  # as above: a record is never refused for its search documents
        log.warning(
            "search documents of a %s record left empty (%s)", form.id, type(error).__name__
        )
    return found
