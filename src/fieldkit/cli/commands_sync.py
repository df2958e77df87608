"""``fieldkit-cli sync``: send what waits to headquarters over the network; ``sync status``."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fieldkit.cli.output import clean, emit_json, table
from fieldkit.console import EXIT_INTERRUPTED, fail
from fieldkit.errors import ConflictError
from fieldkit.i18n import _, ngettext

if TYPE_CHECKING:
    from fieldkit.cli.context import Context
    from fieldkit.services.sync import OutboxItem, SyncReport

PROG = "fieldkit-cli"
sleep: Callable[[float], None] = time.sleep  # replaced by tests


def register(commands: Any) -> None:
    p = commands.add_parser(
        "sync",
        help=_("send sealed records to headquarters over the network; 'sync status': the queue"),
    )
    p.add_argument(
        "--once",
        action="store_true",
        help=_("try once; exit 1 if anything failed (default: keep trying until all is sent)"),
    )
    p.add_argument(
        "--text-first",
        action="store_true",
        default=True,
        help=_("send records first, their attachments after in bundles of their own (default)"),
    )
    p.add_argument(
        "--no-text-first",
        action="store_false",
        dest="text_first",
        help=_("send records and their attachments in one bundle"),
    )
    p.add_argument(
        "--address",
        metavar="URL",
        help=_("headquarters' address, https://HOST:PORT (default: from the enrolment file)"),
    )
    p.set_defaults(handler=cmd_sync)
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    status = sub.add_parser("status", help=_("the bundles waiting, being sent and delivered"))
    status.add_argument("--json", action="store_true", help=_("print JSON"))
    status.set_defaults(handler=cmd_sync_status)


def what_text(item: OutboxItem) -> str:
    if item.kind == "attachments":
        return ngettext("{n} attachment", "{n} attachments", item.attachments).format(
            n=item.attachments
        )
    return ngettext("{n} revision", "{n} revisions", item.revisions).format(n=item.revisions)


def state_text(item: OutboxItem) -> str:
    from fieldkit.services.sync import ItemState

    if item.state == ItemState.WAITING:
        return _("waiting")
    if item.state == ItemState.SENDING:
        return _("sending, {percent}%").format(percent=item.sent * 100 // max(item.size, 1))
    if item.state == ItemState.AT_HQ:
        return _("at headquarters, waiting for its receipt")
    if item.state == ItemState.DELIVERED:
        return _("delivered {when}").format(when=item.delivered_at or "")
    return _("refused: {reason}").format(reason=clean(item.reason or _("no reason given")))


def size_text(size: int) -> str:
    if size < 1024:
        return _("{n} B").format(n=size)
    if size < 1024 * 1024:
        return _("{n} KiB").format(n=f"{size / 1024:.1f}")
    return _("{n} MiB").format(n=f"{size / 1024 / 1024:.1f}")


def cmd_sync_status(ctx: Context) -> int:
    from fieldkit.services import sync

    items = sync.status(ctx.vault())
    if ctx.args.json:
        emit_json(
            [
                {
                    "sequence": item.sequence,
                    "kind": item.kind,
                    "revisions": item.revisions,
                    "attachments": item.attachments,
                    "size": item.size,
                    "sent": item.sent,
                    "state": item.state.value,
                    "reason": item.reason,
                    "created_at": item.created_at,
                    "delivered_at": item.delivered_at,
                }
                for item in items
            ]
        )
        return 0
    if not items:
        print(_("Nothing was sent over the network yet, and nothing waits."))
        return 0
    table(
        [_("Bundle"), _("Content"), _("Size"), _("State")],
        [
            [str(item.sequence), what_text(item), size_text(item.size), state_text(item)]
            for item in items
        ],
    )
    return 0


class _Changes:
    """Prints one line each time an item changes state."""

    def __init__(self) -> None:
        self.shown: dict[int, str] = {}

    def __call__(self, item: OutboxItem) -> None:
        state = item.state.value
        if self.shown.get(item.sequence) == state:
            return
        self.shown[item.sequence] = state
        shown = state_text(item) if state != "sending" else _("sending")
        print(
            _("Bundle {seq} ({what}, {size}): {state}").format(
                seq=item.sequence, what=what_text(item), size=size_text(item.size), state=shown
            ),
            flush=True,
        )


def _summary(report: SyncReport) -> str:
    if report.waiting:
        return ngettext(
            "{n} bundle is at headquarters, waiting for its receipt.",
            "{n} bundles are at headquarters, waiting for their receipts.",
            report.waiting,
        ).format(n=report.waiting)
    return _("Everything sealed is delivered to headquarters.")


def _refused(count: int) -> ConflictError:
    return ConflictError(
        ngettext(
            "Headquarters refused {n} bundle; 'fieldkit-cli sync status' says why.",
            "Headquarters refused {n} bundles; 'fieldkit-cli sync status' says why.",
            count,
        ).format(n=count)
    )


def _forms(report: SyncReport) -> None:
    for form in report.forms_installed:
        print(_("Form installed from headquarters: {form}").format(form=clean(form)))


def cmd_sync(ctx: Context) -> int:
    from fieldkit.services import sync
    from fieldkit.sync.errors import SyncError

    vault = ctx.vault()
    sync.endpoint(vault, ctx.args.address)  # not enrolled, no address: one line, before trying
    changes = _Changes()

    def attempt() -> SyncReport:
        return sync.sync_once(
            vault, text_first=ctx.args.text_first, address=ctx.args.address, progress=changes
        )

    if ctx.args.once:
        report = attempt()
        _forms(report)
        if report.refused:
            raise _refused(report.refused)
        print(_summary(report))
        return 0
    backoff = sync.Backoff()
    refused = 0
    try:
        while True:
            try:
                report = attempt()
            except SyncError as error:
                if not error.retryable:
                    raise
                delay = max(backoff.next_delay(), getattr(error, "retry_after", None) or 0.0)
                fail(
                    PROG,
                    _("{reason} Next try in {minutes} min.").format(
                        reason=error.user_message, minutes=max(1, round(delay / 60))
                    ),
                )
                sleep(delay)
                continue
            backoff.reset()
            _forms(report)
            refused += report.refused
            if not report.waiting:
                break
            print(_summary(report), flush=True)
            sleep(backoff.next_delay())
    except KeyboardInterrupt:
        fail(PROG, _("stopped; what is not delivered yet is sent the next time."))
        return EXIT_INTERRUPTED
    if refused:
        raise _refused(refused)
    print(_summary(report))
    return 0
