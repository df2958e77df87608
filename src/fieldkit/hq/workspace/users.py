"""The users page: every account with its state and sign-ins; adding one with a temporary
password, disabling and resetting, with the account use cases of ``fieldkit-hq users``
(:mod:`fieldkit.hq.accounts`).

An account's last sign-in is kept with the account (``web_users.last_sign_in_at``, noted when a
sign-in completes, after the second factor when there is one), so it outlives the session; its
last activity is that of its live sessions (a session ends when its account signs out, after
:attr:`~fieldkit.hq.accounts.SessionPolicy.idle` without use, or at the end of its lifetime).
Adding, disabling and resetting are logged in HQ's audit log as done by the signed-in admin
(:mod:`fieldkit.hq.accounts.admin`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from fieldkit.hq import accounts
from fieldkit.hq.accounts import SessionPolicy, Stage, User
from fieldkit.hq.accounts.passwords import temporary_password
from fieldkit.hq.accounts.store import now, stamp, transaction
from fieldkit.hq.errors import ConflictError
from fieldkit.hq.keys import HqKeys
from fieldkit.hq.repository import Repository
from fieldkit.hq.repository.tables_web import web_sessions
from fieldkit.i18n import _


@dataclass(frozen=True)
class UserOverview:
    user: User
    locked: bool
    signed_in_at: str | None
    """When the account last signed in (None: never)."""
    seen_at: str | None
    """When one of its live sessions was last used."""
    sessions: int
    """Its live sessions (one per browser signed in)."""

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def state(self) -> str:
        """Disabled, locked, must change its password, or active (as ``users list``)."""
        if self.user.disabled:
            return _("disabled")
        if self.locked:
            return _("locked")
        if self.user.must_change:
            return _("must change password")
        return _("active")


def users_overview(
    repository: Repository,
    policy: SessionPolicy | None = None,
    moment: dt.datetime | None = None,
) -> list[UserOverview]:
    """Every account, by name, with its live sessions."""
    moment = moment or now()
    policy = policy or SessionPolicy()
    c = web_sessions.c
    query = (
        sa.select(
            c.user_name,
            sa.func.max(c.seen_at).label("seen"),
            sa.func.count().label("n"),
        )
        .where(
            c.stage == Stage.FULL.value,
            c.seen_at > stamp(moment - policy.idle),
            c.created_at > stamp(moment - policy.lifetime),
        )
        .group_by(c.user_name)
    )
    with transaction(repository) as conn:
        live = {row.user_name: row for row in conn.execute(query)}
    found = []
    for user in accounts.list_users(repository):
        row = live.get(user.name)
        found.append(
            UserOverview(
                user=user,
                locked=user.locked(moment),
                signed_in_at=user.last_sign_in_at,
                seen_at=None if row is None else str(row.seen),
                sessions=0 if row is None else int(row.n),
            )
        )
    return found


def add_with_temporary_password(
    repository: Repository, keys: HqKeys, actor: str, name: str, role: str
) -> tuple[User, str]:
    """A new account with a temporary password, which its owner must change at first sign-in,
    logged as added by ``actor``; the account and the password (to show once)."""
    parsed = accounts.parse_role(role)
    accounts.check_name(name)
    temporary = temporary_password()
    user = accounts.add_account(repository, keys, actor, name, parsed, temporary, must_change=True)
    return user, temporary


def disable(repository: Repository, keys: HqKeys, actor: str, name: str) -> User:
    """Disable the account ``name`` and end its sessions, logged as done by ``actor``; an admin
    cannot disable their own."""
    if name == actor:
        raise ConflictError(
            _("You cannot disable your own account; another admin can. Nothing was changed.")
        )
    return accounts.disable_account(repository, keys, actor, name)


def reset(repository: Repository, keys: HqKeys, actor: str, name: str) -> str:
    """A new temporary password for ``name`` (its second factor, lock-out and sessions are
    cleared), logged as done by ``actor``; the password, to show once."""
    return accounts.reset_account(repository, keys, actor, name)
