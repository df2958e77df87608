"""Signing in, in a real browser."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.hq.web.conftest import sign_in_page

pytestmark = pytest.mark.browser


def test_an_analyst_signs_in_and_sees_the_records_link(page_as: Callable[[str], Any]) -> None:
    page = page_as("analyst")
    nav = page.locator("nav.site-nav")
    assert nav.get_by_role("link", name="Records").get_attribute("href") == "/records"
    assert nav.get_by_role("link", name="Audit").count() == 1
    assert nav.get_by_role("link", name="Users").count() == 0


def test_a_wrong_password_does_not_sign_in(new_page: Callable[[], Any]) -> None:
    page = new_page()
    sign_in_page(page, "analyst", "not the password at all 99")
    page.wait_for_selector("#sign-in-error")
    assert page.url.endswith("/sign-in")
    assert page.locator("nav.site-nav").count() == 0
    assert not [c for c in page.context.cookies() if "fk_session" in c["name"]]


def test_the_browser_keeps_no_storage_and_only_the_workspaces_cookies(
    page_as: Callable[[str], Any],
) -> None:
    page = page_as("analyst")
    page.goto("/account")
    page.select_option("#language-choice", "fr")
    page.click("form.language button[type=submit]")
    page.wait_for_url("**/account")
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert set(cookies) == {"__Host-fk_session", "__Host-fk_csrf", "fk_lang"}
    for cookie in cookies.values():
        assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
    assert cookies["fk_lang"]["value"] == "fr"
