"""Fixtures of the workspace's tests (see ``support.py``).

- ``workspace_hq`` (session): the demonstration HQ of ``scripts/hq_demo.py`` on SQLite, with the
  accounts ``admin``, ``analyst`` and ``viewer`` (passwords in ``support.PASSWORDS``);
  ``workspace_hq_pg`` the same on PostgreSQL (skipped without FIELDKIT_TEST_POSTGRES_URL).
- ``web_server`` (session): ``fieldkit-hq web`` on ``workspace_hq``, over TLS on 127.0.0.1.
- ``http_as(role)``: a signed-in :class:`~tests.hq.web.support.WorkspaceClient`.
- ``browser`` (session) and ``page_as(role)``: headless Chromium (Debian's) driven by
  Playwright, signed in as ``role``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from fieldkit.hq import accounts
from fieldkit.hq.repository import open_repository
from fieldkit.vault import keyfile
from tests.conftest import FAST_KDF, FAST_KDF_SITE
from tests.hq.conftest import _END_SESSIONS_ON, postgres_base_url
from tests.hq.web.support import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    PASSWORDS,
    WebServer,
    WorkspaceClient,
    WorkspaceHq,
    build_workspace_hq,
)


def _quick(patch: pytest.MonkeyPatch, home: Path) -> None:
    """What the autouse ``_isolated`` fixture does, for session-wide fixtures built before it."""
    patch.setenv("HOME", str(home))
    patch.setattr(keyfile, "TEST_PARAMS", FAST_KDF)
    python_path = os.pathsep.join(filter(None, [str(FAST_KDF_SITE), os.environ.get("PYTHONPATH")]))
    patch.setenv("PYTHONPATH", python_path)
    patch.setattr("fieldkit.console.no_crash_dumps", lambda: None)


@pytest.fixture(scope="session")
def workspace_hq(tmp_path_factory: pytest.TempPathFactory) -> WorkspaceHq:
    folder = tmp_path_factory.mktemp("workspace")
    with pytest.MonkeyPatch.context() as patch:
        _quick(patch, folder)
        return build_workspace_hq(folder / "demo")


@pytest.fixture(scope="session")
def workspace_hq_pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkspaceHq]:
    base = postgres_base_url().set(drivername="postgresql+psycopg")
    schema = f"fieldkit_web_{secrets.token_hex(6)}"
    admin = sa.create_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    scoped = base.update_query_dict({"options": f"-csearch_path={schema}"})
    folder = tmp_path_factory.mktemp("workspace-pg")
    try:
        with pytest.MonkeyPatch.context() as patch:
            _quick(patch, folder)
            built = build_workspace_hq(
                folder / "demo", scoped.render_as_string(hide_password=False)
            )
        yield built
    finally:
        with admin.begin() as connection:
            connection.execute(_END_SESSIONS_ON, {"schema": schema})
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(scope="session")
def web_server(
    workspace_hq: WorkspaceHq, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebServer]:
    log = tmp_path_factory.mktemp("web-log") / "web.log"
    with pytest.MonkeyPatch.context() as patch:
        _quick(patch, tmp_path_factory.mktemp("web-home"))
        # many tests sign in from 127.0.0.1; the limit itself is tested on a server of its own
        running = WebServer(workspace_hq, log, "--sign-ins-per-minute", "10000").start()
    yield running
    running.stop()


@pytest.fixture
def fresh_user(workspace_hq: WorkspaceHq) -> Callable[[str], tuple[str, str]]:
    """A new account of ``role`` in the workspace HQ, for a test that changes it: its name and
    password."""

    def make(role: str) -> tuple[str, str]:
        name = f"{role}-{secrets.token_hex(4)}"
        password = f"{PASSWORDS[role]} {name}"
        repository = open_repository(workspace_hq.db_url)
        try:
            accounts.add_user(repository, name, accounts.Role(role), password)
        finally:
            repository.close()
        return name, password

    return make


@pytest.fixture
def http_as(web_server: WebServer) -> Iterator[Callable[[str], WorkspaceClient]]:
    opened: list[WorkspaceClient] = []

    def signed_in(role: str) -> WorkspaceClient:
        client = web_server.signed_in(role, PASSWORDS[role])
        opened.append(client)
        return client

    yield signed_in
    for client in opened:
        client.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: run scripts/system-deps test")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser: Any, web_server: WebServer) -> Iterator[Callable[[], Any]]:
    """A page in a fresh browser context (no cookies), not signed in."""
    contexts: list[Any] = []

    def make() -> Any:
        context = browser.new_context(
            ignore_https_errors=True, base_url=web_server.base_url, locale="en-GB"
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def sign_in_page(page: Any, name: str, password: str) -> None:
    page.goto("/sign-in")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("form.stacked button[type=submit]")


@pytest.fixture
def page_as(new_page: Callable[[], Any]) -> Callable[[str], Any]:
    def signed_in(role: str) -> Any:
        page = new_page()
        sign_in_page(page, role, PASSWORDS[role])
        page.wait_for_url("**/records*")
        return page

    return signed_in
