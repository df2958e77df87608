"""Exports: XLSX, CSV, GeoJSON and JSON Lines of the records HQ holds, honouring sensitivity
labels and consent.

Each export holds the newest revision of each selected record (every revision with
``all_revisions``), each read with the form version it was filled in with. Identifying answers
are in an export only when HQ's identity is given to unseal them (``fieldkit-hq export
--include-identifying``); otherwise their fields are absent altogether, not blanked. Even then a
victim's identifying answers (name, contact, photo) are there only when that victim's consent
scope includes ``publish_named`` (:mod:`fieldkit.hq.exports.selection`).

Records are selected with :class:`~fieldkit.hq.analysis.filters.Filters` (period, country,
first-level place, form, review status); with a period, ``meta.uncertain`` says whether a record
with a partial date or a span may lie partly outside it.

- **CSV** (one form per file): a header of column names, then a row per record, in the layout of
  :mod:`fieldkit.hq.records` (lists as space-separated codes or hashes, repeat groups as JSON).
  Cells are guarded against formula injection (:mod:`fieldkit.hq.exports.cells`).
- **XLSX**: the same rows, one worksheet per form, guarded the same way.
- **GeoJSON**: a FeatureCollection with a Point feature per record that has a location (its
  first geopoint answer) that may be shown as a point: not when the record's ``geo_precision``
  is 4 (only the region is known). The same columns as properties, as JSON values.
- **JSON Lines**: one object per record with its metadata and the whole answers tree (and,
  with identifying answers, the hashes of its attachments).
- **Tables** (``tables=True``, XLSX or CSV): the analysis tables, one per repeat group, with a
  label beside each code (:mod:`fieldkit.hq.exports.tables`); CSV files in a zip.

Files are written atomically (temporary name, fsync, rename): a failed export leaves no file
and the previous one, if any, untouched. UTF-8, owner-only permissions. Rows are streamed from
the repository: memory does not grow with the number of records (``benchmarks/bench_export.py``).
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO

from fieldkit.files import atomic_writer
from fieldkit.hq.analysis.filters import Filters
from fieldkit.hq.errors import InvalidInputError, NotFoundError
from fieldkit.hq.exports.attachments import (
    CopyResult,
    FileRef,
    check_folder,
    copy_attachments,
    file_refs,
)
from fieldkit.hq.exports.cells import csv_cell, runs_as_formula, to_json
from fieldkit.hq.exports.selection import Selected, engine_of, needs_analysis, select_records
from fieldkit.hq.exports.tables import TableExport, TableReader
from fieldkit.hq.exports.vocabularies import check_language
from fieldkit.hq.exports.xlsx import XlsxWriter
from fieldkit.hq.records import FormCache, check_form_id, columns, flatten, form_ids, location
from fieldkit.hq.repository.base import Repository
from fieldkit.i18n import _

UNCERTAIN_COLUMN = "meta.uncertain"
GEO_PRECISION_FIELD = "geo_precision"
REGION_ONLY = "4"
"""``geo_precision`` 4: only the first-level region is known; no point may be drawn."""


class ExportFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"
    GEOJSON = "geojson"
    JSONL = "jsonl"


@dataclass(frozen=True)
class ExportResult:
    path: Path
    format: ExportFormat
    records: int
    """Rows, features or lines written (with tables: rows of the records table)."""
    without_location: int
    """GeoJSON: records left out because they have no location that may be shown."""
    identifying: bool
    uncertain: int = 0
    """Records that may lie partly outside the period asked for."""
    tables: dict[str, int] = field(default_factory=dict)
    """With tables: rows written per table."""
    attachments_copied: int = 0
    attachments_present: int = 0


@dataclass(frozen=True)
class ExportOptions:
    """What to export besides the format (everything optional)."""

    filters: Filters = field(default_factory=Filters)
    tables: bool = False
    labels: str = "en"
    identity: str | None = None
    """HQ's age identity: adds identifying answers (consent permitting)."""
    attachments: Path | None = None
    """A folder to copy the selected records' attachments into (needs ``identity``)."""
    stored_attachments: Path | None = None
    """HQ's attachments folder (``HqPaths.attachments``), where they are copied from."""
    all_revisions: bool = False


