"""The users overview and account changes of the workspace (fieldkit.hq.workspace.users) on
SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from fieldkit.errors import ConflictError, InvalidInputError
from fieldkit.hq import accounts
from fieldkit.hq.accounts import Role, SessionPolicy, Stage
from fieldkit.hq.keys import HqKeys
from fieldkit.hq.repository import Repository
from fieldkit.hq.workspace import users
from tests.hq.support import Keys

_KEYS = Keys()
KEYS = HqKeys(ingest_identity=_KEYS.hq[0], signing_key=_KEYS.hq_signing)

PASSWORD = "copper kettle marsh lantern 71"


def test_the_overview_shows_live_sessions_only(sql_repository: Repository) -> None:
    for name, role in (("amina", Role.ADMIN), ("bakary", Role.ANALYST), ("chloe", Role.VIEWER)):
        accounts.add_user(sql_repository, name, role, PASSWORD)
    _token, first = accounts.create_session(sql_repository, "amina", Stage.FULL)
    accounts.create_session(sql_repository, "amina", Stage.FULL)
    accounts.create_session(sql_repository, "bakary", Stage.CODE)  # not signed in yet
    accounts.disable_user(sql_repository, "chloe")

    rows = {row.name: row for row in users.users_overview(sql_repository)}

    assert list(rows) == ["amina", "bakary", "chloe"]
    assert rows["amina"].sessions == 2 and rows["amina"].signed_in_at is not None
    assert rows["amina"].signed_in_at >= first.created_at
    assert rows["amina"].seen_at is not None and rows["amina"].state == "active"
    assert (rows["bakary"].sessions, rows["bakary"].signed_in_at) == (0, None)
    assert rows["chloe"].state == "disabled" and rows["chloe"].user.disabled
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)  # idle for longer than allowed
    gone = users.users_overview(sql_repository, SessionPolicy(), later)
    assert [row.sessions for row in gone] == [0, 0, 0]


def test_a_new_account_gets_a_temporary_password(sql_repository: Repository) -> None:
    user, temporary = users.add_with_temporary_password(
        sql_repository, KEYS, "amina", "dede", "analyst"
    )
    assert (user.name, user.role, user.must_change) == ("dede", Role.ANALYST, True)
    assert accounts.authenticate(sql_repository, "dede", temporary).must_change
    (row,) = users.users_overview(sql_repository)
    assert row.state == "must change password"


@pytest.mark.parametrize(
    ("name", "role", "error", "says"),
    [
        ("Dede", "analyst", InvalidInputError, "not a usable account name"),
        ("dede", "owner", InvalidInputError, "is not a role"),
    ],
)
def test_bad_new_accounts_are_refused(
    sql_repository: Repository, name: str, role: str, error: type[Exception], says: str
) -> None:
    with pytest.raises(error, match=says):
        users.add_with_temporary_password(sql_repository, KEYS, "amina", name, role)
    assert accounts.list_users(sql_repository) == []


def test_a_name_in_use_is_refused(sql_repository: Repository) -> None:
    accounts.add_user(sql_repository, "dede", Role.VIEWER, PASSWORD)
    with pytest.raises(ConflictError, match="exists already"):
        users.add_with_temporary_password(sql_repository, KEYS, "amina", "dede", "admin")
    (user,) = accounts.list_users(sql_repository)
    assert user.role == Role.VIEWER


def test_an_admin_cannot_disable_themselves(sql_repository: Repository) -> None:
    accounts.add_user(sql_repository, "amina", Role.ADMIN, PASSWORD)
    accounts.add_user(sql_repository, "bakary", Role.ADMIN, PASSWORD)
    with pytest.raises(ConflictError, match="cannot disable your own account"):
        users.disable(sql_repository, KEYS, "amina", "amina")
    assert not accounts.find_user(sql_repository, "amina").disabled  # type: ignore[union-attr]
    assert users.disable(sql_repository, KEYS, "bakary", "amina").disabled


def test_a_reset_gives_a_new_temporary_password(sql_repository: Repository) -> None:
    accounts.add_user(sql_repository, "amina", Role.ADMIN, PASSWORD)
    accounts.create_session(sql_repository, "amina", Stage.FULL)
    temporary = users.reset(sql_repository, KEYS, "bakary", "amina")
    assert accounts.authenticate(sql_repository, "amina", temporary).must_change
    assert users.users_overview(sql_repository)[0].sessions == 0
