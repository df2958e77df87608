"""The workspace's accounts: add, list, disable, reset, sign-in with lock-out, password change.

Accounts are never deleted, only disabled (their name stays in the audit log). A sign-in that
fails for any reason (no such account, disabled, locked, wrong password) gets the same answer,
after the same work: a password hash is checked even for an unknown name. After
:data:`LockoutPolicy.failures` wrong passwords in a row an account is locked for
:data:`LockoutPolicy.minutes`, whatever password is given meanwhile.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fieldkit.errors import FieldkitError
from fieldkit.hq.accounts import passwords
from fieldkit.hq.accounts.roles import Role
from fieldkit.hq.accounts.store import now, parse_stamp, stamp, transaction
from fieldkit.hq.errors import ConflictError, InvalidInputError, NotFoundError
from fieldkit.hq.repository import Repository
from fieldkit.hq.repository.tables_web import web_sessions, web_users
from fieldkit.i18n import _

NAME_PATTERN = re.compile(r"[a-z][a-z0-9._-]{1,63}")


class SignInRefusedError(FieldkitError):
    """Wrong name or password, or the account is disabled or locked: one answer for all."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "The name or password is wrong, or the account is locked for a while after too "
                "many failed attempts."
            )
        )


@dataclass(frozen=True)
class LockoutPolicy:
    failures: int = 5
    minutes: int = 15


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    must_change: bool
    second_factor: bool
    created_at: str
    disabled_at: str | None
    locked_until: str | None
    last_sign_in_at: str | None = None
    """When the account last signed in (after its second factor when it has one)."""

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None

    def locked(self, moment: dt.datetime) -> bool:
        return self.locked_until is not None and parse_stamp(self.locked_until) > moment


def _user(row: Any) -> User:
    return User(
        name=row.name,
        role=Role(row.role),
        must_change=bool(row.must_change),
        second_factor=row.totp_secret is not None,
        created_at=row.created_at,
        disabled_at=row.disabled_at,
        locked_until=row.locked_until,
        last_sign_in_at=row.last_sign_in_at,
    )


def check_name(name: str) -> str:
    """A valid account name (lower case letters, digits, ``.``, ``_``, ``-``; 2 to 64), or a
    one-line refusal."""
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidInputError(
            _(
                "'{name}' is not a usable account name: use 2 to 64 lower-case letters, digits, "
                "'.', '_' or '-', starting with a letter."
            ).format(name=name[:64])
        )
    return name


def _row(conn: Connection, name: str) -> Any:
    return conn.execute(sa.select(web_users).where(web_users.c.name == name)).first()


def existing_row(conn: Connection, name: str) -> Any:
    row = _row(conn, name)
    if row is None:
        raise NotFoundError(_("No account named '{name}'.").format(name=name[:64]))
    return row


def add_user(
    repository: Repository, name: str, role: Role, password: str, *, must_change: bool = False
) -> User:
    """A new account; refuses a name in use (even by a disabled account) or a weak password.
    Not logged: ``fieldkit-hq users`` and the users page add accounts with
    :func:`fieldkit.hq.accounts.admin.add_account`, which is."""
    check_name(name)
    passwords.check_new_password(password, name)
    hashed = passwords.hash_password(password)
    with transaction(repository, write=True) as conn:
        return insert_user(conn, name, role, hashed, must_change=must_change)


def insert_user(conn: Connection, name: str, role: Role, hashed: str, *, must_change: bool) -> User:
    """Insert an account whose password is hashed already, in the caller's transaction."""
    if _row(conn, name) is not None:
        raise ConflictError(
            _("An account named '{name}' exists already; nothing was changed.").format(name=name)
        )
    conn.execute(
        web_users.insert().values(
            name=name,
            role=role.value,
            password_hash=hashed,
            must_change=must_change,
            totp_secret=None,
            totp_pending=None,
            totp_last_step=None,
            failures=0,
            locked_until=None,
            created_at=stamp(now()),
            disabled_at=None,
            last_sign_in_at=None,
        )
    )
    return _user(_row(conn, name))


def list_users(repository: Repository) -> list[User]:
    with transaction(repository) as conn:
        rows = conn.execute(sa.select(web_users).order_by(web_users.c.name)).all()
    return [_user(row) for row in rows]


def find_user(repository: Repository, name: str) -> User | None:
    with transaction(repository) as conn:
        row = _row(conn, name)
    return None if row is None else _user(row)


