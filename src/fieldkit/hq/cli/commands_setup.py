"""Setting up headquarters: init, status, and exporting the age identity for the ``age`` tool."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from fieldkit.console import emit_json, pairs
from fieldkit.domain.passphrases import check_new_passphrase
from fieldkit.files import atomic_write_bytes
from fieldkit.hq import keys
from fieldkit.hq.cli.context import HqContext
from fieldkit.hq.cli.describe import describe_numbers
from fieldkit.hq.errors import ConflictError
from fieldkit.hq.repository import display_url
from fieldkit.i18n import _


def register(commands: Any) -> None:
    p = commands.add_parser("init", help=_("make HQ's keys, the repository and the enrolment file"))
    p.add_argument("--name", default=keys.DEFAULT_NAME, help=_("HQ's name, shown to devices"))
    p.add_argument("--address", metavar="URL", help=_("HQ's http(s) address, if any"))
    p.add_argument(
        "--escrow-recipient",
        metavar="AGE1...",
        help=_("an offline age recipient that can open every bundle if HQ's key is lost"),
    )
    p.set_defaults(handler=cmd_init)

    p = commands.add_parser("status", help=_("HQ's fingerprint, repository and counts"))
    p.add_argument("--json", action="store_true", help=_("print JSON"))
    p.set_defaults(handler=cmd_status)

    p = commands.add_parser("keys", help=_("HQ's keys"))
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    exporter = sub.add_parser(
        "export-identity", help=_("write HQ's age identity, to open bundles with the age tool")
    )
    exporter.add_argument("--out", type=Path, metavar="FILE", help=_("a new file (else stdout)"))
    exporter.set_defaults(handler=cmd_keys_export_identity)


def cmd_init(ctx: HqContext) -> int:
    args = ctx.args
    if ctx.paths.keys.exists():
        raise ConflictError(
            _("{path} already holds headquarters keys; nothing was changed.").format(
                path=ctx.paths.root
            )
        )
    keys.check_settings(args.name, args.address, args.escrow_recipient)
    passphrase = ctx.passphrase(creating=True)
    check_new_passphrase(passphrase)
    ctx.paths.make_folders()
    ctx.open_new_repository()  # an unreachable database is found before any key is made
    config, _keys = keys.create(
        ctx.paths,
        passphrase,
        name=args.name,
        address=args.address,
        escrow_recipient=args.escrow_recipient,
    )
    pairs(
        [
            (_("Headquarters"), config.name),
            (_("Fingerprint"), config.fingerprint),
            (_("Signing key id"), config.signing_key_id),
            (_("Ingest recipient"), config.ingest_recipient),
            (_("Escrow recipient"), config.escrow_recipient or _("none")),
            (_("Enrolment file"), ctx.paths.enrolment),
            (_("Repository"), display_url(ctx.db_url)),
        ]
    )
    print(
        _(
            "Give the enrolment file to each device, and tell its user the fingerprint by "
            "another channel. Back up {keys} and keep the passphrase safe: nothing can recover "
            "them."
        ).format(keys=ctx.paths.keys)
    )
    return 0


def cmd_status(ctx: HqContext) -> int:
    config = ctx.config()
    repository = ctx.repository()
    counts = repository.counts()
    records = len(repository.records())
    devices = repository.devices()
    missing = {d.key_id: repository.missing_sequences(d.key_id) for d in devices}
    if ctx.args.json:
        emit_json(
            {
                "hq": str(ctx.paths.root),
                "name": config.name,
                "address": config.address,
                "fingerprint": config.fingerprint,
                "signing_key_id": config.signing_key_id,
                "ingest_recipient": config.ingest_recipient,
                "escrow_recipient": config.escrow_recipient,
                "repository": display_url(ctx.db_url),
                "counts": counts,
                "records": records,
                "missing": {key: numbers for key, numbers in missing.items() if numbers},
            }
        )
        return 0
    rows = [
        (_("Headquarters"), config.name),
        (_("Folder"), ctx.paths.root),
        (_("Fingerprint"), config.fingerprint),
        (_("Signing key id"), config.signing_key_id),
        (_("Ingest recipient"), config.ingest_recipient),
        (_("Escrow recipient"), config.escrow_recipient or _("none")),
        (_("Repository"), display_url(ctx.db_url)),
        (_("Devices"), counts["devices"]),
        (_("Bundles"), counts["bundles"]),
        (_("Records"), records),
        (_("Revisions"), counts["revisions"]),
        (_("Receipts"), counts["receipts"]),
        (_("Alarms"), counts["alarms"]),
    ]
    for device in devices:
        if missing[device.key_id]:
            rows.append(
                (
                    _("Missing bundles of {key_id}").format(key_id=device.key_id[:12]),
                    describe_numbers(missing[device.key_id]),
                )
            )
    pairs(rows)
    return 0


def cmd_keys_export_identity(ctx: HqContext) -> int:
    config = ctx.config()
    out: Path | None = ctx.args.out
    if out is not None and (out.exists() or out.is_symlink()):
        raise ConflictError(
            _("{path} exists already; name a new file for the key.").format(path=out)
        )
    if out is not None and not out.parent.is_dir():
        raise ConflictError(_("{path}: its folder does not exist.").format(path=out))
    secret = ctx.keys()
    text = (
        f"# fieldkit-hq ingest identity of {config.name}, created {config.created}\n"
        f"# public key: {config.ingest_recipient}\n"
        f"{secret.ingest_identity}\n"
    )
    if out is None:
        sys.stdout.write(text)
    else:
        atomic_write_bytes(out, text.encode("utf-8"))
        print(_("HQ's age identity written to {path}").format(path=out))
    print(
        _(
            "This key opens every bundle and everything HQ keeps encrypted: keep it offline and "
            "delete the copy when you are done."
        ),
        file=sys.stderr,
    )
    return 0
