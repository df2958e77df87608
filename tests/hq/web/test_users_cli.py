"""``fieldkit-hq users add|list|disable|reset``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldkit.hq import accounts
from fieldkit.hq.cli import main as hq_main
from fieldkit.hq.cli.commands_review import default_actor
from fieldkit.hq.cli.commands_users import PASSWORD_ENV
from fieldkit.hq.paths import HqPaths
from fieldkit.hq.repository import open_repository, sqlite_url
from tests.hq.support import Run

GOOD = "copper kettle marsh lantern 71"


def test_users_commands(
    capsys: pytest.CaptureFixture[str],
    hq_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hq = Run(capsys, hq_main, "fieldkit-hq")
    hq("init", "--name", "Mission HQ")
    assert "No accounts yet" in hq("users", "list")

    password_file = tmp_path / "password.txt"
    password_file.write_text(GOOD + "\n")
    shown = hq("users", "add", "ana", "--role", "analyst", "--password-file", str(password_file))
    assert shown == "Added the account ana (analyst).\n"
    monkeypatch.setenv(PASSWORD_ENV, "violet quarry heron window 38")
    hq("users", "add", "root", "--role", "ADMIN")
    monkeypatch.delenv(PASSWORD_ENV)

    listed = hq("users", "list").splitlines()
    assert listed[0].split() == [
        "Name", "Role", "Second", "factor", "State", "Last", "sign-in", "Created"
    ]  # fmt: skip
    assert listed[2].split()[:5] == ["ana", "analyst", "no", "active", "never"]
    assert listed[3].split()[:5] == ["root", "admin", "no", "active", "never"]

    repository = open_repository(sqlite_url(HqPaths(hq_dir).database))
    token, session = accounts.create_session(repository, "ana", accounts.Stage.FULL)
    assert hq("users", "list").splitlines()[2].split()[4] == session.created_at
    shown = hq("users", "reset", "ana")
    temporary = shown.split("Temporary password")[1].split()[0]
    assert accounts.find_session(repository, token) is None
    assert accounts.authenticate(repository, "ana", temporary).must_change
    assert "must change password" in hq("users", "list")
    assert "Disabled the account ana" in hq("users", "disable", "ana")
    with pytest.raises(accounts.SignInRefusedError):
        accounts.authenticate(repository, "ana", temporary)
    repository.close()
    assert "disabled" in hq("users", "list")
    assert temporary not in hq.err

    logged = json.loads(hq("audit", "--json"))
    assert [(e["action"], e["subject"], e["detail"]) for e in logged] == [
        ("user_added", "ana", {"role": "analyst"}),
        ("user_added", "root", {"role": "admin"}),
        ("user_reset", "ana", {"role": "analyst"}),
        ("user_disabled", "ana", {"role": "analyst"}),
    ]
    assert {e["actor"] for e in logged} == {default_actor()}
    assert temporary not in json.dumps(logged) and GOOD not in json.dumps(logged)
    assert "The audit log verifies: 4 entries" in hq("audit", "--verify")
    hq("users", "disable", "ana", "--by", "kofi")  # disabled already: nothing to log
    hq("users", "reset", "root", "--by", "kofi")
    (last,) = json.loads(hq("audit", "--json"))[4:]
    assert (last["actor"], last["action"], last["subject"]) == ("kofi", "user_reset", "root")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["users", "add", "Ana Smith", "--role", "viewer"], "not a usable account name"),
        (["users", "add", "bob", "--role", "boss"], "'boss' is not a role."),
        (["users", "add", "bob", "--role", "anlyst"], "Did you mean 'analyst'?"),
        (["users", "add", "bob", "--role", "viewer"], "No password given"),
        (["users", "disable", "nobody"], "No account named 'nobody'."),
        (["users", "reset", "nobody"], "No account named 'nobody'."),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], hq_dir: Path, args: list[str], message: str
) -> None:
    hq = Run(capsys, hq_main, "fieldkit-hq")
    hq("init", "--name", "Mission HQ")
    hq(*args, code=1)
    assert message in hq.err
    assert "No accounts yet" in hq("users", "list")
    assert json.loads(hq("audit", "--json")) == []


def test_a_weak_or_repeated_account_is_refused(
    capsys: pytest.CaptureFixture[str], hq_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hq = Run(capsys, hq_main, "fieldkit-hq")
    hq("init", "--name", "Mission HQ")
    monkeypatch.setenv(PASSWORD_ENV, "short")
    hq("users", "add", "bob", "--role", "viewer", code=1)
    assert "at least 12 characters" in hq.err and "short" not in hq.err
    monkeypatch.setenv(PASSWORD_ENV, GOOD)
    hq("users", "add", "bob", "--role", "viewer")
    hq("users", "add", "bob", "--role", "admin", code=1)
    assert "exists already; nothing was changed" in hq.err
    assert [e["action"] for e in json.loads(hq("audit", "--json"))] == ["user_added"]
    assert "viewer" in hq("users", "list")
    hq("users", code=2)  # no action: a usage error
