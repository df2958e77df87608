"""Exports: CSV, GeoJSON and JSON Lines of the records HQ holds, honouring sensitivity labels.

Each export holds the newest revision of each record (every revision with ``all_revisions``),
each read with the form version it was filled in with. Identifying answers are in an export
only when HQ's identity is given to unseal them (``fieldkit-hq export --include-identifying``);
otherwise their fields are absent altogether, not blanked.

- **CSV** (one form per file): a header of column names, then a row per record, in the layout of
  :mod:`fieldkit.hq.records` (lists as space-separated codes or hashes, repeat groups as JSON).
  A text cell that a spreadsheet would run as a formula is prefixed with an apostrophe: one that
  starts with a tab or a carriage return, or whose first visible character (after any spaces,
  line breaks, control and zero-width characters) is ``= + - @`` or a full-width or small form
  of one of them (``＝ ＋ － ＠``).
- **GeoJSON**: a FeatureCollection with a Point feature per record that has a location (its
  first geopoint answer), the same columns as properties, as JSON values.
- **JSON Lines**: one object per record with its metadata and the whole answers tree (and,
  with identifying answers, the hashes of all its attachments).

Files are written atomically (temporary name, fsync, rename): a failed export leaves no file
and the previous one, if any, untouched. UTF-8, owner-only permissions.
"""

from __future__ import annotations

import csv
import json
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

from fieldkit.files import atomic_writer
from fieldkit.hq.errors import InvalidInputError, NotFoundError
from fieldkit.hq.records import (
    ExportRecord,
    FormCache,
    check_form_id,
    columns,
    flatten,
    form_ids,
    iter_records,
    location,
)
from fieldkit.hq.repository.base import Repository
from fieldkit.i18n import _

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_INVISIBLE = frozenset(("Zs", "Zl", "Zp", "Cc", "Cf"))
"""Character categories a spreadsheet may skip before a formula: spaces, line breaks, control
and format (zero-width) characters."""


def runs_as_formula(text: str) -> bool:
    """Whether a spreadsheet might run ``text`` as a formula."""
    if text.startswith(FORMULA_STARTS):
        return True
    for ch in text:
        if ch.isspace() or unicodedata.category(ch) in _INVISIBLE:
            continue
        return unicodedata.normalize("NFKC", ch) in FORMULA_STARTS  # ＝ ＋ － ＠ ﹦ ﹢ ﹣ ﹫
    return False


class ExportFormat(StrEnum):
    CSV = "csv"
    GEOJSON = "geojson"
    JSONL = "jsonl"


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: ExportFormat
    records: int
    """Rows, features or lines written."""
    without_location: int
    """GeoJSON: records left out because they have no location."""
    identifying: bool


def export_records(
    repository: Repository,
    destination: Path,
    export_format: ExportFormat,
    *,
    form_id: str | None = None,
    identity: str | None = None,
    all_revisions: bool = False,
) -> ExportResult:
    """Write an export to ``destination``; ``identity`` (HQ's age identity) adds identifying
    answers. Raises a FieldkitError before writing anything when the request cannot be met."""
    _check_destination(destination)
    if form_id is not None:
        check_form_id(repository, form_id)
    forms = FormCache(repository)
    if export_format is ExportFormat.CSV and form_id is None:
        form_id = _only_form(repository)
    identifying = identity is not None
    records = iter_records(
        repository, forms, form_id=form_id, identity=identity, all_revisions=all_revisions
    )
    with atomic_writer(destination) as out:
        if export_format is ExportFormat.CSV:
            assert form_id is not None  # noqa: S101 - chosen above
            header = columns(forms.versions(form_id), identifying)
            written, skipped = _write_csv(out, header, records, identifying), 0
        elif export_format is ExportFormat.GEOJSON:
            written, skipped = _write_geojson(out, records, identifying)
        else:
            written, skipped = _write_jsonl(out, records, identifying), 0
    return ExportResult(destination, export_format, written, skipped, identifying)


def _check_destination(destination: Path) -> None:
    if destination.is_dir():
        raise InvalidInputError(
            _("{path} is a folder; name the file to write with --out.").format(path=destination)
        )
    if not destination.parent.is_dir():
        raise NotFoundError(_("{path}: its folder does not exist.").format(path=destination))


def _only_form(repository: Repository) -> str:
    known = form_ids(repository)
    if len(known) == 1:
        return known[0]
    if not known:
        raise NotFoundError(_("Headquarters holds no records yet: nothing to export."))
    raise InvalidInputError(
        _("A CSV file holds one form: name it with --form ({forms}).").format(
            forms=", ".join(known)
        )
    )


# -- CSV --------------------------------------------------------------------------------------


class _Utf8:
    """A text sink over the binary file that ``csv`` writes into."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out

    def write(self, text: str) -> int:
        return self._out.write(text.encode("utf-8"))


def csv_cell(value: Any) -> str:
    """One CSV cell: numbers as JSON writes them, text guarded against formula injection, lists
    of text space-separated, anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        text = " ".join(value)
    elif isinstance(value, str):
        text = value
    else:
        text = _json(value)
    return "'" + text if runs_as_formula(text) else text


def _write_csv(
    out: BinaryIO, header: list[str], records: Iterator[ExportRecord], identifying: bool
) -> int:
    writer = csv.writer(_Utf8(out), lineterminator="\r\n")
    writer.writerow([csv_cell(name) for name in header])
    count = 0
    for record in records:
        row = flatten(record, identifying)
        writer.writerow([csv_cell(row.get(name)) for name in header])
        count += 1
    return count


# -- GeoJSON and JSON Lines -------------------------------------------------------------------


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _write_geojson(
    out: BinaryIO, records: Iterator[ExportRecord], identifying: bool
) -> tuple[int, int]:
    out.write(b'{"type":"FeatureCollection","features":[\n')
    count = skipped = 0
    for record in records:
        where = location(record, identifying)
        if where is None:
            skipped += 1
            continue
        field, lat, lon = where
        properties = flatten(record, identifying)
        properties["meta.location_field"] = field
        feature = {
            "type": "Feature",
            "id": record.revision.record_id,
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": properties,
        }
        out.write((",\n" if count else "").encode() + _json(feature).encode("utf-8"))
        count += 1
    out.write(b"\n]}\n")
    return count, skipped


def _write_jsonl(out: BinaryIO, records: Iterator[ExportRecord], identifying: bool) -> int:
    count = 0
    for record in records:
        revision = record.revision
        line = {
            "record_id": revision.record_id,
            "revision": revision.number,
            "form": {
                "id": revision.form_id,
                "version": revision.form_version,
                "sha256": revision.form_sha256,
            },
            "device": revision.device_key_id,
            "sealed_at": revision.sealed_at,
            "sha256": revision.sha256,
            "previous": revision.previous,
            "answers": record.answers,
        }
        if identifying:  # hashes of every file, identifying ones included
            line["attachments"] = list(revision.attachments)
        out.write(_json(line).encode("utf-8") + b"\n")
        count += 1
    return count
