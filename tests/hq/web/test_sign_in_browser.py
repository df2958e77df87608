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
