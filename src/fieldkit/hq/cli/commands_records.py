"""Records at HQ: list them (ids and metadata, never answers) and export them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from fieldkit.console import confirm, emit_json, table
from fieldkit.hq.cli.context import HqContext
from fieldkit.hq.errors import ConflictError
from fieldkit.hq.export import ExportFormat, export_records
from fieldkit.hq.records import check_form_id
from fieldkit.i18n import _, ngettext


def register(commands: Any) -> None:
    p = commands.add_parser("records", help=_("records held at headquarters"))
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    lister = sub.add_parser("list", help=_("each record's newest revision (no answers)"))
    lister.add_argument("--form", metavar="ID", help=_("only records of this form"))
    lister.add_argument("--json", action="store_true", help=_("print JSON"))
    lister.set_defaults(handler=cmd_records_list)

    p = commands.add_parser("export", help=_("write records as CSV, GeoJSON or JSON Lines"))
    p.add_argument(
        "--format",
        required=True,
        choices=[f.value for f in ExportFormat],
        dest="export_format",
        help=_("CSV (one form), GeoJSON (records with a location) or JSON Lines"),
    )
    p.add_argument(
        "--out", required=True, type=Path, metavar="FILE", help=_("the file to write (replaced)")
    )
    p.add_argument("--form", metavar="ID", help=_("only records of this form"))
    p.add_argument(
        "--include-identifying",
        action="store_true",
        help=_("add identifying answers (names, contacts...): needs the passphrase"),
    )
    p.add_argument(
        "--yes", action="store_true", help=_("confirm --include-identifying without asking")
    )
    p.add_argument(
        "--all-revisions", action="store_true", help=_("every revision, not only the newest")
    )
    p.set_defaults(handler=cmd_export)


def cmd_records_list(ctx: HqContext) -> int:
    repository = ctx.repository()
    if ctx.args.form:
        check_form_id(repository, ctx.args.form)
    summaries = repository.records(ctx.args.form)
    if ctx.args.json:
        emit_json(
            [
                {
                    "record_id": s.record_id,
                    "revisions": s.revisions,
                    "revision": s.latest.number,
                    "form_id": s.latest.form_id,
                    "form_version": s.latest.form_version,
                    "device": s.latest.device_key_id,
                    "sealed_at": s.latest.sealed_at,
                    "sha256": s.latest.sha256,
                }
                for s in summaries
            ]
        )
        return 0
    table(
        [_("RECORD"), _("FORM"), _("VERSION"), _("REVISIONS"), _("SEALED AT"), _("DEVICE")],
        [
            (
                s.record_id,
                s.latest.form_id,
                s.latest.form_version,
                s.revisions,
                s.latest.sealed_at,
                s.latest.device_key_id[:12],
            )
            for s in summaries
        ],
    )
    return 0


def cmd_export(ctx: HqContext) -> int:
    args = ctx.args
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
    result = export_records(
        repository,
        args.out,
        ExportFormat(args.export_format),
        form_id=args.form,
        identity=identity,
        all_revisions=args.all_revisions,
    )
    print(
        ngettext(
            "{n} record written to {path}.", "{n} records written to {path}.", result.records
        ).format(n=result.records, path=result.path)
    )
    if result.without_location:
        print(
            ngettext(
                "{n} record has no location and is not in the GeoJSON file.",
                "{n} records have no location and are not in the GeoJSON file.",
                result.without_location,
            ).format(n=result.without_location)
        )
    if result.identifying:
        print(
            _(
                "This file holds identifying answers: keep it encrypted, and share it only with "
                "people who need the names."
            ),
            file=sys.stderr,
        )
    return 0
