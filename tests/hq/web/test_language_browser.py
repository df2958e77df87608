"""The language switch, in a real browser: Arabic pages are right to left."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_arabic_is_right_to_left_and_the_choice_stays(page_as: Callable[[str], Any]) -> None:
    page = page_as("viewer")
    page.goto("/account")
    assert page.locator("html").get_attribute("dir") == "ltr"
    page.select_option("#language-choice", "ar")
    page.click("form.language button[type=submit]")
    page.wait_for_url("**/account")
    html = page.locator("html")
    assert html.get_attribute("dir") == "rtl" and html.get_attribute("lang") == "ar"
    assert page.locator("h1").inner_text() == "الحساب"
    page.goto("/account")  # the choice is kept (a cookie)
    assert page.locator("html").get_attribute("dir") == "rtl"
    nav = page.locator("nav.site-nav")
    assert nav.get_by_role("link", name="السجلات").get_attribute("href") == "/records"


def test_the_skip_link_is_first_and_leads_to_the_content(page_as: Callable[[str], Any]) -> None:
    page = page_as("viewer")
    page.goto("/account")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
