"""Analysis tables (rebuild), first-level places (unmatched, settle) and the database's
read-only role: each command parses its arguments and calls a use case of
:mod:`fieldkit.hq.analysis`."""

from __future__ import annotations

import getpass
from typing import Any

from fieldkit.console import emit_json, table
from fieldkit.hq.analysis.places import settle_place, unmatched_places
from fieldkit.hq.analysis.rebuild import rebuild
from fieldkit.hq.analysis.views import grant_readonly
from fieldkit.hq.cli.context import HqContext
from fieldkit.i18n import _, ngettext


def register(commands: Any) -> None:
    p = commands.add_parser("analysis", help=_("the analysis tables of the records"))
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    builder = sub.add_parser(
        "rebuild", help=_("make the analysis tables again from every record's newest revision")
    )
    builder.set_defaults(handler=cmd_analysis_rebuild)

    p = commands.add_parser("places", help=_("regions typed as text in older records"))
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    lister = sub.add_parser("unmatched", help=_("typed regions no ISO 3166-2 code matched"))
    lister.add_argument("--json", action="store_true", help=_("print JSON"))
    lister.set_defaults(handler=cmd_places_unmatched)
    settler = sub.add_parser(
        "settle", help=_("give a typed region its ISO 3166-2 code, in every record at once")
    )
    settler.add_argument("country", metavar="COUNTRY", help=_("the country's code, such as MLI"))
    settler.add_argument(
        "text", metavar="TEXT", help=_("the region as records spell it (as listed by unmatched)")
    )
    settler.add_argument("code", metavar="CODE", help=_("its ISO 3166-2 code, such as ML-7"))
    settler.add_argument(
        "--by", metavar="NAME", help=_("who settles it (default: your login name)")
    )
    settler.set_defaults(handler=cmd_places_settle)

    p = commands.add_parser("db", help=_("the repository database"))
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    granter = sub.add_parser(
        "grant-readonly",
        help=_("let a PostgreSQL role read the fk_* analysis views, and nothing else"),
    )
    granter.add_argument("role", metavar="ROLE", help=_("an existing PostgreSQL role"))
    granter.set_defaults(handler=cmd_db_grant_readonly)


def cmd_analysis_rebuild(ctx: HqContext) -> int:
    report = rebuild(ctx.repository())
    print(
        ngettext(
            "Analysis tables rebuilt: {n} record read, {written} written.",
            "Analysis tables rebuilt: {n} records read, {written} written.",
            report.records,
        ).format(n=report.records, written=report.written)
    )
    return 0


def cmd_places_unmatched(ctx: HqContext) -> int:
    places = unmatched_places(ctx.repository())
    if ctx.args.json:
        emit_json([{"country": p.country, "text": p.text, "records": p.records} for p in places])
        return 0
    if not places:
        print(_("No unmatched places: every region typed in a record has its ISO 3166-2 code."))
        return 0
    table([_("COUNTRY"), _("TEXT"), _("RECORDS")], [(p.country, p.text, p.records) for p in places])
    return 0


def cmd_places_settle(ctx: HqContext) -> int:
    args = ctx.args
    actor = args.by if args.by is not None else _login_name()
    settled = settle_place(ctx.repository(), args.country, args.text, args.code, actor)
    print(
        ngettext(
            "'{text}' in {country} settled as {code}: {n} record updated.",
            "'{text}' in {country} settled as {code}: {n} records updated.",
            settled.records,
        ).format(text=settled.text, country=settled.country, code=settled.code, n=settled.records)
    )
    return 0


def cmd_db_grant_readonly(ctx: HqContext) -> int:
    grant = grant_readonly(ctx.repository(), ctx.args.role)
    print(
        _("Role {role} may read {views} in schema {schema}, and nothing else there.").format(
            role=grant.role, views=", ".join(grant.views), schema=grant.schema
        )
    )
    return 0


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""