def export_records(
    repository: Repository,
    destination: Path,
    export_format: ExportFormat,
    *,
    form_id: str | None = None,
    identity: str | None = None,
    all_revisions: bool = False,
    options: ExportOptions | None = None,
) -> ExportResult:
    """Write an export to ``destination``; ``identity`` (HQ's age identity) adds identifying
    answers. Raises a FieldkitError before writing anything when the request cannot be met."""
    options = options or ExportOptions()
    if identity is not None:
        options = replace(options, identity=identity)
    if all_revisions:
        options = replace(options, all_revisions=True)
    if form_id is not None:
        options = replace(options, filters=replace(options.filters, form_id=form_id))
    _check(repository, destination, export_format, options)
    files: dict[str, FileRef] | None = None
    if options.tables:
        result = _export_tables(repository, destination, export_format, options)
    else:
        result, files = _export_records(repository, destination, export_format, options)
    if options.attachments is None:
        return result
    copied = _copy_files(repository, options, files)
    return replace(result, attachments_copied=copied.copied, attachments_present=copied.present)


def _check(
    repository: Repository, destination: Path, export_format: ExportFormat, options: ExportOptions
) -> None:
    _check_destination(destination)
    check_language(options.labels)
    if options.filters.form_id is not None:
        check_form_id(repository, options.filters.form_id)
    if options.tables and export_format not in (ExportFormat.XLSX, ExportFormat.CSV):
        raise InvalidInputError(
            _("--tables writes a workbook or CSV files: use --format xlsx or --format csv.")
        )
    if options.tables and options.all_revisions:
        raise InvalidInputError(
            _("--tables holds each record's newest revision: leave out --all-revisions.")
        )
    if options.tables or needs_analysis(options.filters):
        engine_of(repository)
    if options.attachments is not None:
        if options.identity is None:
            raise InvalidInputError(
                _(
                    "Attachments identify people: --attachments needs --include-identifying. "
                    "Nothing was written."
                )
            )
        if options.stored_attachments is None:
            raise InvalidInputError(_("The headquarters folder holding attachments is unknown."))
        check_folder(options.attachments)


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


# -- records, one row each ----------------------------------------------------------------------


class _Pass:
    """One pass over the selected records: counts, and the files they refer to."""

    def __init__(self, options: ExportOptions) -> None:
        self.identifying = options.identity is not None
        self.dated = options.filters.dated
        self.collect = options.attachments is not None
        self.uncertain = 0
        self.files: dict[str, FileRef] = {}

    def each(self, selected: Iterable[Selected]) -> Iterator[Selected]:
        for item in selected:
            if item.uncertain:
                self.uncertain += 1
            if self.collect:
                for ref in file_refs(item.record.form, item.record.answers):
                    self.files.setdefault(ref.sha256, ref)
            yield item

    def row(self, item: Selected) -> dict[str, Any]:
        row = flatten(item.record, self.identifying)
        if self.dated:
            row[UNCERTAIN_COLUMN] = item.uncertain
        return row

    def header(self, names: list[str]) -> list[str]:
        if not self.dated:
            return names
        at = names.index("meta.sha256") + 1
        return [*names[:at], UNCERTAIN_COLUMN, *names[at:]]


def _export_records(
    repository: Repository, destination: Path, export_format: ExportFormat, options: ExportOptions
) -> tuple[ExportResult, dict[str, FileRef]]:
    """The export, and the files its records refer to (when attachments are asked for)."""
    filters = options.filters
    forms = FormCache(repository)
    if export_format is ExportFormat.CSV and filters.form_id is None:
        filters = replace(filters, form_id=_only_form(repository))
    state = _Pass(options)
    selected = state.each(
        select_records(
            repository,
            forms,
            filters,
            identity=options.identity,
            all_revisions=options.all_revisions,
        )
    )
    writers: dict[ExportFormat, Callable[..., tuple[int, int]]] = {
        ExportFormat.CSV: _write_csv,
        ExportFormat.XLSX: _write_xlsx,
        ExportFormat.GEOJSON: _write_geojson,
        ExportFormat.JSONL: _write_jsonl,
    }
    with atomic_writer(destination) as out:
        written, skipped = writers[export_format](
            out, selected, state, repository=repository, forms=forms, filters=filters
        )
    result = ExportResult(
        destination, export_format, written, skipped, state.identifying, uncertain=state.uncertain
    )
    return result, state.files


