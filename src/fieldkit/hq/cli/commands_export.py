"""``fieldkit-hq export`` and ``fieldkit-hq codebook``: parse, call the use case, report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from fieldkit.console import confirm
from fieldkit.hq.analysis.filters import REVIEW_STATUSES, Filters
from fieldkit.hq.cli.context import HqContext
from fieldkit.hq.errors import ConflictError
from fieldkit.hq.export import ExportFormat, ExportOptions, ExportResult, export_records
from fieldkit.hq.exports.codebook import write_codebook
from fieldkit.hq.exports.vocabularies import LABEL_LANGUAGES
from fieldkit.i18n import _, ngettext


def register(commands: Any) -> None:
    p = commands.add_parser(
        "export", help=_("write records as XLSX, CSV, GeoJSON or JSON Lines, or as tables")
    )
    p.add_argument(
        "--format",
        required=True,
        choices=[f.value for f in ExportFormat],
        dest="export_format",
        help=_(
            "XLSX (a sheet per form), CSV (one form), GeoJSON (records with a location that "
            "may be shown) or JSON Lines"
        ),
    )
    p.add_argument(
        "--out", required=True, type=Path, metavar="FILE", help=_("the file to write (replaced)")
    )
    p.add_argument(
        "--tables",
        action="store_true",
        help=_(
            "the analysis tables, one per repeat group, a label beside each code: sheets of "
            "a workbook (xlsx) or CSV files in a zip (csv)"
        ),
    )
    p.add_argument(
        "--labels",
        choices=LABEL_LANGUAGES,
        default="en",
        help=_("the language of the labels beside codes with --tables (default: en)"),
    )
    p.add_argument(
        "--from",
        dest="date_from",
        metavar="DATE",
        help=_("records that may have happened on or after DATE: 2026, 2026-Q1, 2026-03 or a day"),
    )
    p.add_argument(
        "--to",
        dest="date_to",
        metavar="DATE",
        help=_("records that may have happened on or before DATE (the end of a year, quarter..)"),
    )
    p.add_argument("--country", metavar="CC", help=_("only this country (MLI or ML)"))
    p.add_argument(
        "--admin1", metavar="CODE", help=_("only this first-level place (ISO 3166-2: ML-7)")
    )
    p.add_argument("--form", metavar="ID", help=_("only records of this form"))
    p.add_argument(
        "--review",
        metavar="STATUS",
        help=_("only records of this review status: {statuses}").format(
            statuses=", ".join(REVIEW_STATUSES)
        ),
    )
    p.add_argument(
        "--attachments",
        type=Path,
        metavar="DIR",
        help=_("also copy the records' files, decrypted, into DIR (needs --include-identifying)"),
    )
    p.add_argument(
        "--include-identifying",
        action="store_true",
        help=_(
            "add identifying answers (names, contacts...), a victim's only with consent to be "
            "named: needs the passphrase"
        ),
    )
    p.add_argument(
        "--yes", action="store_true", help=_("confirm --include-identifying without asking")
    )
    p.add_argument(
        "--all-revisions", action="store_true", help=_("every revision, not only the newest")
    )
    p.set_defaults(handler=cmd_export)

    p = commands.add_parser(
        "codebook", help=_("every field, code and label of the forms held, with sensitivity")
    )
    p.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="FILE",
        help=_("FILE.xlsx, FILE.csv or FILE.md (replaced)"),
    )
    p.set_defaults(handler=cmd_codebook)


def cmd_export(ctx: HqContext) -> int:
    args = ctx.args
    filters = Filters.parse(
        date_from=args.date_from,
        date_to=args.date_to,
        country=args.country,
        admin1=args.admin1,
        form_id=args.form,
        review=args.review,
    )
    repository = ctx.repository()
    identity = None
    if args.include_identifying:
        question = _(
            "The export will hold identifying answers (names, contacts, sources) in clear. "
            "Write it?"
        )
        if not (args.yes or confirm(question)):
            raise ConflictError(
                _(
                    "Exporting identifying answers needs a confirmation: answer yes on a "
                    "terminal, or add --yes. Nothing was written."
                )
            )
        identity = ctx.keys().ingest_identity
    options = ExportOptions(
        filters=filters,
        tables=args.tables,
        labels=args.labels,
        identity=identity,
        attachments=args.attachments,
        stored_attachments=ctx.paths.attachments,
        all_revisions=args.all_revisions,
    )
    result = export_records(repository, args.out, ExportFormat(args.export_format), options=options)
    _report(result)
    return 0


def _report(result: ExportResult) -> None:
    if result.tables:
        print(
            _("Tables written to {path}: {counts}.").format(
                path=result.path,
                counts=", ".join(f"{name} {count}" for name, count in result.tables.items()),
            )
        )
    else:
        print(
            ngettext(
                "{n} record written to {path}.", "{n} records written to {path}.", result.records
            ).format(n=result.records, path=result.path)
        )
    if result.uncertain:
        print(
            ngettext(
                "{n} record may lie partly outside the period (meta.uncertain).",
                "{n} records may lie partly outside the period (meta.uncertain).",
                result.uncertain,
            ).format(n=result.uncertain)
        )
    if result.without_location:
        print(
            ngettext(
                "{n} record has no location that may be shown and is not in the GeoJSON file.",
                "{n} records have no location that may be shown and are not in the GeoJSON file.",
                result.without_location,
            ).format(n=result.without_location)
        )
    if result.attachments_copied or result.attachments_present:
        print(
            _("Attachments: {copied} copied, {present} already there.").format(
                copied=result.attachments_copied, present=result.attachments_present
            )
        )
    if result.identifying:
        print(
            _(
                "This file holds identifying answers: keep it encrypted, and share it only with "
                "people who need the names."
            ),
            file=sys.stderr,
        )


def cmd_codebook(ctx: HqContext) -> int:
    result = write_codebook(ctx.repository(), ctx.args.out)
    print(
        ngettext(
            "Codebook of {n} form version written to {path}.",
            "Codebook of {n} form versions written to {path}.",
            result.forms,
        ).format(n=result.forms, path=result.path)
    )
    return 0
