"""Every response carries the security headers: pages, redirects, errors (400 to 500), static.

Most answers come from the real server; a 403 for a role and a 500 come from the app in this
process, with two pages of this test added to it (the workspace's own pages need no role above
viewer, and none fails)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.testclient import TestClient

from fieldkit.hq import keys
from fieldkit.hq.repository import open_repository
from fieldkit.hq.web.app import app_of, create_app
from fieldkit.hq.web.routing import Account, Role, route
from fieldkit.hq.web.security import CSP
from fieldkit.hq.web.state import WebSettings, WebState
from fieldkit.hq.web.static import static_url
from tests.hq.web.support import PASSWORDS, WebServer, WorkspaceClient, WorkspaceHq

EXPECTED = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "x-frame-options": "DENY",
}


def _check(answer: httpx.Response, *, cached: bool = False) -> None:
    for name, value in EXPECTED.items():
        assert answer.headers.get(name) == value, (answer.request.url, name)
    cache = answer.headers.get("cache-control")
    assert (cache == "public, max-age=31536000, immutable") if cached else cache == "no-store"
    assert "server" not in answer.headers
    timing = answer.headers.get("server-timing", "")
    assert re.fullmatch(r"app;dur=\d+\.\d", timing), (answer.request.url, timing)


def test_the_csp_is_the_workspace_policy() -> None:
    assert "script-src 'self';" in CSP and "'unsafe-inline'" not in CSP
    assert "'unsafe-eval'" not in CSP and "frame-ancestors 'none'" in CSP
    assert "object-src 'none'" in CSP and "form-action 'self'" in CSP


def test_pages_redirects_errors_and_static_files(
    web_server: WebServer, http_as: Callable[[str], WorkspaceClient]
) -> None:
    with web_server.client() as anonymous:
        answers = {
            "sign-in page": anonymous.get("/sign-in"),
            "redirect": anonymous.get("/account"),
            "not found": anonymous.get("/no/such/page"),
            "method": anonymous.put("/sign-in"),
            "csrf refused": anonymous.post("/language", data={"lang": "fr"}),
            "wrong password": anonymous.sign_in("viewer", "not the password at all 99"),
        }
        static = anonymous.get(static_url("css/workspace.css"))
        stale = anonymous.get("/static/css/workspace.css?v=old")
    viewer = http_as("viewer")
    answers["account page"] = viewer.get("/account")
    answers["signed-in 404"] = viewer.get("/records/does-not-exist/anywhere")
    statuses = {name: answer.status_code for name, answer in answers.items()}
    assert statuses == {
        "sign-in page": 200,
        "redirect": 303,
        "not found": 404,
        "method": 405,
        "csrf refused": 403,
        "wrong password": 400,
        "account page": 200,
        "signed-in 404": 404,
    }
    for answer in answers.values():
        _check(answer)
    assert "Not found" in answers["not found"].text
    _check(static, cached=True)
    assert static.headers["content-type"].startswith("text/css")
    assert stale.status_code == 200 and stale.headers["cache-control"] == "no-cache"
    assert "strict-transport-security" in answers["sign-in page"].headers


@pytest.fixture
def in_process(workspace_hq: WorkspaceHq) -> Iterator[TestClient]:
    @route("/test/admin-only", role=Role.ADMIN)
    def admin_only(request: Request, account: Account) -> Response:
        return Response("the data an admin sees")

    @route("/test/fails", role=Role.VIEWER)
    def fails(request: Request, account: Account) -> Response:
        raise RuntimeError("a detail that must not be shown")

    repository = open_repository(workspace_hq.db_url)
    secret = keys.unlock(workspace_hq.paths, workspace_hq.passphrase)
    config = keys.load_config(workspace_hq.paths)
    state = WebState(repository, secret, workspace_hq.paths, config, WebSettings(tls=True))
    app = create_app(state)
    app_of(app).router.routes[:0] = [admin_only, fails]
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        yield client
    repository.close()


def test_a_lower_role_gets_the_403_page_and_a_failure_the_500_page(
    in_process: TestClient,
) -> None:
    page = in_process.get("/sign-in")
    token = page.text.split('name="csrf" value="')[1].split('"')[0]
    signed = in_process.post(
        "/sign-in", data={"name": "analyst", "password": PASSWORDS["analyst"], "csrf": token}
    )
    assert signed.status_code == 303
    refused = in_process.get("/test/admin-only")
    assert refused.status_code == 403 and "Not allowed" in refused.text
    assert "the data an admin sees" not in refused.text
    failed = in_process.get("/test/fails")
    assert failed.status_code == 500 and "Something went wrong" in failed.text
    assert "a detail that must not be shown" not in failed.text
    for answer in (refused, failed):
        _check(answer)  # type: ignore[arg-type]
