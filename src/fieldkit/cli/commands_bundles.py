"""Commands that carry records to headquarters: identity export, enrol, export, receipts."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldkit.cli.output import clean, emit_json, pairs
from fieldkit.console import can_ask, confirm
from fieldkit.errors import InvalidInputError
from fieldkit.i18n import _, ngettext

if TYPE_CHECKING:
    from fieldkit.cli.context import Context

# The services (and through them the vault and SQLAlchemy) are imported by the commands that
# use them, not when the parser is built: `fieldkit-cli --help` does not load them.

PROGRESS_FROM_BYTES = 8 * 1024 * 1024


def register(commands: Any) -> None:
    p = commands.add_parser("identity", help=_("the device's signing identity"))
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    show = sub.add_parser("show", help=_("the device key id and fingerprint"))
    show.add_argument("--json", action="store_true", help=_("print JSON"))
    show.set_defaults(handler=cmd_identity_show)
    exporter = sub.add_parser("export", help=_("write the device's public identity for HQ"))
    exporter.add_argument(
        "--out", type=Path, required=True, metavar="FILE", help=_("the file to write (new)")
    )
    exporter.set_defaults(handler=cmd_identity_export)

    p = commands.add_parser(
        "enroll",
        help=_("verify an HQ enrolment file, compare its fingerprint, then pin HQ's keys"),
    )
    p.add_argument("file", type=Path, metavar="FILE", help=_("the enrolment file HQ gave you"))
    p.add_argument(
        "--fingerprint",
        metavar="FP",
        help=_(
            "the HQ fingerprint HQ gave you by another channel; pins without asking, and "
            "refuses a file with another fingerprint (needed without a terminal)"
        ),
    )
    p.add_argument(
        "--replace", action="store_true", help=_("move this device to another headquarters")
    )
    p.set_defaults(handler=cmd_enroll)

    p = commands.add_parser(
        "export", help=_("bundle every sealed revision not yet acknowledged; print the path")
    )
    p.add_argument(
        "--to",
        type=Path,
        required=True,
        metavar="DIR",
        dest="folder",
        help=_("the folder to write the bundle to, such as a USB stick"),
    )
    p.set_defaults(handler=cmd_export)

    p = commands.add_parser("receipt", help=_("receipts from headquarters"))
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    importer = sub.add_parser("import", help=_("verify a receipt; mark revisions acknowledged"))
    importer.add_argument(
        "file", type=Path, metavar="FILE", help=_("the receipt file (.fkr) from headquarters")
    )
    importer.set_defaults(handler=cmd_receipt_import)


def cmd_identity_show(ctx: Context) -> int:
    from fieldkit.services import vaults

    identity = vaults.device_identity(ctx.vault())
    if ctx.args.json:
        emit_json(
            {
                "key_id": identity.key_id,
                "fingerprint": identity.fingerprint,
                "public_key": identity.public_key.hex(),
                "created_at": identity.created_at,
                "device_name": identity.device_name,
                "age_recipient": identity.age_recipient,
            }
        )
        return 0
    pairs(
        [
            (_("Device key id"), identity.key_id),
            (_("Fingerprint"), identity.fingerprint),
            (_("Created"), identity.created_at),
        ]
    )
    return 0


def cmd_identity_export(ctx: Context) -> int:
    from fieldkit.services import enrolment

    path = enrolment.export_identity(ctx.vault(), ctx.args.out)
    print(_("Device identity written to {path}").format(path=path))
    return 0


def _normalised(fingerprint: str) -> str:
    """A fingerprint as compared: hexadecimal digits only, upper case (spaces, colons, dashes and
    case as anyone may write it do not count)."""
    return "".join(ch for ch in fingerprint.upper() if ch in "0123456789ABCDEF")


def cmd_enroll(ctx: Context) -> int:
    from fieldkit.services import enrolment

    given: str | None = ctx.args.fingerprint
    if given is None and not can_ask():
        raise InvalidInputError(
            _(
                "Nothing was pinned: without a terminal to compare the fingerprint, pass "
                "--fingerprint FP with the HQ fingerprint your headquarters gave you."
            )
        )
    offered = enrolment.inspect_enrolment(ctx.args.file)
    pairs(
        [
            (_("Headquarters"), offered.hq_name),
            (_("HQ fingerprint"), offered.fingerprint),
            (_("Bundles are encrypted to"), ", ".join(offered.recipients)),
        ]
    )
    sys.stdout.flush()
    if given is not None:
        if _normalised(given) != _normalised(offered.fingerprint):
            raise InvalidInputError(
                _(
                    "{name}: its HQ fingerprint is not the one given with --fingerprint; nothing "
                    "was pinned. Ask your headquarters for the right enrolment file."
                ).format(name=ctx.args.file.name)
            )
    elif not confirm(
        _(
            "Is this exactly the fingerprint your headquarters gave you by another channel "
            "(in person, by phone, on paper)?"
        )
    ):
        raise InvalidInputError(_("Nothing was pinned: the fingerprint was not confirmed."))
    enrolled = enrolment.enroll(
        ctx.vault(),
        ctx.args.file,
        replace=ctx.args.replace,
        expected_key_id=offered.signing_key_id,
    )
    print(_("Enrolled with {name}.").format(name=clean(enrolled.hq_name)))
    return 0


class _Progress:
    """Progress on stderr, for large bundles written from a terminal."""

    def __init__(self) -> None:
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        if total < PROGRESS_FROM_BYTES or not sys.stderr.isatty():
            return
        percent = done * 100 // max(total, 1)
        if percent != self.shown:
            self.shown = percent
            end = "\n" if done >= total else ""
            print(f"\r{_('Writing the bundle')}: {percent}%", end=end, file=sys.stderr, flush=True)


def cmd_export(ctx: Context) -> int:
    from fieldkit.services import exporting

    result = exporting.export(ctx.vault(), ctx.args.folder, progress=_Progress())
    for path in result.copied:
        if path != result.path:
            print(path)
    print(result.path)
    if result.copied:
        print(
            ngettext(
                "{n} bundle waiting to be sent over the network was copied as it is.",
                "{n} bundles waiting to be sent over the network were copied as they are.",
                len(result.copied),
            ).format(n=len(result.copied)),
            file=sys.stderr,
        )
    if result.path not in result.copied:
        summary = ngettext(
            "{n} revision in bundle {seq}.", "{n} revisions in bundle {seq}.", result.revisions
        ).format(n=result.revisions, seq=result.sequence)
        print(summary, file=sys.stderr)
    return 0


def cmd_receipt_import(ctx: Context) -> int:
    from fieldkit.services import receipts

    result = receipts.import_receipt(ctx.vault(), ctx.args.file)
    if result.already_imported:
        print(_("This receipt was already imported; nothing changed."))
        return 0
    print(
        ngettext(
            "{n} revision acknowledged by headquarters (bundle {seq}).",
            "{n} revisions acknowledged by headquarters (bundle {seq}).",
            result.acknowledged,
        ).format(n=result.acknowledged, seq=result.sequence)
    )
    if result.purged_records:
        print(
            ngettext(
                "The content of {n} record was removed from this device.",
                "The content of {n} records was removed from this device.",
                result.purged_records,
            ).format(n=result.purged_records)
        )
    return 0