class _Utf8:
    """A text sink over the binary file that ``csv`` writes into."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out

    def write(self, text: str) -> int:
        return self._out.write(text.encode("utf-8"))


def _write_csv(
    out: BinaryIO, selected: Iterator[Selected], state: _Pass, **context: Any
) -> tuple[int, int]:
    form_id = context["filters"].form_id
    header = state.header(columns(context["forms"].versions(form_id), state.identifying))
    writer = csv.writer(_Utf8(out), lineterminator="\r\n")
    writer.writerow([csv_cell(name) for name in header])
    count = 0
    for item in selected:
        row = state.row(item)
        writer.writerow([csv_cell(row.get(name)) for name in header])
        count += 1
    return count, 0


def _write_xlsx(
    out: BinaryIO, selected: Iterator[Selected], state: _Pass, **context: Any
) -> tuple[int, int]:
    """One worksheet per form, rows appended to their form's sheet as they come."""
    forms: FormCache = context["forms"]
    form_id = context["filters"].form_id
    with XlsxWriter() as book:
        sheets = {}
        for known in [form_id] if form_id else form_ids(context["repository"]):
            header = state.header(columns(forms.versions(known), state.identifying))
            sheets[known] = (book.add(known, header), header)
        count = 0
        for item in selected:
            sheet, header = sheets[item.record.revision.form_id]
            row = state.row(item)
            sheet.append([row.get(name) for name in header])
            count += 1
        book.save(out)
    return count, 0


def _point_allowed(item: Selected) -> bool:
    precision = item.record.answers.get(GEO_PRECISION_FIELD)
    if isinstance(precision, int | str) and not isinstance(precision, bool):
        return str(precision).rsplit(":", 1)[-1] != REGION_ONLY
    return True


def _write_geojson(
    out: BinaryIO, selected: Iterator[Selected], state: _Pass, **_context: Any
) -> tuple[int, int]:
    out.write(b'{"type":"FeatureCollection","features":[\n')
    count = skipped = 0
    for item in selected:
        where = location(item.record, state.identifying) if _point_allowed(item) else None
        if where is None:
            skipped += 1
            continue
        name, lat, lon = where
        properties = state.row(item)
        properties["meta.location_field"] = name
        feature = {
            "type": "Feature",
            "id": item.record.revision.record_id,
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": properties,
        }
        out.write((",\n" if count else "").encode() + to_json(feature).encode("utf-8"))
        count += 1
    out.write(b"\n]}\n")
    return count, skipped


def _write_jsonl(
    out: BinaryIO, selected: Iterator[Selected], state: _Pass, **_context: Any
) -> tuple[int, int]:
    count = 0
    for item in selected:
        revision = item.record.revision
        line: dict[str, Any] = {
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
            "answers": item.record.answers,
        }
        if state.dated:
            line["uncertain"] = item.uncertain
        if state.identifying:  # hashes of the files the (consented) answers refer to
            line["attachments"] = sorted(
                {ref.sha256 for ref in file_refs(item.record.form, item.record.answers)}
            )
        out.write(to_json(line).encode("utf-8") + b"\n")
        count += 1
    return count, 0


# -- tables ----------------------------------------------------------------------------------


def _export_tables(
    repository: Repository, destination: Path, export_format: ExportFormat, options: ExportOptions
) -> ExportResult:
    reader = TableReader(
        repository, engine_of(repository), options.filters, options.labels, options.identity
    )
    counts: dict[str, int] = {}
    with atomic_writer(destination) as out:
        if export_format is ExportFormat.XLSX:
            with XlsxWriter() as book:
                for table in reader.tables():
                    counts[table.name] = book.sheet(table.name, table.header, table.rows)
                book.save(out)
        else:
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
                for table in reader.tables():
                    counts[table.name] = _zip_csv(archive, table)
    return ExportResult(
        destination,
        export_format,
        counts.get("records", 0),
        0,
        options.identity is not None,
        tables=counts,
    )


def _zip_csv(archive: zipfile.ZipFile, table: TableExport) -> int:
    with archive.open(f"{table.name}.csv", "w", force_zip64=True) as member:
        writer = csv.writer(_Utf8(member), lineterminator="\r\n")  # type: ignore[arg-type]
        writer.writerow([csv_cell(name) for name in table.header])
        count = 0
        for row in table.rows:
            writer.writerow([csv_cell(value) for value in row])
            count += 1
    return count


# -- attachments -----------------------------------------------------------------------------


def _copy_files(
    repository: Repository, options: ExportOptions, refs: dict[str, FileRef] | None
) -> CopyResult:
    assert options.identity is not None and options.attachments is not None  # noqa: S101
    assert options.stored_attachments is not None  # noqa: S101 - checked before writing
    if refs is None:  # tables: the records' answers were not read; read them now
        state = _Pass(options)
        for _item in state.each(
            select_records(
                repository, FormCache(repository), options.filters, identity=options.identity
            )
        ):
            pass
        refs = state.files
    return copy_attachments(
        options.stored_attachments, options.identity, refs.values(), options.attachments
    )


__all__ = [
    "ExportFormat",
    "ExportOptions",
    "ExportResult",
    "csv_cell",
    "export_records",
    "runs_as_formula",
]
