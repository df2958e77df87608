"""``users add|list|disable|reset``: the accounts of the analysts' workspace (fieldkit-hq web).

Adding, disabling and resetting are logged in HQ's signed audit log (so they need HQ's
passphrase), as done by ``--by`` or the operating system's login name."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import Any

from fieldkit.console import pairs, read_passphrase_file, table
from fieldkit.hq import accounts
from fieldkit.hq.accounts.store import now
from fieldkit.hq.cli.commands_review import add_by, default_actor
from fieldkit.hq.cli.context import HqContext
from fieldkit.hq.errors import InvalidInputError
from fieldkit.i18n import _

PASSWORD_ENV = "FIELDKIT_HQ_USER_PASSWORD"  # noqa: S105 - the name of a variable


def register(commands: Any) -> None:
    p = commands.add_parser("users", help=_("accounts of the analysts' workspace (web)"))
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    adder = sub.add_parser("add", help=_("add an account with a role"))
    adder.add_argument("name", metavar="NAME", help=_("the account's name (sign-in name)"))
    adder.add_argument(
        "--role",
        required=True,
        metavar="ROLE",
        help=_("admin, analyst or viewer"),
    )
    adder.add_argument(
        "--password-file",
        metavar="FILE",
        help=_("read the password from the first line of FILE (else {env} or a prompt)").format(
            env=PASSWORD_ENV
        ),
    )
    add_by(adder)
    adder.set_defaults(handler=cmd_users_add)
    sub.add_parser("list", help=_("every account, its role and state")).set_defaults(
        handler=cmd_users_list
    )
    disabler = sub.add_parser("disable", help=_("disable an account and end its sessions"))
    disabler.add_argument("name", metavar="NAME", help=_("the account to disable"))
    add_by(disabler)
    disabler.set_defaults(handler=cmd_users_disable)
    resetter = sub.add_parser(
        "reset",
        help=_(
            "give an account a temporary password, clear its second factor and lock-out, "
            "end its sessions"
        ),
    )
    resetter.add_argument("name", metavar="NAME", help=_("the account to reset"))
    add_by(resetter)
    resetter.set_defaults(handler=cmd_users_reset)


def _password(args: Any, name: str) -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    if args.password_file:
        return read_passphrase_file(Path(args.password_file))
    if not sys.stdin.isatty():
        raise InvalidInputError(
            _("No password given: set {env}, use --password-file, or run in a terminal.").format(
                env=PASSWORD_ENV
            )
        )
    first = getpass.getpass(_("Password for {name}: ").format(name=name))
    second = getpass.getpass(_("Repeat the password: "))
    if first != second:
        raise InvalidInputError(_("The two passwords differ. Type the same password twice."))
    return first


def cmd_users_add(ctx: HqContext) -> int:
    args = ctx.args
    role = accounts.parse_role(args.role)
    name = accounts.check_name(args.name)
    password = _password(args, name)
    user = accounts.add_account(
        ctx.repository(), ctx.keys(), args.by or default_actor(), name, role, password
    )
    print(_("Added the account {name} ({role}).").format(name=user.name, role=user.role.label))
    return 0


def _state(user: accounts.User) -> str:
    if user.disabled:
        return _("disabled")
    if user.locked(now()):
        return _("locked")
    if user.must_change:
        return _("must change password")
    return _("active")


def cmd_users_list(ctx: HqContext) -> int:
    users = accounts.list_users(ctx.repository())
    if not users:
        print(_("No accounts yet: add one with `fieldkit-hq users add NAME --role ROLE`."))
        return 0
    table(
        [_("Name"), _("Role"), _("Second factor"), _("State"), _("Last sign-in"), _("Created")],
        [
            [
                user.name,
                user.role.label,
                _("yes") if user.second_factor else _("no"),
                _state(user),
                user.last_sign_in_at or _("never"),
                user.created_at,
            ]
            for user in users
        ],
    )
    return 0


def cmd_users_disable(ctx: HqContext) -> int:
    args = ctx.args
    user = accounts.disable_account(
        ctx.repository(), ctx.keys(), args.by or default_actor(), args.name
    )
    print(_("Disabled the account {name}; its sessions are ended.").format(name=user.name))
    return 0


def cmd_users_reset(ctx: HqContext) -> int:
    args = ctx.args
    name = args.name
    temporary = accounts.reset_account(
        ctx.repository(), ctx.keys(), args.by or default_actor(), name
    )
    pairs([(_("Account"), name), (_("Temporary password"), temporary)])
    print(
        _(
            "Give it to {name} by a safe way; it must be changed at the next sign-in. The second "
            "factor, lock-out and sessions of the account are cleared."
        ).format(name=name)
    )
    return 0
