"""``review set|show`` and ``audit``: HQ's signed reviews of records and its audit log."""

from __future__ import annotations

import getpass
import json
from typing import Any

from fieldkit.console import emit_json, pairs, table
from fieldkit.hq import audit, review
from fieldkit.hq.cli.context import HqContext
from fieldkit.hq.errors import ConflictError
from fieldkit.i18n import _


def default_actor() -> str:
    """The operating system's login name, else "hq"."""
    try:
        return getpass.getuser() or "hq"
    except (OSError, KeyError):
        return "hq"


def add_by(parser: Any) -> None:
    parser.add_argument(
        "--by",
        metavar="NAME",
        help=_("who decides, as written in the audit log (default: your login name)"),
    )


def register(commands: Any) -> None:
    p = commands.add_parser("review", help=_("HQ's review of a record: status and grades"))
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    setter = sub.add_parser(
        "set", help=_("review a record (signed with HQ's key and logged): needs the passphrase")
    )
    setter.add_argument("record_id", metavar="RECORD_ID", help=_("the record (6+ characters)"))
    setter.add_argument(
        "--status",
        required=True,
        choices=[s.value for s in review.Status],
        help=_("the record's review status"),
    )
    setter.add_argument(
        "--grade-source",
        metavar="A-F",
        help=_("reliability of the source, STANAG 2511: A reliable ... F cannot be judged"),
    )
    setter.add_argument(
        "--grade-info",
        metavar="1-6",
        help=_("credibility of the information, STANAG 2511: 1 confirmed ... 6 cannot be judged"),
    )
    setter.add_argument(
        "--note", metavar="TEXT", help=_("a note for HQ staff (restricted; not in the audit log)")
    )
    add_by(setter)
    setter.set_defaults(handler=cmd_review_set)
    shower = sub.add_parser("show", help=_("a record's current review and its history"))
    shower.add_argument("record_id", metavar="RECORD_ID", help=_("the record (6+ characters)"))
    shower.add_argument("--json", action="store_true", help=_("print JSON"))
    shower.set_defaults(handler=cmd_review_show)

    p = commands.add_parser("audit", help=_("HQ's signed audit log of reviews and victim links"))
    p.add_argument("--json", action="store_true", help=_("print JSON"))
    p.add_argument(
        "--verify",
        action="store_true",
        help=_("check every signature and the chain; name the first bad entry"),
    )
    p.set_defaults(handler=cmd_audit)


def cmd_review_set(ctx: HqContext) -> int:
    args = ctx.args
    repository = ctx.repository()
    outcome = review.set_review(
        repository,
        ctx.keys(),
        args.record_id,
        args.status,
        actor=args.by or default_actor(),
        grade_source=args.grade_source,
        grade_info=args.grade_info,
        note=args.note,
    )
    shown = _grades(outcome.review)
    if outcome.changed:
        print(
            _("Record {id}: {status}{grades}; signed and written to the audit log.").format(
                id=outcome.review.record_id, status=outcome.review.status, grades=shown
            )
        )
    else:
        print(
            _("Record {id} is already {status}{grades}; nothing was changed.").format(
                id=outcome.review.record_id, status=outcome.review.status, grades=shown
            )
        )
    return 0


def _grades(item: review.Review) -> str:
    parts = []
    if item.grade_source:
        parts.append(_("source {grade}").format(grade=item.grade_source))
    if item.grade_info:
        parts.append(_("information {grade}").format(grade=item.grade_info))
    return f" ({', '.join(parts)})" if parts else ""


def _valid(item: review.Review) -> str:
    return _("valid") if item.valid else _("INVALID")


def cmd_review_show(ctx: HqContext) -> int:
    sheet = review.review_of(ctx.repository(), ctx.config().signing_public_key, ctx.args.record_id)
    if ctx.args.json:
        emit_json(
            {
                "record_id": sheet.record_id,
                "status": sheet.status,
                "outdated": sheet.outdated,
                "current": None if sheet.current is None else sheet.current.to_json(),
                "history": [r.to_json() for r in sheet.history],
            }
        )
        return 0
    current = sheet.current
    pairs(
        [
            (_("Record"), sheet.record_id),
            (_("Status"), sheet.status),
            (_("Source reliability"), (current.grade_source if current else None) or "-"),
            (_("Information credibility"), (current.grade_info if current else None) or "-"),
            (_("Reviewed"), f"{current.at} ({current.actor})" if current else "-"),
        ]
    )
    if sheet.outdated:
        print(_("A newer revision of the record arrived after this review: review it again."))
    if sheet.history:
        print()
        table(
            [_("AT"), _("BY"), _("STATUS"), _("SOURCE"), _("INFO"), _("SIGNATURE"), _("NOTE")],
            [
                (
                    r.at,
                    r.actor,
                    r.status,
                    r.grade_source or "-",
                    r.grade_info or "-",
                    _valid(r),
                    r.note or "",
                )
                for r in sheet.history
            ],
        )
    return 0


def cmd_audit(ctx: HqContext) -> int:
    repository = ctx.repository()
    if ctx.args.verify:
        report = audit.verify(repository, ctx.config().signing_public_key)
        if ctx.args.json:
            bad = report.bad
            emit_json(
                {
                    "ok": report.ok,
                    "entries": report.entries,
                    "signed_items": report.signed_items,
                    "bad": None if bad is None else {"id": bad.id, "reason": bad.reason},
                }
            )
        if report.problem is not None:
            raise ConflictError(
                _("The audit log does not verify: {problem}.").format(problem=report.problem)
            )
        if ctx.args.json:
            return 0
        print(
            _(
                "The audit log verifies: {n} entries signed by this headquarters and chained; "
                "{m} signed reviews and victim decisions, each in the log."
            ).format(n=report.entries, m=report.signed_items)
        )
        return 0
    found = audit.entries(repository)
    if ctx.args.json:
        emit_json([e.to_json() for e in found])
        return 0
    table(
        [_("ID"), _("AT"), _("BY"), _("ACTION"), _("SUBJECT"), _("DETAIL")],
        [
            (
                e.id,
                e.at,
                e.actor,
                e.action,
                e.subject or "",
                json.dumps(audit.shown_detail(e), ensure_ascii=False),
            )
            for e in found
        ],
    )
    return 0
