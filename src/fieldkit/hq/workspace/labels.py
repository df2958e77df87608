"""Names of what the workspace shows, in the reader's language: forms, choices, places, review
statuses, dates as a role may see them."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from pydantic import ValidationError

from fieldkit.domain import places
from fieldkit.domain.forms import SELECT_TYPES, FormDefinition
from fieldkit.hq.repository import Repository
from fieldkit.i18n import N_, _

REVIEW_LABELS = {
    "unreviewed": N_("Unreviewed"),
    "verified": N_("Verified"),
    "rejected": N_("Rejected"),
    "follow-up": N_("Follow-up"),
}
"""Each review status's name (translated when shown: :func:`review_label`)."""


def review_label(status: str) -> str:
    text = REVIEW_LABELS.get(status)
    return status if text is None else _(text)


_PARSED_MAX = 256
_parsed: dict[str, FormDefinition | None] = {}
_parsed_lock = threading.Lock()


def _parsed_form(repository: Repository, sha256: str) -> FormDefinition | None:
    """The stored form of content hash ``sha256``, parsed once per process: a form's bytes never
    change under its hash, and parsing one takes milliseconds, which every page of records
    would pay again. None when HQ does not hold it or it does not parse."""
    with _parsed_lock:
        if sha256 in _parsed:
            return _parsed[sha256]
    stored = repository.form(sha256)
    if stored is None:
        return None  # not kept: it may be stored later
    parsed = None
    try:
        parsed = FormDefinition.model_validate_json(stored.definition)
    except (ValidationError, ValueError):
        parsed = None  # shown by its id; exports report a damaged form
    with _parsed_lock:
        if len(_parsed) >= _PARSED_MAX:
            _parsed.clear()
        _parsed[sha256] = parsed
    return parsed


@dataclass
class FormLabels:
    """The forms HQ holds, by (form id, version), parsed once each (a page's rows use a few)."""

    repository: Repository
    _forms: dict[tuple[str, str], FormDefinition | None] = field(default_factory=dict)
    _stored: dict[tuple[str, str], str] | None = None

    def form(self, form_id: str, version: str) -> FormDefinition | None:
        key = (form_id, version)
        if key not in self._forms:
            if self._stored is None:
                self._stored = {(f.form_id, f.version): f.sha256 for f in self.repository.forms()}
            sha256 = self._stored.get(key)
            self._forms[key] = None if sha256 is None else _parsed_form(self.repository, sha256)
        return self._forms[key]

    def title(self, form_id: str, version: str, language: str) -> str:
        form = self.form(form_id, version)
        return form_id if form is None else form.localized_title(language) or form_id

    def choice(self, form_id: str, version: str, name: str, code: str, language: str) -> str:
        """The label of ``code`` (a short code, as the analysis tables keep it) of select field
        ``name``; the code itself when the form or the field does not have it."""
        form = self.form(form_id, version)
        found = None if form is None else form.index.by_name.get(name)
        if form is None or found is None or found.type not in SELECT_TYPES:
            return code
        try:
            return form.choice_label(found, code, language)
        except KeyError:
            return code


def place_label(country: str | None, admin1: str | None, language: str) -> str:
    """ "Gao, Mali": the first-level place and the country, named in ``language``."""
    parts: list[str] = []
    if admin1:
        found = places.subdivision(admin1, language)
        parts.append(found.local_name if found is not None else admin1)
    if country:
        parts.append(places.country_name(country, language) or country)
    return ", ".join(parts)


def span_label(first: str | None, last: str | None) -> str:
    """A date or a span as answered ("2026-03-14", "2026-03", "2026-03-01 – 2026-03-09")."""
    if not first:
        return last or ""
    if not last or last == first:
        return first
    return f"{first} – {last}"


def month_span(day_from: str | None, day_to: str | None) -> str:
    """The months a record's span of possible days covers: what a viewer may see of a date
    (days are restricted). "2026" for a record dated only by its year."""
    if not day_from or not day_to:
        return ""
    if day_from[:4] == day_to[:4] and day_from[5:] == "01-01" and day_to[5:] == "12-31":
        return day_from[:4]
    return span_label(day_from[:7], day_to[:7])


__all__ = [
    "REVIEW_LABELS",
    "FormLabels",
    "month_span",
    "place_label",
    "review_label",
    "span_label",
]
