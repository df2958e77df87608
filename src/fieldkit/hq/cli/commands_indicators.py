"""``fieldkit-hq indicators list|show``: parse, call :mod:`fieldkit.hq.indicators.service`,
print."""

from __future__ import annotations

import sys
from typing import Any

from fieldkit.console import emit_json, table
from fieldkit.hq.cli.context import HqContext
from fieldkit.hq.indicators import disclosure, render, service
from fieldkit.hq.indicators.model import INTERNAL, NEXUS_DAYS, NEXUS_KM, TIERS
from fieldkit.i18n import _


def register(commands: Any) -> None:
    p = commands.add_parser("indicators", help=_("SDG 16.10.1, illicit markets, data quality"))
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    lister = sub.add_parser("list", help=_("every indicator, its source and dimensions"))
    lister.add_argument("--json", action="store_true", help=_("print JSON"))
    lister.set_defaults(handler=cmd_list)
    shower = sub.add_parser("show", help=_("compute one indicator"))
    shower.add_argument("indicator", metavar="ID", help=_("an indicator id (indicators list)"))
    shower.add_argument(
        "--period", metavar="PERIOD", help=_("2026, 2026-Q1 or 2026-03 (default: this year)")
    )
    shower.add_argument("--by", metavar="DIM,...", help=_("break down by these dimensions"))
    shower.add_argument("--country", metavar="CC", help=_("only this country (MLI or ML)"))
    shower.add_argument(
        "--admin1", metavar="CODE", help=_("only this first-level place (ISO 3166-2: ML-7)")
    )
    shower.add_argument(
        "--tier",
        choices=TIERS,
        default=INTERNAL,
        help=_("internal: exact; release: small counts withheld (default: internal)"),
    )
    shower.add_argument(
        "--min-cell",
        type=int,
        default=disclosure.DEFAULT_MIN_CELL,
        metavar="K",
        help=_("release: counts below K are withheld (default: 5, at least 3)"),
    )
    shower.add_argument(
        "--km", type=float, default=NEXUS_KM, help=_("violence-nexus: distance (default: 25)")
    )
    shower.add_argument(
        "--days", type=int, default=NEXUS_DAYS, help=_("violence-nexus: days apart (default: 30)")
    )
    shower.add_argument(
        "--format",
        choices=render.FORMATS,
        default="table",
        dest="output_format",
        help=_("table, csv or json (default: table)"),
    )
    shower.set_defaults(handler=cmd_show)


def cmd_list(ctx: HqContext) -> int:
    found = service.list_indicators()
    if ctx.args.json:
        emit_json(render.listing(found))
        return 0
    table(
        [_("ID"), _("TITLE"), _("DIMENSIONS")],
        [(i.id, _(i.title), ",".join(i.dimensions) or "-") for i in found],
    )
    return 0


def cmd_show(ctx: HqContext) -> int:
    args = ctx.args
    output = service.show_indicator(
        ctx.repository(),
        args.indicator,
        period=args.period,
        by=args.by,
        country=args.country,
        admin1=args.admin1,
        tier=args.tier,
        min_cell=args.min_cell,
        distance_km=args.km,
        days=args.days,
    )
    if args.output_format == "json":
        emit_json(render.as_json(output))
    elif args.output_format == "csv":
        sys.stdout.write(render.as_csv(output))
    else:
        sys.stdout.write(render.as_table(output))
    return 0
