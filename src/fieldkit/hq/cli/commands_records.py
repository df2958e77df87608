"""Records at HQ: list them (ids and metadata, never answers); exports are in commands_export."""

from __future__ import annotations

from typing import Any

from fieldkit.console import emit_json, table
from fieldkit.hq.cli.context import HqContext
from fieldkit.hq.records import check_form_id
from fieldkit.i18n import _


def register(commands: Any) -> None:
    p = commands.add_parser("records", help=_("records held at headquarters"))
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    lister = sub.add_parser("list", help=_("each record's newest revision (no answers)"))
    lister.add_argument("--form", metavar="ID", help=_("only records of this form"))
    lister.add_argument("--json", action="store_true", help=_("print JSON"))
    lister.set_defaults(handler=cmd_records_list)


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
