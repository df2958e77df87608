"""Administrative actions in HQ's audit log (accounts added, disabled, reset; devices revoked or
declared lost) and each account's last sign-in, on SQLite and PostgreSQL: through the use cases
and through ``fieldkit-hq``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldkit.errors import ConflictError, InvalidInputError, NotFoundError
from fieldkit.hq import accounts, audit, devices
from fieldkit.hq.accounts import Role, Stage
from fieldkit.hq.cli import main as hq_main
from fieldkit.hq.cli.commands_review import default_actor
from fieldkit.hq.keys import HqKeys
from fieldkit.hq.paths import HqPaths
from fieldkit.hq.repository import Repository, open_repository, sqlite_url
from fieldkit.hq.workspace import users
from tests.hq import factory
from tests.hq.support import Keys, Run

PASSWORD = "copper kettle marsh lantern 71"
_KEYS = Keys()
KEYS = HqKeys(ingest_identity=_KEYS.hq[0], signing_key=_KEYS.hq_signing)
PUBLIC = _KEYS.hq_signing.public.public_key


def logged(repository: Repository) -> list[tuple[str, str, str | None, dict[str, object]]]:
    return [(e.actor, e.action, e.subject, e.detail) for e in audit.entries(repository)]


def verifies(repository: Repository) -> bool:
    return audit.verify(repository, PUBLIC).ok


def test_account_actions_append_one_entry_each(sql_repository: Repository) -> None:
    repo = sql_repository
    accounts.add_account(repo, KEYS, "amina", "dede", Role.ANALYST, PASSWORD)
    _user, temporary = users.add_with_temporary_password(repo, KEYS, "amina", "eli", "viewer")
    reset = users.reset(repo, KEYS, "amina", "dede")
    users.disable(repo, KEYS, "amina", "eli")
    assert logged(repo) == [
        ("amina", "user_added", "dede", {"role": "analyst"}),
        ("amina", "user_added", "eli", {"role": "viewer"}),
        ("amina", "user_reset", "dede", {"role": "analyst"}),
        ("amina", "user_disabled", "eli", {"role": "viewer"}),
    ]
    everything = json.dumps([e.to_json() for e in audit.entries(repo)])
    assert PASSWORD not in everything and temporary not in everything and reset not in everything
    report = audit.verify(repo, PUBLIC)
    assert report.ok and (report.entries, report.signed_items) == (4, 0)
    # disabling an account disabled already changes nothing and logs nothing
    accounts.disable_account(repo, KEYS, "amina", "eli")
    assert len(logged(repo)) == 4


def test_refused_account_actions_append_nothing(sql_repository: Repository) -> None:
    repo = sql_repository
    accounts.add_account(repo, KEYS, "amina", "amina", Role.ADMIN, PASSWORD)
    before = logged(repo)
    with pytest.raises(ConflictError, match="exists already"):
        accounts.add_account(repo, KEYS, "kofi", "amina", Role.VIEWER, PASSWORD)
    with pytest.raises(InvalidInputError):
        accounts.add_account(repo, KEYS, "kofi", "bob", Role.VIEWER, "short")
    with pytest.raises(InvalidInputError, match="not a usable account name"):
        users.add_with_temporary_password(repo, KEYS, "kofi", "Bob Smith", "viewer")
    with pytest.raises(InvalidInputError, match="printable characters"):
        accounts.add_account(repo, KEYS, "   ", "bob", Role.VIEWER, PASSWORD)
    with pytest.raises(NotFoundError):
        users.reset(repo, KEYS, "amina", "nobody")
    with pytest.raises(NotFoundError):
        users.disable(repo, KEYS, "amina", "nobody")
    with pytest.raises(ConflictError, match="your own account"):
        users.disable(repo, KEYS, "amina", "amina")
    assert logged(repo) == before and [u.name for u in accounts.list_users(repo)] == ["amina"]
    assert verifies(repo)


def test_device_actions_append_one_entry_each(sql_repository: Repository) -> None:
    repo = sql_repository
    first, second = factory.identity("Kidal phone"), factory.identity("Gao laptop")
    for identity in (first, second):
        repo.add_device(identity, "2026-03-02T08:00:00Z")
    devices.revoke(repo, KEYS, "amina", first.key_id[:8], 5, "2026-04-01T00:00:00Z")
    devices.revoke(repo, KEYS, "amina", first.key_id, 9)  # revoked from 5 already: no change
    devices.revoke(repo, KEYS, "bakary", first.key_id, 2, "2026-04-02T00:00:00Z")
    devices.declare_lost(repo, KEYS, "amina", second.key_id, 1, "2026-04-03T00:00:00Z")
    devices.declare_lost(repo, KEYS, "amina", second.key_id, 1)  # lost already: no change
    assert logged(repo) == [
        ("amina", "device_revoked", first.key_id, {"from_sequence": 5}),
        ("bakary", "device_revoked", first.key_id, {"from_sequence": 2}),
        ("amina", "device_lost", second.key_id, {"from_sequence": 1}),
    ]
    assert [e.at for e in audit.entries(repo)] == [
        "2026-04-01T00:00:00Z",
        "2026-04-02T00:00:00Z",
        "2026-04-03T00:00:00Z",
    ]
    assert verifies(repo)


def test_refused_device_actions_append_nothing(sql_repository: Repository) -> None:
    repo = sql_repository
    identity = factory.identity()
    repo.add_device(identity, "2026-03-02T08:00:00Z")
    with pytest.raises(InvalidInputError, match="bundle number must be 1 or more"):
        devices.revoke(repo, KEYS, "amina", identity.key_id, 0)
    with pytest.raises(NotFoundError):
        devices.declare_lost(repo, KEYS, "amina", "0123456789", 1)
    with pytest.raises(InvalidInputError, match="printable characters"):
        devices.declare_lost(repo, KEYS, "", identity.key_id, 1)
    assert logged(repo) == []
    device = repo.device(identity.key_id)
    assert device is not None and (device.revoked_from, device.lost_at) == (None, None)


def test_the_last_sign_in_is_kept_after_the_session_ends(sql_repository: Repository) -> None:
    repo = sql_repository
    accounts.add_user(repo, "dede", Role.ANALYST, PASSWORD)
    accounts.add_user(repo, "eli", Role.VIEWER, PASSWORD)
    assert [row.signed_in_at for row in users.users_overview(repo)] == [None, None]
    halfway, _pending = accounts.create_session(repo, "dede", Stage.CODE)  # second factor awaited
    assert accounts.find_user(repo, "dede").last_sign_in_at is None  # type: ignore[union-attr]
    token, session = accounts.create_session(repo, "dede", Stage.FULL, replacing=halfway)
    found = accounts.find_user(repo, "dede")
    assert found is not None and found.last_sign_in_at == session.created_at
    accounts.revoke_session(repo, token)  # signed out: the last sign-in stays
    rows = {row.name: row for row in users.users_overview(repo)}
    assert (rows["dede"].signed_in_at, rows["dede"].sessions) == (session.created_at, 0)
    assert rows["eli"].signed_in_at is None
    # a new session after a password change is no sign-in
    accounts.create_session(repo, "eli", Stage.FULL, signs_in=False)
    assert accounts.find_user(repo, "eli").last_sign_in_at is None  # type: ignore[union-attr]


def test_the_commands_log_device_actions_as_the_login_name(
    capsys: pytest.CaptureFixture[str], hq_dir: Path
) -> None:
    hq = Run(capsys, hq_main, "fieldkit-hq")
    hq("init", "--name", "Mission HQ")
    identity = factory.identity("Mopti tablet")
    repository = open_repository(sqlite_url(HqPaths(hq_dir).database))
    try:
        repository.add_device(identity, "2026-03-02T08:00:00Z")
    finally:
        repository.close()
    hq("devices", "revoke", identity.key_id, "--from-seq", "0", code=2)
    hq("devices", "lost", "0123456789abcdef", code=1)
    assert json.loads(hq("audit", "--json")) == []
    hq("devices", "revoke", identity.key_id[:8], "--from-seq", "4")
    hq("devices", "revoke", identity.key_id, "--from-seq", "6")  # no change: not logged
    hq("devices", "lost", identity.key_id, "--by", "kofi")
    entries = json.loads(hq("audit", "--json"))
    assert [(e["actor"], e["action"], e["subject"], e["detail"]) for e in entries] == [
        (default_actor(), "device_revoked", identity.key_id, {"from_sequence": 4}),
        ("kofi", "device_lost", identity.key_id, {"from_sequence": 1}),
    ]
    assert "The audit log verifies: 2 entries" in hq("audit", "--verify")
