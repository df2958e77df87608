"""Administrative actions on workspace accounts, each logged in HQ's audit log.

``fieldkit-hq users add|disable|reset`` and the workspace's users page both call these: the
change and its signed audit entry (action ``user_added``, ``user_disabled`` or ``user_reset``;
subject the account's name; detail its role) are written in one transaction, so there is no
change without its entry. The actor is the admin's account name on the web and, from the
command line, ``--by`` or the operating system's login name. An entry never holds a password, a
token or a second factor's secret. A refused action (a name in use, a weak password, an unknown
account) writes nothing, and so does disabling an account disabled already.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from fieldkit.domain.records import utc_timestamp
from fieldkit.hq import audit
from fieldkit.hq.accounts import passwords
from fieldkit.hq.accounts.roles import Role
from fieldkit.hq.accounts.users import User, check_name, disable_in, insert_user, reset_in
from fieldkit.hq.keys import HqKeys
from fieldkit.hq.repository import Repository
from fieldkit.hq.sqlwork import transaction


def add_account(
    repository: Repository,
    keys: HqKeys,
    actor: str,
    name: str,
    role: Role,
    password: str,
    *,
    must_change: bool = False,
) -> User:
    """Add the account ``name`` with ``role`` (see :func:`~fieldkit.hq.accounts.add_user`) and
    log it as done by ``actor``."""
    by = audit.check_actor(actor)
    check_name(name)
    passwords.check_new_password(password, name)
    hashed = passwords.hash_password(password)
    with transaction(repository, write=True) as conn:
        user = insert_user(conn, name, role, hashed, must_change=must_change)
        _log(conn, keys, by, audit.Action.USER_ADDED, user)
    return user


def disable_account(repository: Repository, keys: HqKeys, actor: str, name: str) -> User:
    """Disable the account ``name`` and end its sessions, logged as done by ``actor`` (an
    account disabled already is left as it is, unlogged)."""
    by = audit.check_actor(actor)
    with transaction(repository, write=True) as conn:
        user, changed = disable_in(conn, name)
        if changed:
            _log(conn, keys, by, audit.Action.USER_DISABLED, user)
    return user


def reset_account(repository: Repository, keys: HqKeys, actor: str, name: str) -> str:
    """Give the account ``name`` a temporary password, clear its second factor, lock-out and
    sessions, logged as done by ``actor``; return the password (to show once, never logged)."""
    by = audit.check_actor(actor)
    temporary = passwords.temporary_password()
    hashed = passwords.hash_password(temporary)
    with transaction(repository, write=True) as conn:
        user = reset_in(conn, name, hashed)
        _log(conn, keys, by, audit.Action.USER_RESET, user)
    return temporary


def _log(conn: Connection, keys: HqKeys, actor: str, action: audit.Action, user: User) -> None:
    audit.append(
        conn,
        keys.signing_key,
        at=utc_timestamp(),
        actor=actor,
        action=action,
        subject=user.name,
        detail={"role": user.role.value},
    )