def disable_user(repository: Repository, name: str) -> User:
    """Disable an account and end its sessions (disabling twice changes nothing). Not logged
    (see :func:`add_user`)."""
    with transaction(repository, write=True) as conn:
        return disable_in(conn, name)[0]


def disable_in(conn: Connection, name: str) -> tuple[User, bool]:
    """Disable an account in the caller's transaction; the account and whether it was active
    until now."""
    row = existing_row(conn, name)
    if row.disabled_at is None:
        conn.execute(
            web_users.update().where(web_users.c.name == name).values(disabled_at=stamp(now()))
        )
    conn.execute(web_sessions.delete().where(web_sessions.c.user_name == name))
    return _user(_row(conn, name)), row.disabled_at is None


def reset_user(repository: Repository, name: str) -> str:
    """Give an account a new temporary password (to change at the next sign-in), clear its
    second factor and lock-out and end its sessions; return the password. A disabled account
    stays disabled. Not logged (see :func:`add_user`)."""
    temporary = passwords.temporary_password()
    hashed = passwords.hash_password(temporary)
    with transaction(repository, write=True) as conn:
        reset_in(conn, name, hashed)
    return temporary


def reset_in(conn: Connection, name: str, hashed: str) -> User:
    """Reset an account to the password whose hash is ``hashed``, in the caller's transaction
    (see :func:`reset_user`); the account."""
    existing_row(conn, name)
    conn.execute(
        web_users.update()
        .where(web_users.c.name == name)
        .values(
            password_hash=hashed,
            must_change=True,
            totp_secret=None,
            totp_pending=None,
            totp_last_step=None,
            failures=0,
            locked_until=None,
        )
    )
    conn.execute(web_sessions.delete().where(web_sessions.c.user_name == name))
    return _user(_row(conn, name))


def authenticate(
    repository: Repository,
    name: str,
    password: str,
    *,
    policy: LockoutPolicy = LockoutPolicy(),
    moment: dt.datetime | None = None,
) -> User:
    """The account whose name and password these are, or :class:`SignInRefusedError`."""
    moment = moment or now()
    with transaction(repository) as conn:
        row = _row(conn, name) if NAME_PATTERN.fullmatch(name) else None
    matches = passwords.verify_password(None if row is None else row.password_hash, password)
    if row is None:
        raise SignInRefusedError
    user = _user(row)
    if user.disabled or user.locked(moment):
        raise SignInRefusedError
    with transaction(repository, write=True) as conn:
        if matches:
            values: dict[str, Any] = {"failures": 0, "locked_until": None}
            if passwords.needs_rehash(row.password_hash):
                values["password_hash"] = passwords.hash_password(password)
            conn.execute(web_users.update().where(web_users.c.name == name).values(**values))
        else:
            count_failure(conn, name, policy, moment)
    if not matches:
        raise SignInRefusedError
    return user


def count_failure(conn: Connection, name: str, policy: LockoutPolicy, moment: dt.datetime) -> None:
    """One more failed attempt (a password or a second-factor code) of an existing account;
    the last one allowed locks it."""
    failures = (
        int(
            conn.execute(
                sa.select(web_users.c.failures).where(web_users.c.name == name)
            ).scalar_one()
        )
        + 1
    )
    locked = failures >= policy.failures
    conn.execute(
        web_users.update()
        .where(web_users.c.name == name)
        .values(
            failures=0 if locked else failures,
            locked_until=stamp(moment + dt.timedelta(minutes=policy.minutes)) if locked else None,
        )
    )


def change_password(
    repository: Repository, name: str, current: str, new: str, confirmation: str
) -> None:
    """Change an account's password: the current one is needed; the new one must be strong and
    differ from it. Other sessions of the account stay (the caller may end them)."""
    with transaction(repository) as conn:
        row = existing_row(conn, name)
    if not passwords.verify_password(row.password_hash, current):
        raise InvalidInputError(_("The current password is wrong; nothing was changed."))
    if new == current:
        raise InvalidInputError(
            _("The new password must differ from the current one; nothing was changed.")
        )
    passwords.check_new_password(new, name, confirmation)
    hashed = passwords.hash_password(new)
    with transaction(repository, write=True) as conn:
        conn.execute(
            web_users.update()
            .where(web_users.c.name == name)
            .values(password_hash=hashed, must_change=False)
        )
