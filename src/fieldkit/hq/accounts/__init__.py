"""The analysts' workspace's accounts, sessions and reveals (use cases; no web import).

``fieldkit-hq users`` and the workspace's pages call the same functions. Accounts live in the
SQL repository (``web_users``, ``web_sessions``, ``web_reveals``; schema 0006).
"""

from fieldkit.hq.accounts.admin import add_account, disable_account, reset_account
from fieldkit.hq.accounts.reveals import REVEAL_MINUTES, SessionReveals
from fieldkit.hq.accounts.roles import Role, parse_role
from fieldkit.hq.accounts.sessions import (
    Session,
    SessionPolicy,
    Stage,
    create_session,
    find_session,
    revoke_session,
    revoke_user_sessions,
    sweep_sessions,
)
from fieldkit.hq.accounts.users import (
    LockoutPolicy,
    SignInRefusedError,
    User,
    add_user,
    authenticate,
    change_password,
    check_name,
    disable_user,
    find_user,
    list_users,
    reset_user,
)

__all__ = [
    "REVEAL_MINUTES",
    "LockoutPolicy",
    "Role",
    "Session",
    "SessionPolicy",
    "SessionReveals",
    "SignInRefusedError",
    "Stage",
    "User",
    "add_account",
    "add_user",
    "authenticate",
    "change_password",
    "check_name",
    "create_session",
    "disable_account",
    "disable_user",
    "find_session",
    "find_user",
    "list_users",
    "parse_role",
    "reset_account",
    "reset_user",
    "revoke_session",
    "revoke_user_sessions",
    "sweep_sessions",
]
