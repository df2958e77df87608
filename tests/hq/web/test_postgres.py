"""The workspace on PostgreSQL: the demonstration HQ, its accounts, a sign-in and a session."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from fieldkit.hq import accounts, audit, keys
from fieldkit.hq.repository import open_repository
from fieldkit.hq.web.app import create_app
from fieldkit.hq.web.state import WebSettings, WebState
from tests.hq import factory
from tests.hq.web.support import PASSWORDS, WorkspaceHq

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_signing_in_on_postgres(workspace_hq_pg: WorkspaceHq) -> None:
    repository = open_repository(workspace_hq_pg.db_url)
    try:
        assert [u.name for u in accounts.list_users(repository)] == ["admin", "analyst", "viewer"]
        secret = keys.unlock(workspace_hq_pg.paths, workspace_hq_pg.passphrase)
        config = keys.load_config(workspace_hq_pg.paths)
        state = WebState(repository, secret, workspace_hq_pg.paths, config, WebSettings())
        with TestClient(
            create_app(state), base_url="https://testserver", follow_redirects=False
        ) as client:
            page = client.get("/sign-in")
            token = page.text.split('name="csrf" value="')[1].split('"')[0]
            form = {"name": "admin", "password": PASSWORDS["admin"], "csrf": token}
            assert client.post("/sign-in", data=form).status_code == 303
            account = client.get("/account")
            assert account.status_code == 200 and ">admin</dd>" in account.text
    finally:
        repository.close()


def test_admin_actions_and_last_sign_in_on_postgres(workspace_hq_pg: WorkspaceHq) -> None:
    repository = open_repository(workspace_hq_pg.db_url)
    try:
        secret = keys.unlock(workspace_hq_pg.paths, workspace_hq_pg.passphrase)
        config = keys.load_config(workspace_hq_pg.paths)
        identity = factory.identity("Timbuktu phone")
        repository.add_device(identity, "2026-06-01T08:00:00Z")
        before = len(audit.entries(repository))
        state = WebState(repository, secret, workspace_hq_pg.paths, config, WebSettings())
        with TestClient(
            create_app(state), base_url="https://testserver", follow_redirects=False
        ) as client:
            page = client.get("/sign-in")
            token = page.text.split('name="csrf" value="')[1].split('"')[0]
            form = {"name": "admin", "password": PASSWORDS["admin"], "csrf": token}
            assert client.post("/sign-in", data=form).status_code == 303
            admin = accounts.find_user(repository, "admin")
            assert admin is not None and admin.last_sign_in_at is not None
            users_page = client.get("/users")
            token = users_page.text.split('name="csrf" value="')[1].split('"')[0]
            assert admin.last_sign_in_at in users_page.text
            yes = {"csrf": token, "confirm": "yes"}
            refused = client.post("/users", data={"csrf": token, "name": "viewer", "role": "admin"})
            assert refused.status_code == 409
            answers = [
                client.post("/users", data={"csrf": token, "name": "pg-viewer", "role": "viewer"}),
                client.post("/users/pg-viewer/reset", data=yes),
                client.post("/users/pg-viewer/disable", data=yes),
                client.post(f"/devices/{identity.key_id}/lost", data={**yes, "from_seq": "2"}),
            ]
            assert [answer.status_code for answer in answers] == [200] * 4
        new = audit.entries(repository)[before:]
        assert [(e.actor, e.action, e.subject, e.detail) for e in new] == [
            ("admin", "user_added", "pg-viewer", {"role": "viewer"}),
            ("admin", "user_reset", "pg-viewer", {"role": "viewer"}),
            ("admin", "user_disabled", "pg-viewer", {"role": "viewer"}),
            ("admin", "device_lost", identity.key_id, {"from_sequence": 2}),
        ]
        assert audit.verify(repository, config.signing_public_key).ok
    finally:
        repository.close()
