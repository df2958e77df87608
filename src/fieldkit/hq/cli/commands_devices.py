"""Devices (register, list, revoke, declare lost) and alarms."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fieldkit.bundle import DEFAULT_LIMITS, read_device_identity_file
from fieldkit.console import emit_json, pairs, read_small_file, table
from fieldkit.domain.records import utc_timestamp
from fieldkit.hq import devices
from fieldkit.hq.cli.commands_review import add_by, default_actor
from fieldkit.hq.cli.context import HqContext
from fieldkit.hq.devices import alarm_detail, device_state
from fieldkit.i18n import _


def register(commands: Any) -> None:
    p = commands.add_parser("devices", help=_("enrolled devices"))
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    adder = sub.add_parser("add", help=_("register a device identity file"))
    adder.add_argument(
        "file",
        type=Path,
        metavar="FILE",
        help=_("the identity file the device wrote (fieldkit-cli identity export)"),
    )
    adder.set_defaults(handler=cmd_devices_add)
    lister = sub.add_parser("list", help=_("registered devices, their bundles and state"))
    lister.add_argument("--json", action="store_true", help=_("print JSON"))
    lister.set_defaults(handler=cmd_devices_list)
    revoker = sub.add_parser("revoke", help=_("refuse a device's bundles from now on"))
    _revocation_arguments(revoker)
    revoker.set_defaults(handler=cmd_devices_revoke)
    loser = sub.add_parser(
        "lost",
        help=_("revoke a lost device and have it erase its vault at its next network sync"),
    )
    _revocation_arguments(loser)
    loser.set_defaults(handler=cmd_devices_lost)

    p = commands.add_parser("alarms", help=_("forks, broken chains, gaps and conflicts"))
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    lister = sub.add_parser("list", help=_("every alarm, oldest first"))
    lister.add_argument("--json", action="store_true", help=_("print JSON"))
    lister.set_defaults(handler=cmd_alarms_list)


def _revocation_arguments(parser: Any) -> None:
    """The device and ``--from-seq`` of ``devices revoke`` and ``devices lost``."""
    parser.add_argument("device", metavar="DEVICE_ID", help=_("key id (or its first characters)"))
    parser.add_argument(
        "--from-seq",
        type=_positive,
        default=1,
        metavar="N",
        help=_("refuse its bundles numbered N or more (default 1: all of them)"),
    )
    add_by(parser)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not devices.valid_sequence(value):
        raise argparse.ArgumentTypeError(_("expects a bundle number of 1 or more"))
    return value


def cmd_devices_add(ctx: HqContext) -> int:
    repository = ctx.repository()
    untrusted = read_small_file(ctx.args.file, DEFAULT_LIMITS.max_document_bytes)
    identity = read_device_identity_file(untrusted)
    device, new = repository.add_device(identity, utc_timestamp())
    print(
        _("Device registered.")
        if new
        else _("This device was registered already; nothing was changed.")
    )
    pairs(
        [
            (_("Device"), device.name),
            (_("Key id"), device.key_id),
            (_("Fingerprint"), device.fingerprint),
            (_("State"), device_state(device)),
        ]
    )
    print(
        _(
            "Compare the fingerprint with the one the device shows (`fieldkit-cli identity "
            "show`), by another channel than the file came by."
        )
    )
    return 0


def cmd_devices_list(ctx: HqContext) -> int:
    rows = devices.overview(ctx.repository())
    if ctx.args.json:
        emit_json(
            [
                {
                    "key_id": d.key_id,
                    "name": d.name,
                    "fingerprint": d.fingerprint,
                    "public_key": d.public_key.hex(),
                    "age_recipient": d.age_recipient,
                    "registered_at": d.registered_at,
                    "revoked_from": d.revoked_from,
                    "revoked_at": d.revoked_at,
                    "lost_at": d.lost_at,
                    "last_bundle": row.last_sequence,
                    "missing": list(row.missing),
                }
                for row in rows
                for d in (row.device,)
            ]
        )
        return 0
    table(
        [_("KEY ID"), _("NAME"), _("REGISTERED"), _("LAST BUNDLE"), _("MISSING"), _("STATE")],
        [
            (
                row.key_id,
                row.device.name,
                row.device.registered_at,
                row.last_sequence or "-",
                row.missing_text or "-",
                row.state,
            )
            for row in rows
        ],
    )
    return 0


def cmd_devices_revoke(ctx: HqContext) -> int:
    args = ctx.args
    revocation = devices.revoke(
        ctx.repository(), ctx.keys(), args.by or default_actor(), args.device, args.from_seq
    )
    for line in revocation.lines():
        print(line)
    return 0


def cmd_devices_lost(ctx: HqContext) -> int:
    args = ctx.args
    revocation = devices.declare_lost(
        ctx.repository(), ctx.keys(), args.by or default_actor(), args.device, args.from_seq
    )
    for line in revocation.lines():
        print(line)
    return 0


def cmd_alarms_list(ctx: HqContext) -> int:
    alarms = ctx.repository().alarms()
    if ctx.args.json:
        emit_json(
            [
                {
                    "id": a.id,
                    "kind": a.kind.value,
                    "device": a.device_key_id,
                    "sequence": a.sequence,
                    "manifest_sha256": a.manifest_sha256,
                    "detail": a.detail,
                    "raised_at": a.raised_at,
                }
                for a in alarms
            ]
        )
        return 0
    if not alarms:
        print(_("No alarms."))
        return 0
    table(
        [_("ID"), _("RAISED"), _("KIND"), _("DEVICE"), _("BUNDLE"), _("DETAIL")],
        [
            (
                a.id,
                a.raised_at,
                a.kind.value.upper(),
                a.device_key_id[:12],
                a.sequence or "-",
                alarm_detail(a),
            )
            for a in alarms
        ],
    )
    return 0
