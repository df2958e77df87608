"""Server-side sessions of the workspace.

The browser holds a random token (256 bits, :mod:`secrets`); the repository only its SHA-256,
so that a copy of the database opens no session. A session ends when it has been idle for
:attr:`SessionPolicy.idle`, at :attr:`SessionPolicy.lifetime` after sign-in whatever its use,
when its account signs out or is disabled or reset. A session at stage ``code`` has passed the
password and waits for the second factor: it opens nothing else.

Each sign-in step makes a new session with a new token and ends the one before (no fixation).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from fieldkit.hq.accounts.roles import Role
from fieldkit.hq.accounts.store import now, parse_stamp, stamp, transaction
from fieldkit.hq.repository import Repository
from fieldkit.hq.repository.tables_web import web_sessions, web_users

SEEN_EVERY = dt.timedelta(seconds=30)
"""A session's last use is written at most this often (a page loads several resources)."""


class Stage(StrEnum):
    CODE = "code"
    """The password was right; the second factor's code is awaited."""
    FULL = "full"


@dataclass(frozen=True)
class SessionPolicy:
    idle: dt.timedelta = dt.timedelta(minutes=30)
    lifetime: dt.timedelta = dt.timedelta(hours=12)
    code_stage: dt.timedelta = dt.timedelta(minutes=5)
    """How long a session may wait at stage ``code`` for the second factor."""


@dataclass(frozen=True)
class Session:
    id: str
    user_name: str
    role: Role
    stage: Stage
    csrf: str
    must_change: bool
    created_at: str

    def csrf_matches(self, given: str | None) -> bool:
        """Compare a form's CSRF token with the session's, in constant time."""
        return given is not None and hmac.compare_digest(
            given.encode("utf-8", "replace"), self.csrf.encode()
        )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def create_session(
    repository: Repository,
    user_name: str,
    stage: Stage,
    *,
    replacing: str | None = None,
    signs_in: bool = True,
) -> tuple[str, Session]:
    """A new session of ``user_name``: the browser's token and the session. The session whose
    token is ``replacing`` (the previous step of a sign-in) ends in the same transaction. A
    session at stage ``full`` that ``signs_in`` (the password was right and, when the account
    has one, its second factor) notes the account's last sign-in; one that replaces a session
    after a password change does not (``signs_in=False``)."""
    token = secrets.token_urlsafe(32)
    session_id = secrets.token_hex(16)
    at = stamp(now())
    with transaction(repository, write=True) as conn:
        if replacing is not None:
            _delete_token(conn, replacing)
        conn.execute(
            web_sessions.insert().values(
                id=session_id,
                token_sha256=token_hash(token),
                user_name=user_name,
                stage=stage.value,
                csrf=secrets.token_hex(32),
                created_at=at,
                seen_at=at,
            )
        )
        if stage is Stage.FULL and signs_in:
            conn.execute(
                web_users.update().where(web_users.c.name == user_name).values(last_sign_in_at=at)
            )
        row = _joined(conn).where(web_sessions.c.id == session_id)
        return token, _session(conn.execute(row).one())


def _joined(_conn: Connection) -> Any:
    return sa.select(
        web_sessions,
        web_users.c.role,
        web_users.c.must_change,
        web_users.c.disabled_at,
    ).join(web_users, web_users.c.name == web_sessions.c.user_name)


def _session(row: Any) -> Session:
    return Session(
        id=row.id,
        user_name=row.user_name,
        role=Role(row.role),
        stage=Stage(row.stage),
        csrf=row.csrf,
        must_change=bool(row.must_change),
        created_at=row.created_at,
    )


def _expired(row: Any, policy: SessionPolicy, moment: dt.datetime) -> bool:
    created = parse_stamp(row.created_at)
    if row.disabled_at is not None or moment >= created + policy.lifetime:
        return True
    if row.stage == Stage.CODE and moment >= created + policy.code_stage:
        return True
    return moment >= parse_stamp(row.seen_at) + policy.idle


def find_session(
    repository: Repository,
    token: str | None,
    policy: SessionPolicy = SessionPolicy(),
    *,
    moment: dt.datetime | None = None,
) -> Session | None:
    """The live session whose token this is (its use noted), else None (an expired one is
    deleted)."""
    if not token or len(token) > 128:
        return None
    moment = moment or now()
    digest = token_hash(token)
    with transaction(repository) as conn:
        row = conn.execute(_joined(conn).where(web_sessions.c.token_sha256 == digest)).first()
    if row is None:
        return None
    if _expired(row, policy, moment):
        with transaction(repository, write=True) as conn:
            conn.execute(web_sessions.delete().where(web_sessions.c.id == row.id))
        return None
    if moment - parse_stamp(row.seen_at) >= SEEN_EVERY:
        with transaction(repository, write=True) as conn:
            conn.execute(
                web_sessions.update()
                .where(web_sessions.c.id == row.id)
                .values(seen_at=stamp(moment))
            )
    return _session(row)


def _delete_token(conn: Connection, token: str) -> None:
    conn.execute(web_sessions.delete().where(web_sessions.c.token_sha256 == token_hash(token)))


def revoke_session(repository: Repository, token: str) -> None:
    """End the session whose token this is (nothing happens for an unknown token)."""
    with transaction(repository, write=True) as conn:
        _delete_token(conn, token)


def revoke_user_sessions(repository: Repository, user_name: str) -> int:
    """End every session of an account; return how many there were."""
    with transaction(repository, write=True) as conn:
        done = conn.execute(web_sessions.delete().where(web_sessions.c.user_name == user_name))
        return int(done.rowcount or 0)


def sweep_sessions(
    repository: Repository,
    policy: SessionPolicy = SessionPolicy(),
    *,
    moment: dt.datetime | None = None,
) -> int:
    """Delete the sessions past their lifetime or idle for too long; return how many."""
    moment = moment or now()
    idle_since = stamp(moment - policy.idle)
    born_before = stamp(moment - policy.lifetime)
    with transaction(repository, write=True) as conn:
        done = conn.execute(
            web_sessions.delete().where(
                sa.or_(
                    web_sessions.c.seen_at <= idle_since, web_sessions.c.created_at <= born_before
                )
            )
        )
        return int(done.rowcount or 0)
