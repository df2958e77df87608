"""``victims index|matches|link|unlink``: counting each victim once."""

from __future__ import annotations

from typing import Any

from fieldkit.console import emit_json, table
from fieldkit.hq import victims
from fieldkit.hq.cli.commands_review import add_by, default_actor
from fieldkit.hq.cli.context import HqContext
from fieldkit.i18n import _


def register(commands: Any) -> None:
    p = commands.add_parser("victims", help=_("the same victim in several records"))
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    indexer = sub.add_parser(
        "index",
        help=_("hash the victims' names of every record again (needs the passphrase)"),
    )
    add_by(indexer)
    indexer.set_defaults(handler=cmd_victims_index)
    finder = sub.add_parser(
        "matches", help=_("pairs of victims whose names match, not yet decided on")
    )
    finder.add_argument("--json", action="store_true", help=_("print JSON"))
    finder.set_defaults(handler=cmd_victims_matches)
    for name, handler, text in (
        ("link", cmd_victims_link, _("record that two victims are the same person")),
        ("unlink", cmd_victims_unlink, _("record that two victims are different persons")),
    ):
        decider = sub.add_parser(name, help=text)
        decider.add_argument("a", metavar="A", help=_("a victim id (RECORD_ID.N)"))
        decider.add_argument("b", metavar="B", help=_("another victim id (RECORD_ID.N)"))
        add_by(decider)
        decider.set_defaults(handler=handler)


def cmd_victims_index(ctx: HqContext) -> int:
    repository = ctx.repository()
    report = victims.index(repository, ctx.keys(), actor=ctx.args.by or default_actor())
    print(
        _("{records} records read; {victims} named victims hashed.").format(
            records=report.records, victims=report.victims
        )
    )
    return 0


def cmd_victims_matches(ctx: HqContext) -> int:
    found = victims.matches(ctx.repository())
    if ctx.args.json:
        emit_json([c.to_json() for c in found])
        return 0
    if not found:
        print(_("No candidate pairs: no two victims share a name that is not yet decided."))
        return 0

    def both(candidate: victims.Candidate, key: str) -> str:
        return f"{candidate.a.get(key) or '-'} / {candidate.b.get(key) or '-'}"

    table(
        [_("VICTIM A"), _("VICTIM B"), _("KIND"), _("SEX"), _("AGE"), _("CATEGORY")],
        [
            (
                c.a["victim_id"],
                c.b["victim_id"],
                both(c, "kind"),
                both(c, "sex"),
                both(c, "age_group"),
                both(c, "category"),
            )
            for c in found
        ],
    )
    return 0


def cmd_victims_link(ctx: HqContext) -> int:
    args = ctx.args
    repository = ctx.repository()
    outcome = victims.link(repository, ctx.keys(), args.a, args.b, actor=args.by or default_actor())
    print(outcome.describe())
    return 0


def cmd_victims_unlink(ctx: HqContext) -> int:
    args = ctx.args
    repository = ctx.repository()
    outcome = victims.unlink(
        repository, ctx.keys(), args.a, args.b, actor=args.by or default_actor()
    )
    print(outcome.describe())
    return 0
