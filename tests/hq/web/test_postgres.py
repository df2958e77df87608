"""The workspace on PostgreSQL: the demonstration HQ, its accounts, a sign-in and a session."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from fieldkit.hq import accounts, keys
from fieldkit.hq.repository import open_repository
from fieldkit.hq.web.app import create_app
from fieldkit.hq.web.state import WebSettings, WebState
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
