"""Sessions, CSRF, cookies, lock-out and the second factor against a real ``fieldkit-hq web``."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import httpx
import pyotp
import pytest

from fieldkit.hq import accounts
from fieldkit.hq.repository import open_repository
from tests.hq.web.support import WebServer, WorkspaceClient, WorkspaceHq

COOKIE = "__Host-fk_session"
STRONG = "saffron glacier tortoise banjo 83"


def _token(client: httpx.Client) -> str:
    value = client.cookies.get(COOKIE)
    assert value, "no session cookie"
    return value


def _with_cookie(server: WebServer, token: str) -> WorkspaceClient:
    client = server.client()
    client.cookies.set(COOKIE, token, domain="127.0.0.1")
    return client


def _set_cookies(answer: httpx.Response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in answer.headers.get_list("set-cookie")}


def test_the_session_cookie_is_secure_httponly_strict(web_server: WebServer) -> None:
    with web_server.client() as client:
        first = client.get("/sign-in")
        csrf_cookie = _set_cookies(first)["__Host-fk_csrf"]
        answer = client.sign_in("viewer", "amber tundra pickle harbour 54")
    assert answer.status_code == 303 and answer.headers["location"] == "/records"
    session_cookie = _set_cookies(answer)[COOKIE]
    for header in (session_cookie, csrf_cookie):
        parts = {p.strip().lower() for p in header.split(";")}
        assert {"httponly", "secure", "path=/", "samesite=strict"} <= parts, header
        assert not any(p.startswith("domain") for p in parts)
    assert "viewer" not in session_cookie


def test_sign_in_makes_a_new_session_whatever_cookie_came(web_server: WebServer) -> None:
    with web_server.client() as client:
        client.cookies.set(COOKIE, "chosen-by-an-attacker-0123456789", domain="127.0.0.1")
        client.sign_in("viewer", "amber tundra pickle harbour 54")
        first = _token(client)
        assert first != "chosen-by-an-attacker-0123456789"
        again = {"name": "viewer", "password": "amber tundra pickle harbour 54"}
        answer = client.post("/sign-in", data=dict(again, csrf=client.csrf("/account")))
        assert answer.status_code == 303  # signing in again, from a signed-in browser
        second = _token(client)
    assert second != first
    with _with_cookie(web_server, first) as old:
        assert old.get("/account").status_code == 303  # the first session ended
    with _with_cookie(web_server, second) as current:
        assert current.get("/account").status_code == 200


def test_sign_out_ends_the_session_on_the_server(
    http_as: Callable[[str], WorkspaceClient], web_server: WebServer
) -> None:
    client = http_as("viewer")
    token = _token(client)
    answer = client.post("/sign-out", data={"csrf": client.csrf()})
    assert answer.status_code == 303 and answer.headers["location"] == "/sign-in"
    with _with_cookie(web_server, token) as replay:
        answer = replay.get("/account")
    assert answer.status_code == 303 and answer.headers["location"] == "/sign-in"


@pytest.mark.parametrize("csrf", [None, "", "0" * 64, "wrong"])
def test_a_post_without_the_right_csrf_token_changes_nothing(
    web_server: WebServer,
    fresh_user: Callable[[str], tuple[str, str]],
    csrf: str | None,
) -> None:
    name, password = fresh_user("analyst")
    with web_server.signed_in(name, password) as client:
        form = {"current": password, "new": STRONG, "confirm": STRONG}
        if csrf is not None:
            form["csrf"] = csrf
        answer = client.post("/account/password", data=form)
        assert answer.status_code == 403
        assert "did not come from this workspace" in answer.text
    with web_server.client() as again:
        assert again.sign_in(name, password).status_code == 303  # the password is unchanged


def test_another_sessions_csrf_token_is_refused(
    web_server: WebServer, http_as: Callable[[str], WorkspaceClient]
) -> None:
    mine, theirs = http_as("analyst"), http_as("viewer")
    answer = mine.post("/sign-out", data={"csrf": theirs.csrf()})
    assert answer.status_code == 403
    assert mine.get("/account").status_code == 200  # still signed in


def test_a_sign_in_form_needs_its_cookie_token(web_server: WebServer) -> None:
    with web_server.client() as client:
        answer = client.post(
            "/sign-in",
            data={"name": "viewer", "password": "amber tundra pickle harbour 54", "csrf": "x" * 43},
        )
    assert answer.status_code == 403 and COOKIE not in answer.headers.get("set-cookie", "")


def test_a_changed_password_ends_the_other_sessions(
    web_server: WebServer, fresh_user: Callable[[str], tuple[str, str]]
) -> None:
    name, password = fresh_user("viewer")
    other = web_server.signed_in(name, password)
    with web_server.signed_in(name, password) as client:
        form = {"current": password, "new": STRONG, "confirm": STRONG, "csrf": client.csrf()}
        answer = client.post("/account/password", data=form)
        assert answer.status_code == 303
        assert client.get("/account").status_code == 200  # this browser has a new session
    assert other.get("/account").status_code == 303
    other.close()
    with web_server.client() as again:
        assert again.sign_in(name, password).status_code == 400
        assert again.sign_in(name, STRONG).status_code == 303


def test_lock_out_answers_as_for_an_unknown_name(
    web_server: WebServer, fresh_user: Callable[[str], tuple[str, str]]
) -> None:
    name, password = fresh_user("viewer")
    with web_server.client() as client:
        unknown = client.sign_in("nobody-at-all", password)
        for _ in range(5):
            wrong = client.sign_in(name, "not the password at all 99")
        locked = client.sign_in(name, password)
    assert unknown.status_code == wrong.status_code == locked.status_code == 400
    message = "The name or password is wrong, or the account is locked"
    assert message in unknown.text and message in wrong.text and message in locked.text
    assert COOKIE not in locked.headers.get("set-cookie", "")


def _secret(page: str) -> str:
    found = re.search(r'<code class="secret" dir="ltr">([A-Z2-7 ]+)</code>', page)
    assert found, page
    return found.group(1).replace(" ", "")


def set_up_second_factor(client: WorkspaceClient) -> str:
    page = client.get("/account/totp")
    assert page.status_code == 200 and 'src="data:image/svg+xml' in page.text
    secret = _secret(page.text)
    wrong = client.post("/account/totp", data={"code": "000000", "csrf": client.csrf()})
    assert wrong.status_code == 400
    code = pyotp.TOTP(secret).now()
    answer = client.post("/account/totp", data={"code": code, "csrf": client.csrf()})
    assert answer.status_code == 303
    return secret


def test_the_second_factor_is_asked_once_set_up_and_cleared_by_reset(
    web_server: WebServer,
    workspace_hq: WorkspaceHq,
    fresh_user: Callable[[str], tuple[str, str]],
) -> None:
    name, password = fresh_user("analyst")
    with web_server.signed_in(name, password) as client:
        secret = set_up_second_factor(client)
        assert "sign-in will ask for a code" in client.get("/account?done=totp").text
    with web_server.client() as client:
        answer = client.sign_in(name, password)
        assert answer.status_code == 303 and answer.headers["location"] == "/sign-in/code"
        assert client.get("/account").status_code == 303  # not signed in yet
        pending = _token(client)
        token = client.csrf("/sign-in/code")
        assert client.post("/sign-in/code", data={"code": "123456", "csrf": token}).status_code
        # the code of the set-up's 30-second step was used; the next step's is accepted
        code = pyotp.TOTP(secret).at(time.time() + 30)
        answer = client.post("/sign-in/code", data={"code": code, "csrf": token})
        assert answer.status_code == 303 and answer.headers["location"] == "/records"
        assert _token(client) != pending
        assert client.get("/account").status_code == 200
    repository = open_repository(workspace_hq.db_url)
    try:
        temporary = accounts.reset_user(repository, name)
    finally:
        repository.close()
    with web_server.client() as client:
        answer = client.sign_in(name, temporary)  # no code asked any more
        assert answer.status_code == 303 and answer.headers["location"] == "/account"
        moved = client.get("/")  # every page but the account's leads to the account page
        assert moved.status_code == 303 and moved.headers["location"] == "/account"
        form = {"current": temporary, "new": STRONG, "confirm": STRONG, "csrf": client.csrf()}
        assert client.post("/account/password", data=form).status_code == 303
        assert client.get("/").headers["location"] == "/records"  # no more detour


def test_a_disabled_account_loses_its_sessions(
    web_server: WebServer,
    workspace_hq: WorkspaceHq,
    fresh_user: Callable[[str], tuple[str, str]],
) -> None:
    name, password = fresh_user("analyst")
    with web_server.signed_in(name, password) as client:
        repository = open_repository(workspace_hq.db_url)
        try:
            accounts.disable_user(repository, name)
        finally:
            repository.close()
        answer = client.get("/account")
    assert answer.status_code == 303 and answer.headers["location"] == "/sign-in"


def test_passwords_tokens_and_second_factor_keys_never_reach_the_log(
    web_server: WebServer, fresh_user: Callable[[str], tuple[str, str]]
) -> None:
    name, password = fresh_user("analyst")
    with web_server.signed_in(name, password) as client:
        token = _token(client)
        csrf = client.csrf()
        secret = set_up_second_factor(client)
        client.get("/account", params={"q": "marker-in-a-query"})
        client.post("/account/password", data={"current": password, "new": "x", "csrf": csrf})
    output = web_server.output()
    assert "GET /account 200" in output  # the log does have request lines
    for leaked in (password, token, csrf, secret, "marker-in-a-query", "x-in-form"):
        assert leaked not in output
