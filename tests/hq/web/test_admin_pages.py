"""The admins' pages (devices, forms, users) on the real workspace server: who may open and use
them, and that what they change is what ``fieldkit-hq`` sees."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fieldkit.bundle import read_published_form
from fieldkit.hq import accounts, audit, deliveries
from fieldkit.hq.keys import load_config
from fieldkit.hq.repository import Repository, open_repository
from tests.conftest import DATA
from tests.hq import factory
from tests.hq.web.conftest import _quick
from tests.hq.web.support import WebServer, WorkspaceClient, WorkspaceHq

ROOT = Path(__file__).resolve().parents[3]
_MAIN = "import sys; from fieldkit.hq.cli import main; sys.exit(main(sys.argv[1:]))"
ADMIN_PAGES = ("/devices", "/forms", "/users")

Client = Callable[[str], WorkspaceClient]


@pytest.fixture(scope="module")
def web_server(
    workspace_hq: WorkspaceHq, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebServer]:
    """The workspace of these tests, which sign in more often than the default limit allows."""
    log = tmp_path_factory.mktemp("admin-web-log") / "web.log"
    with pytest.MonkeyPatch.context() as patch:
        _quick(patch, tmp_path_factory.mktemp("admin-web-home"))
        running = WebServer(workspace_hq, log, "--sign-ins-per-minute", "1000").start()
    yield running
    running.stop()


@pytest.fixture
def repository(workspace_hq: WorkspaceHq) -> Iterator[Repository]:
    opened = open_repository(workspace_hq.db_url)
    yield opened
    opened.close()


def new_device(repository: Repository, name: str = "Menaka tablet") -> str:
    identity = factory.identity(name)
    repository.add_device(identity, "2026-06-01T08:00:00Z")
    return identity.key_id


def hq_cli(hq: WorkspaceHq, *args: str) -> str:
    env = dict(os.environ, FIELDKIT_HQ_PASSPHRASE=hq.passphrase)
    command = [sys.executable, "-c", _MAIN, "--hq", str(hq.root), "--db", hq.db_url, *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("role", ["analyst", "viewer"])
def test_only_admins_open_the_admin_pages_or_change_anything(
    http_as: Client, repository: Repository, role: str
) -> None:
    key_id = new_device(repository)
    client = http_as(role)
    users_before = accounts.list_users(repository)  # after the sign-in, which it notes
    token = client.csrf("/account")
    for path in ADMIN_PAGES:
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert key_id not in answer.text and "Gao field laptop" not in answer.text
    confirmed = {"csrf": token, "confirm": "yes", "from_seq": "1"}
    posts = {
        f"/devices/{key_id}/revoke": confirmed,
        f"/devices/{key_id}/lost": confirmed,
        "/users": {"csrf": token, "name": f"intruder{role}", "role": "admin"},
        "/users/admin/disable": confirmed,
        "/users/admin/reset": confirmed,
    }
    for path, data in posts.items():
        answer = client.post(path, data=data)
        assert answer.status_code == 403, path
        assert "Temporary password" not in answer.text
    device = repository.device(key_id)
    assert device is not None and (device.revoked_from, device.lost_at) == (None, None)
    assert accounts.list_users(repository) == users_before


def test_the_devices_page_lists_state_gaps_and_alarms(
    http_as: Client, repository: Repository
) -> None:
    key_id = new_device(repository, "Ansongo phone")
    for sequence in (1, 4):
        # bundles without revisions: the demonstration's records stay as they are
        repository.store_bundle(factory.batch(key_id, sequence, [], forms=()))
    page = http_as("admin").get("/devices")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    row = page.text[page.text.index(f'id="device-{key_id}"') :]
    row = row[: row.index("</tr>")]
    assert "Ansongo phone" in row and "active" in row
    assert "2 bundles" in row and "last: number 4" in row
    assert '<td class="missing">2-3</td>' in row
    assert f"/devices/{key_id}/revoke" in page.text and f"/devices/{key_id}/lost" in page.text


def test_revoke_and_lost_through_the_web_show_in_devices_list(
    http_as: Client, repository: Repository, workspace_hq: WorkspaceHq
) -> None:
    revoked, lost = new_device(repository, "Revoked one"), new_device(repository, "Lost one")
    client = http_as("admin")
    token = client.csrf("/devices")
    answer = client.post(
        f"/devices/{revoked}/revoke", data={"csrf": token, "from_seq": "3", "confirm": "yes"}
    )
    assert answer.status_code == 200, answer.text
    assert f"Device {revoked} is revoked from bundle 3 on" in answer.text
    answer = client.post(
        f"/devices/{lost[:10]}/lost", data={"csrf": token, "from_seq": "", "confirm": "yes"}
    )
    assert answer.status_code == 200, answer.text
    assert f"Device {lost} is declared lost" in answer.text
    listed = {d["key_id"]: d for d in json.loads(hq_cli(workspace_hq, "devices", "list", "--json"))}
    assert (listed[revoked]["revoked_from"], listed[revoked]["lost_at"]) == (3, None)
    assert listed[lost]["revoked_from"] == 1 and listed[lost]["lost_at"]
    table = hq_cli(workspace_hq, "devices", "list")
    assert "revoked from bundle 3" in table and "lost (erase ordered" in table


@pytest.mark.parametrize(
    ("data", "status", "says"),
    [
        ({"from_seq": "1"}, 400, "Tick the box that confirms it"),
        ({"from_seq": "1", "confirm": "no"}, 400, "Tick the box that confirms it"),
        ({"from_seq": "0", "confirm": "yes"}, 400, "not a bundle number"),
        ({"from_seq": "two", "confirm": "yes"}, 400, "not a bundle number"),
    ],
)
def test_a_revocation_without_confirmation_or_with_a_bad_number_changes_nothing(
    http_as: Client, repository: Repository, data: dict[str, str], status: int, says: str
) -> None:
    key_id = new_device(repository)
    client = http_as("admin")
    data = {**data, "csrf": client.csrf("/devices")}
    for action in ("revoke", "lost"):
        answer = client.post(f"/devices/{key_id}/{action}", data=data)
        assert answer.status_code == status and says in answer.text
    device = repository.device(key_id)
    assert device is not None and (device.revoked_from, device.lost_at) == (None, None)


def test_an_unknown_device_and_a_missing_csrf_token(http_as: Client) -> None:
    client = http_as("admin")
    token = client.csrf("/devices")
    unknown = client.post(
        "/devices/0123456789abcdef/revoke", data={"csrf": token, "confirm": "yes"}
    )
    assert unknown.status_code == 404
    forged = client.post("/devices/0123456789abcdef/revoke", data={"confirm": "yes"})
    assert forged.status_code == 403


def test_the_forms_page_shows_published_forms_and_their_devices(
    http_as: Client, workspace_hq: WorkspaceHq, repository: Repository
) -> None:
    source = DATA / "forms" / "all-types.yaml"
    hq_cli(
        workspace_hq,
        "forms",
        "publish",
        str(source),
        "--vocabularies",
        str(ROOT / "forms" / "vocabularies"),
    )
    key_id = new_device(repository, "Kayes tablet")
    signed = read_published_form(
        (workspace_hq.paths.forms / "all-types-1.fkf").read_bytes(),
        load_config(workspace_hq.paths).signing_public_key,
    )
    deliveries.record(repository, key_id, signed.sha256, "2026-06-03T09:00:00Z")
    client = http_as("admin")
    page = client.get("/forms")
    assert page.status_code == 200
    assert "all-types-1.fkf" in page.text and "All field types" in page.text
    assert "verified" in page.text and "current" in page.text
    row = page.text[page.text.index('id="form-all-types-1"') :]
    row = row[: row.index("</tr>")]
    assert "Kayes tablet" in row and "first 2026-06-03T09:00:00Z" in row
    client.post("/language", data={"csrf": client.csrf("/forms"), "lang": "fr", "next": "/forms"})
    assert "Tous les types de champs" in client.get("/forms").text


def test_an_admin_adds_disables_and_resets_an_account(
    http_as: Client, web_server: WebServer, repository: Repository
) -> None:
    name = f"analyst-{secrets.token_hex(3)}"
    admin = http_as("admin")
    added = admin.post(
        "/users", data={"csrf": admin.csrf("/users"), "name": name, "role": "analyst"}
    )
    assert added.status_code == 200, added.text
    temporary = _temporary_password(added.text)
    user = accounts.find_user(repository, name)
    assert user is not None and user.role == accounts.Role.ANALYST and user.must_change
    assert temporary not in admin.get("/users").text  # shown once

    row = admin.get("/users").text.split(f'id="user-{name}"')[1].split("</tr>")[0]
    assert "never" in row  # not signed in yet
    newcomer = web_server.client()
    signed = newcomer.sign_in(name, temporary)
    assert signed.status_code == 303 and signed.headers["location"] == "/account"
    user = accounts.find_user(repository, name)
    assert user is not None and user.last_sign_in_at is not None
    row = admin.get("/users").text.split(f'id="user-{name}"')[1].split("</tr>")[0]
    assert user.last_sign_in_at in row and "never" not in row

    token = admin.csrf("/users")
    reset = admin.post(f"/users/{name}/reset", data={"csrf": token, "confirm": "yes"})
    assert reset.status_code == 200
    again = _temporary_password(reset.text)
    assert again != temporary
    assert newcomer.get("/account").status_code == 303  # its session ended
    assert web_server.client().sign_in(name, temporary).status_code != 303
    assert web_server.client().sign_in(name, again).status_code == 303

    disabled = admin.post(f"/users/{name}/disable", data={"csrf": token, "confirm": "yes"})
    assert disabled.status_code == 200 and f"Disabled the account {name}" in disabled.text
    user = accounts.find_user(repository, name)
    assert user is not None and user.disabled
    assert web_server.client().sign_in(name, again).status_code != 303
    newcomer.close()


def test_an_admin_cannot_disable_their_own_account(http_as: Client, repository: Repository) -> None:
    admin = http_as("admin")
    token = admin.csrf("/users")
    answer = admin.post("/users/admin/disable", data={"csrf": token, "confirm": "yes"})
    assert answer.status_code == 409
    assert "You cannot disable your own account" in answer.text
    user = accounts.find_user(repository, "admin")
    assert user is not None and not user.disabled
    assert admin.get("/users").status_code == 200


@pytest.mark.parametrize(
    ("data", "status", "says"),
    [
        ({"name": "Bad Name", "role": "viewer"}, 400, "is not a usable account name"),
        ({"name": "someone", "role": "superuser"}, 400, "is not a role"),
        ({"name": "analyst", "role": "viewer"}, 409, "exists already"),
    ],
)
def test_bad_accounts_are_refused(
    http_as: Client, repository: Repository, data: dict[str, str], status: int, says: str
) -> None:
    admin = http_as("admin")
    before = accounts.list_users(repository)  # after the sign-in, which it notes
    answer = admin.post("/users", data={**data, "csrf": admin.csrf("/users")})
    assert answer.status_code == status and says in answer.text
    assert accounts.list_users(repository) == before


def test_the_users_page_lists_accounts(http_as: Client, repository: Repository) -> None:
    page = http_as("admin").get("/users")
    assert page.status_code == 200
    for name in ("admin", "analyst", "viewer"):
        assert f'id="user-{name}"' in page.text
    row = page.text[page.text.index('id="user-admin"') :]
    row = row[: row.index("</tr>")]
    assert "live session" in row  # this very session
    admin = accounts.find_user(repository, "admin")
    assert admin is not None and admin.last_sign_in_at is not None
    assert admin.last_sign_in_at in row  # its last sign-in, kept with the account
    assert "/users/admin/disable" not in page.text  # no button to disable oneself


def _temporary_password(html: str) -> str:
    start = html.index('id="temporary-password">') + len('id="temporary-password">')
    return html[start : html.index("</code>", start)]


def test_admin_actions_on_the_web_are_logged_as_the_admin(
    http_as: Client, repository: Repository, workspace_hq: WorkspaceHq
) -> None:
    before = len(audit.entries(repository))
    key_id, other = new_device(repository, "Segou phone"), new_device(repository, "Bamako pc")
    admin = http_as("admin")
    token = admin.csrf("/users")
    name = f"viewer-{secrets.token_hex(3)}"
    confirmed = {"csrf": token, "confirm": "yes"}
    refused = [
        admin.post("/users", data={"csrf": token, "name": "analyst", "role": "viewer"}),
        admin.post("/users", data={"csrf": token, "name": "Bad Name", "role": "viewer"}),
        admin.post("/users/nobody/reset", data=confirmed),
        admin.post("/users/admin/disable", data=confirmed),
        admin.post(f"/devices/{key_id}/revoke", data={"csrf": token, "from_seq": "1"}),
        admin.post(f"/devices/{key_id}/lost", data={**confirmed, "from_seq": "0"}),
    ]
    assert [answer.status_code for answer in refused] == [409, 400, 404, 409, 400, 400]
    assert len(audit.entries(repository)) == before  # refused: nothing logged

    added = admin.post("/users", data={"csrf": token, "name": name, "role": "viewer"})
    reset = admin.post(f"/users/{name}/reset", data=confirmed)
    disabled = admin.post(f"/users/{name}/disable", data=confirmed)
    revoked = admin.post(f"/devices/{key_id}/revoke", data={**confirmed, "from_seq": "3"})
    lost = admin.post(f"/devices/{other}/lost", data={**confirmed, "from_seq": ""})
    answers = (added, reset, disabled, revoked, lost)
    assert [answer.status_code for answer in answers] == [200] * 5
    new = audit.entries(repository)[before:]
    assert [(e.actor, e.action, e.subject, e.detail) for e in new] == [
        ("admin", "user_added", name, {"role": "viewer"}),
        ("admin", "user_reset", name, {"role": "viewer"}),
        ("admin", "user_disabled", name, {"role": "viewer"}),
        ("admin", "device_revoked", key_id, {"from_sequence": 3}),
        ("admin", "device_lost", other, {"from_sequence": 1}),
    ]
    written = json.dumps([e.to_json() for e in new])
    for answer in (added, reset):
        assert _temporary_password(answer.text) not in written
    assert audit.verify(repository, load_config(workspace_hq.paths).signing_public_key).ok
    assert "The audit log verifies" in hq_cli(workspace_hq, "audit", "--verify")

    page = admin.get("/audit")
    assert page.status_code == 200
    for label in ("account added", "account reset", "account disabled", "device revoked"):
        assert label in page.text
    assert "device declared lost" in page.text and "from bundle" in page.text
    admin.post("/language", data={"csrf": token, "lang": "fr", "next": "/audit"})
    assert "compte ajouté" in admin.get("/audit").text
    admin.post("/language", data={"csrf": token, "lang": "en", "next": "/audit"})
