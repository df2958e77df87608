"""Devices (register, list, revoke, declare lost) and alarms."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from fieldkit.bundle import DEFAULT_LIMITS, read_device_identity_file
from fieldkit.console import emit_json, pairs, read_small_file, table
from fieldkit.domain.records import utc_timestamp
from fieldkit.hq.cli.context import HqContext
from fieldkit.hq.cli.describe import alarm_detail, describe_numbers, device_state, find_device
from fieldkit.hq.lost import declare_lost
from fieldkit.hq.repository import Device
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


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 2**31 - 1:
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
    repository = ctx.repository()
    devices = repository.devices()
    rows = []
    for device in devices:
        missing = repository.missing_sequences(device.key_id)
        rows.append((device, repository.last_sequence(device.key_id), missing))
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
                    "last_bundle": last,
                    "missing": missing,
                }
                for d, last, missing in rows
            ]
        )
        return 0
    table(
        [_("KEY ID"), _("NAME"), _("REGISTERED"), _("LAST BUNDLE"), _("MISSING"), _("STATE")],
        [
            (
                d.key_id,
                d.name,
                d.registered_at,
                last or "-",
                describe_numbers(missing) or "-",
                device_state(d),
            )
            for d, last, missing in rows
        ],
    )
    return 0


def cmd_devices_revoke(ctx: HqContext) -> int:
    repository = ctx.repository()
    device = find_device(repository, ctx.args.device)
    revoked = repository.revoke_device(device.key_id, ctx.args.from_seq, utc_timestamp())
    _print_revocation(revoked, ctx.args.from_seq)
    return 0


def _print_revocation(revoked: Device, asked_from: int) -> None:
    assert revoked.revoked_from is not None  # noqa: S101 - just revoked
    if revoked.revoked_from == 1:
        print(
            _("Device {key_id} is revoked: every bundle it signs is refused.").format(
                key_id=revoked.key_id
            )
        )
    else:
        print(
            _(
                "Device {key_id} is revoked from bundle {n} on: its bundles numbered {n} or more "
                "are refused."
            ).format(key_id=revoked.key_id, n=revoked.revoked_from)
        )
    if revoked.revoked_from < asked_from:
        print(_("It was revoked from an earlier bundle already; that stays."))


def cmd_devices_lost(ctx: HqContext) -> int:
    repository = ctx.repository()
    device = find_device(repository, ctx.args.device)
    lost = declare_lost(repository, device.key_id, ctx.args.from_seq, utc_timestamp())
    _print_revocation(lost, ctx.args.from_seq)
    print(
        _(
            "Device {key_id} is declared lost (on {date}): the next time it reaches the sync "
            "server, it is told to erase its vault."
        ).format(key_id=lost.key_id, date=lost.lost_at)
    )
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
