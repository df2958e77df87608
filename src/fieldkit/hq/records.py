"""Reading records back out of the repository, each with the form it was filled in with.

:func:`iter_records` yields the newest revision of each record (or every revision), with the
form definition stored with that revision (an old revision is read with the form version it was
made with) and its answers: the public and restricted ones only, or, when HQ's identity is
given, with the identifying ones unsealed and put back in place.

:func:`flatten` lays one record out as named columns, the layout CSV rows and GeoJSON
properties share (``docs/hq.md``, "Exports"):

- ``meta.record_id``, ``meta.revision``, ``meta.form_id``, ``meta.form_version``,
  ``meta.device``, ``meta.sealed_at``, ``meta.sha256`` first (field names cannot hold a dot, so
  these never collide with a field);
- then one column per field of the record's scope, in form order, named as the form's author
  named the field: a form imported from an XLSForm keeps its XLSForm names (``label-test``,
  ``prénom``) in exports, although fieldkit stores the answer under a name of its own
  (``label_test``, ``prenom``); a geopoint as
  ``NAME.lat``, ``NAME.lon``, ``NAME.precision_m``; a select-multiple as its list of stored
  codes; an attachment field as the list of its files' SHA-256; a repeat group as the list of
  its instances (objects keyed by the same column names);
- identifying fields only when identifying answers were unsealed: otherwise their columns are
  absent altogether.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from fieldkit.domain.forms import FieldDef, FieldType, FormDefinition
from fieldkit.errors import did_you_mean
from fieldkit.hq.answers import Answers, merge_answers
from fieldkit.hq.errors import ConflictError, NotFoundError
from fieldkit.hq.repository.base import Repository, StoredRevision
from fieldkit.hq.sealing import SealedReader
from fieldkit.i18n import _

META_COLUMNS = (
    "meta.record_id",
    "meta.revision",
    "meta.form_id",
    "meta.form_version",
    "meta.device",
    "meta.sealed_at",
    "meta.sha256",
)
GEO_PARTS = ("lat", "lon", "precision_m")
_DIGITS = re.compile(r"(\d+)")


@dataclass(frozen=True)
class ExportRecord:
    revision: StoredRevision
    form: FormDefinition
    answers: Answers
    """Public and restricted answers; with identifying ones too when they were unsealed."""


class FormCache:
    """Form definitions by the SHA-256 they are stored under, parsed once each."""

    def __init__(self, repository: Repository) -> None:
        self._repository = repository
        self._forms: dict[str, FormDefinition] = {}

    def get(self, sha256: str) -> FormDefinition:
        form = self._forms.get(sha256)
        if form is None:
            stored = self._repository.form(sha256)
            if stored is None:
                raise ConflictError(_("A revision's form is missing from the repository."))
            try:
                form = FormDefinition.model_validate_json(stored.definition)
            except (ValidationError, ValueError):
                raise ConflictError(_("A form definition in the repository is damaged.")) from None
            self._forms[sha256] = form
        return form

    def versions(self, form_id: str) -> list[FormDefinition]:
        """Every stored version of ``form_id``, newest first (versions compared as numbers
        where they are numbers: 10 after 9)."""
        stored = [f for f in self._repository.forms() if f.form_id == form_id]
        stored.sort(key=lambda f: _version_key(f.version), reverse=True)
        return [self.get(f.sha256) for f in stored]


def form_ids(repository: Repository) -> list[str]:
    """The ids of the forms HQ holds records of (a form is stored with the bundles using it)."""
    return sorted({f.form_id for f in repository.forms()})


def check_form_id(repository: Repository, form_id: str) -> None:
    known = form_ids(repository)
    if form_id not in known:
        raise NotFoundError(
            _("Headquarters holds no records of form '{id}'.").format(id=form_id)
            + did_you_mean(form_id, known)
            + " "
            + _("Forms held: {forms}.").format(forms=", ".join(known) or _("none"))
        )


def iter_records(
    repository: Repository,
    forms: FormCache,
    *,
    form_id: str | None = None,
    identity: str | None = None,
    all_revisions: bool = False,
) -> Iterator[ExportRecord]:
    """Records in ingest order; with ``identity`` (HQ's age identity) identifying answers too."""
    reader = None if identity is None else SealedReader(identity, repository.sealed_batch)
    for revision in repository.iter_revisions(form_id=form_id, latest_only=not all_revisions):
        answers = revision.answers
        if reader is not None:
            entry = reader.entry(revision.batch_id, revision.position)
            if entry.link != revision.link_id or entry.revision != revision.sha256:
                raise ConflictError(_("A sealed batch in the repository is damaged."))
            answers = merge_answers(answers, entry.identifying)
        yield ExportRecord(revision, forms.get(revision.form_sha256), answers)


def columns(forms: Iterable[FormDefinition], identifying: bool) -> list[str]:
    """The columns of records filled in with any of ``forms`` (newest first): the metadata,
    then each form's fields in order, those of older versions after the newest's."""
    names = list(META_COLUMNS)
    seen = set(names)
    for form in forms:
        for field in scope_fields(form, identifying):
            for name in field_columns(field):
                if name not in seen:
                    seen.add(name)
                    names.append(name)
    return names


def scope_fields(form: FormDefinition, identifying: bool) -> list[FieldDef]:
    """The fields that hold a record-level answer (those inside repeats are in their repeat's
    column), without identifying ones unless ``identifying``."""
    return [
        field
        for field in form.index.members[()]
        if field.holds_value and (identifying or not form.is_identifying(field.name))
    ]


def column_name(field: FieldDef) -> str:
    """The name a field's answer carries in exports: its XLSForm name where the form came from
    one, else its own."""
    return field.xlsform_name or field.name


def field_columns(field: FieldDef) -> list[str]:
    name = column_name(field)
    if field.type is FieldType.GEOPOINT:
        return [f"{name}.{part}" for part in GEO_PARTS]
    return [name]


def metadata(revision: StoredRevision) -> dict[str, Any]:
    return dict(
        zip(
            META_COLUMNS,
            (
                revision.record_id,
                revision.number,
                revision.form_id,
                revision.form_version,
                revision.device_key_id,
                revision.sealed_at,
                revision.sha256,
            ),
            strict=True,
        )
    )


def flatten(record: ExportRecord, identifying: bool) -> dict[str, Any]:
    """The record as columns (see the module's description); JSON values, None when empty."""
    row = metadata(record.revision)
    for field in scope_fields(record.form, identifying):
        value = record.answers.get(field.name)
        name = column_name(field)
        if field.type is FieldType.GEOPOINT:
            point = value if isinstance(value, dict) else {}
            for part in GEO_PARTS:
                row[f"{name}.{part}"] = _number(point.get(part))
        elif field.type is FieldType.ATTACHMENT and isinstance(value, list):
            row[name] = [r["sha256"] for r in value if isinstance(r, dict) and "sha256" in r]
        elif field.type is FieldType.REPEAT and isinstance(value, list):
            row[name] = [_entry(record.form, (field.name,), item) for item in value]
        else:
            row[name] = value
    return row


def _entry(form: FormDefinition, chain: tuple[str, ...], item: Any) -> Any:
    """A repeat entry keyed by column names (nested repeats too); what the form does not
    define is kept under its stored name."""
    if not isinstance(item, dict):
        return item
    fields = {f.name: f for f in form.index.members.get(chain, [])}
    entry: dict[str, Any] = {}
    for key, value in item.items():
        field = fields.get(key)
        if field is None:
            entry[key] = value
        elif field.type is FieldType.REPEAT and isinstance(value, list):
            entry[column_name(field)] = [_entry(form, (*chain, key), v) for v in value]
        else:
            entry[column_name(field)] = value
    return entry


def location(record: ExportRecord, identifying: bool) -> tuple[str, float, float] | None:
    """The record's first geopoint answer with valid WGS84 coordinates: (field, lat, lon)."""
    for field in scope_fields(record.form, identifying):
        if field.type is not FieldType.GEOPOINT:
            continue
        value = record.answers.get(field.name)
        if not isinstance(value, dict):
            continue
        lat, lon = _number(value.get("lat")), _number(value.get("lon"))
        if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
            return column_name(field), float(lat), float(lon)
    return None


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in _DIGITS.split(version) if part
    )
