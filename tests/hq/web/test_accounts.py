"""The account use cases on SQLite and PostgreSQL: users, lock-out, sessions, reveals, TOTP."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest
import sqlalchemy as sa

from fieldkit.crypto.identity import SigningKey
from fieldkit.hq import accounts
from fieldkit.hq.accounts import Role, SessionPolicy, Stage, totp
from fieldkit.hq.accounts.passwords import verify_password
from fieldkit.hq.errors import ConflictError, InvalidInputError, NotFoundError
from fieldkit.hq.repository import Repository
from fieldkit.hq.repository.tables_web import web_sessions, web_users

GOOD = "copper kettle marsh lantern 71"
OTHER = "violet quarry heron window 38"
T0 = dt.datetime(2026, 12, 8, 9, 0, tzinfo=dt.UTC)
KEY = totp.sealing_key(SigningKey.generate())


@pytest.fixture
def repo(sql_repository: Repository) -> Repository:
    return sql_repository


def _rows(repo: Repository, table: sa.Table) -> list[sa.Row[tuple[object, ...]]]:
    with repo.engine.connect() as conn:  # type: ignore[attr-defined]
        return list(conn.execute(sa.select(table)).all())


def test_add_list_and_refusals(repo: Repository) -> None:
    added = accounts.add_user(repo, "ana", Role.ANALYST, GOOD)
    assert (added.name, added.role, added.must_change, added.second_factor) == (
        "ana",
        Role.ANALYST,
        False,
        False,
    )
    stored = _rows(repo, web_users)[0]
    assert GOOD not in stored.password_hash and stored.password_hash.startswith("$argon2id$")
    with pytest.raises(ConflictError, match="exists already"):
        accounts.add_user(repo, "ana", Role.VIEWER, OTHER)
    with pytest.raises(InvalidInputError, match="not a usable account name"):
        accounts.add_user(repo, "Ana Smith", Role.VIEWER, GOOD)
    with pytest.raises(InvalidInputError, match="at least 12 characters"):
        accounts.add_user(repo, "bob", Role.VIEWER, "short")
    with pytest.raises(InvalidInputError, match="too easy to guess"):
        accounts.add_user(repo, "bob", Role.VIEWER, "password1234")
    assert [u.name for u in accounts.list_users(repo)] == ["ana"]
    with pytest.raises(InvalidInputError, match=r"not a role.*analyst"):
        accounts.parse_role("analyts")


def test_roles_include_the_lower_ones() -> None:
    assert Role.ADMIN.includes(Role.ANALYST) and Role.ANALYST.includes(Role.VIEWER)
    assert not Role.VIEWER.includes(Role.ANALYST) and not Role.ANALYST.includes("admin")


def test_authenticate_and_lock_out(repo: Repository) -> None:
    accounts.add_user(repo, "ana", Role.ANALYST, GOOD)
    policy = accounts.LockoutPolicy(failures=3, minutes=15)
    assert accounts.authenticate(repo, "ana", GOOD, policy=policy, moment=T0).name == "ana"
    unknown = pytest.raises(accounts.SignInRefusedError)
    with unknown as refused_unknown:
        accounts.authenticate(repo, "nobody", GOOD, policy=policy, moment=T0)
    for _ in range(3):
        with pytest.raises(accounts.SignInRefusedError) as refused_wrong:
            accounts.authenticate(repo, "ana", OTHER, policy=policy, moment=T0)
    assert str(refused_unknown.value) == str(refused_wrong.value)  # one answer for all
    # locked: even the right password is refused, until the lock ends
    with pytest.raises(accounts.SignInRefusedError):
        accounts.authenticate(repo, "ana", GOOD, policy=policy, moment=T0)
    later = T0 + dt.timedelta(minutes=16)
    assert accounts.authenticate(repo, "ana", GOOD, policy=policy, moment=later).name == "ana"
    assert _rows(repo, web_users)[0].failures == 0


def test_disable_ends_sessions_and_sign_in(repo: Repository) -> None:
    accounts.add_user(repo, "ana", Role.ANALYST, GOOD)
    token, _session = accounts.create_session(repo, "ana", Stage.FULL)
    assert accounts.find_session(repo, token) is not None
    assert accounts.disable_user(repo, "ana").disabled
    assert accounts.find_session(repo, token) is None
    with pytest.raises(accounts.SignInRefusedError):
        accounts.authenticate(repo, "ana", GOOD)
    with pytest.raises(NotFoundError, match="No account named 'bob'"):
        accounts.disable_user(repo, "bob")


def test_reset_gives_a_temporary_password_and_clears_the_rest(repo: Repository) -> None:
    accounts.add_user(repo, "ana", Role.ANALYST, GOOD)
    secret = totp.begin_setup(repo, KEY, "ana")
    totp.confirm_setup(repo, KEY, "ana", pyotp.TOTP(secret).at(T0), moment=T0)
    policy = accounts.LockoutPolicy(failures=1)
    with pytest.raises(accounts.SignInRefusedError):
        accounts.authenticate(repo, "ana", OTHER, policy=policy)
    token, _session = accounts.create_session(repo, "ana", Stage.FULL)
    temporary = accounts.reset_user(repo, "ana")
    assert accounts.find_session(repo, token) is None
    user = accounts.authenticate(repo, "ana", temporary)
    assert user.must_change and not user.second_factor
    with pytest.raises(InvalidInputError, match="current password is wrong"):
        accounts.change_password(repo, "ana", GOOD, OTHER, OTHER)
    with pytest.raises(InvalidInputError, match="differ"):
        accounts.change_password(repo, "ana", temporary, OTHER, OTHER + "x")
    accounts.change_password(repo, "ana", temporary, OTHER, OTHER)
    assert not accounts.authenticate(repo, "ana", OTHER).must_change


def test_sessions_store_only_a_hash_and_expire(repo: Repository) -> None:
    accounts.add_user(repo, "ana", Role.ANALYST, GOOD)
    token, session = accounts.create_session(repo, "ana", Stage.FULL)
    row = _rows(repo, web_sessions)[0]
    assert token not in (row.id, row.token_sha256, row.csrf)
    assert session.csrf_matches(session.csrf) and not session.csrf_matches("x" * 64)
    policy = SessionPolicy(idle=dt.timedelta(minutes=10), lifetime=dt.timedelta(hours=1))
    created = accounts.store.parse_stamp(row.created_at)
    step = dt.timedelta(minutes=9)
    moment = created
    for _ in range(6):  # used every 9 minutes: alive until the lifetime ends
        moment += step
        assert accounts.find_session(repo, token, policy, moment=moment) is not None
    moment += step
    assert accounts.find_session(repo, token, policy, moment=moment) is None
    assert _rows(repo, web_sessions) == []  # deleted when found expired

    token, _session = accounts.create_session(repo, "ana", Stage.FULL)
    idle = accounts.store.now() + dt.timedelta(minutes=11)
    assert accounts.find_session(repo, token, policy, moment=idle) is None
    assert accounts.find_session(repo, "not a token") is None


def test_a_new_step_replaces_the_session_and_revoking_ends_it(repo: Repository) -> None:
    accounts.add_user(repo, "ana", Role.ANALYST, GOOD)
    first, pending = accounts.create_session(repo, "ana", Stage.CODE)
    assert pending.stage == Stage.CODE
    second, _session = accounts.create_session(repo, "ana", Stage.FULL, replacing=first)
    assert accounts.find_session(repo, first) is None
    assert accounts.find_session(repo, second) is not None
    accounts.create_session(repo, "ana", Stage.FULL)
    assert accounts.revoke_user_sessions(repo, "ana") == 2
    assert accounts.find_session(repo, second) is None


def test_sweep_removes_only_expired_sessions(repo: Repository) -> None:
    accounts.add_user(repo, "ana", Role.ANALYST, GOOD)
    token, _session = accounts.create_session(repo, "ana", Stage.FULL)
    assert accounts.sweep_sessions(repo) == 0
    later = accounts.store.now() + dt.timedelta(hours=13)
    assert accounts.sweep_sessions(repo, moment=later) == 1
    assert accounts.find_session(repo, token) is None


def test_reveals_last_for_their_session_and_time(repo: Repository) -> None:
    accounts.add_user(repo, "ana", Role.ANALYST, GOOD)
    token, session = accounts.create_session(repo, "ana", Stage.FULL)
    reveals = accounts.SessionReveals(repo, minutes=15)
    record = "de" + "0" * 30
    assert not reveals.active(session, record)
    reveals.grant(session, record, moment=T0)
    assert reveals.active(session, record, moment=T0 + dt.timedelta(minutes=14))
    assert not reveals.active(session, record, moment=T0 + dt.timedelta(minutes=15))
    assert not reveals.active(session, "de" + "1" * 30, moment=T0)
    reveals.grant(session.id, record)
    assert reveals.active(session, record)
    accounts.revoke_session(repo, token)  # the reveal goes with its session
    assert not reveals.active(session, record)


def test_second_factor_set_up_and_codes(repo: Repository) -> None:
    accounts.add_user(repo, "ana", Role.ANALYST, GOOD)
    secret = totp.begin_setup(repo, KEY, "ana")
    assert totp.begin_setup(repo, KEY, "ana") == secret  # the pending one, until confirmed
    assert "otpauth://totp/" in totp.provisioning_uri(secret, "ana", "Demo HQ")
    with pytest.raises(InvalidInputError, match="not right"):
        totp.confirm_setup(repo, KEY, "ana", "000000", moment=T0)
    generator = pyotp.TOTP(secret)
    totp.confirm_setup(repo, KEY, "ana", generator.at(T0), moment=T0)
    assert accounts.find_user(repo, "ana").second_factor  # type: ignore[union-attr]
    with pytest.raises(ConflictError):
        totp.begin_setup(repo, KEY, "ana")
    later = T0 + dt.timedelta(minutes=5)
    totp.verify_code(repo, KEY, "ana", generator.at(later), moment=later)
    with pytest.raises(accounts.SignInRefusedError):  # a code is good once
        totp.verify_code(repo, KEY, "ana", generator.at(later), moment=later)
    policy = accounts.LockoutPolicy(failures=2)
    for _ in range(2):
        with pytest.raises(accounts.SignInRefusedError):
            totp.verify_code(repo, KEY, "ana", "123456", policy=policy, moment=later)
    even_right = later + dt.timedelta(minutes=1)
    with pytest.raises(accounts.SignInRefusedError):  # wrong codes lock the account too
        totp.verify_code(repo, KEY, "ana", generator.at(even_right), moment=even_right)


def test_second_factor_keys_are_stored_sealed(repo: Repository) -> None:
    accounts.add_user(repo, "ana", Role.ANALYST, GOOD)
    accounts.add_user(repo, "bob", Role.ANALYST, OTHER)
    secret = totp.begin_setup(repo, KEY, "ana")
    totp.confirm_setup(repo, KEY, "ana", pyotp.TOTP(secret).at(T0), moment=T0)
    stored = {row.name: row.totp_secret for row in _rows(repo, web_users)}
    assert secret not in str(stored) and stored["ana"]
    with repo.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(  # the sealed key moved to another account does not open there
            web_users.update().where(web_users.c.name == "bob").values(totp_secret=stored["ana"])
        )
    later = T0 + dt.timedelta(minutes=1)
    with pytest.raises(accounts.SignInRefusedError):
        totp.verify_code(repo, KEY, "bob", pyotp.TOTP(secret).at(later), moment=later)
    other_hq = totp.sealing_key(SigningKey.generate())
    with pytest.raises(accounts.SignInRefusedError):  # nor with another HQ's key
        totp.verify_code(repo, other_hq, "ana", pyotp.TOTP(secret).at(later), moment=later)
    totp.verify_code(repo, KEY, "ana", pyotp.TOTP(secret).at(later), moment=later)


def test_passwords_verify_the_same_way_without_an_account() -> None:
    assert not verify_password(None, GOOD)
