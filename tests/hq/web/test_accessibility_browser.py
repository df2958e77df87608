"""Every page of the workspace checked by axe-core (vendored under ``vendor/axe-core``, injected
by the test, never served by fieldkit) for an analyst and an admin, in English and Arabic; and the
sign-in page and a record used with the keyboard alone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.hq.web import dataset as ds
from tests.hq.web.conftest import sign_in_page
from tests.hq.web.support import PASSWORDS, WebServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
LOCALES = {"en": "en-GB", "ar": "ar"}
SERIOUS = ("serious", "critical")
ANALYST_PAGES = (
    "/records",
    "/records?country=MLI&from=2026-03&to=2026-03",
    f"/records/{ds.PHOTO_RECORD}",
    "/map",
    "/indicators",
    "/indicators/sdg-16-10-1?period=2026",
    "/victims",
    "/audit",
    "/account",
)
ADMIN_PAGES = (*ANALYST_PAGES, "/devices", "/forms", "/users")

Page = Any


@pytest.fixture
def open_page(browser: Any, web_server: WebServer) -> Iterator[Callable[..., Page]]:
    contexts: list[Any] = []

    def make(lang: str, role: str | None = None, *, bypass_csp: bool = True) -> Page:
        # the CSP allows no inline script, and Playwright injects axe-core as one
        context = browser.new_context(
            ignore_https_errors=True,
            base_url=web_server.base_url,
            locale=LOCALES[lang],
            bypass_csp=bypass_csp,
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        if role is not None:
            sign_in_page(page, role, PASSWORDS[role])
            page.wait_for_url("**/records*")
        return page

    yield make
    for context in contexts:
        context.close()


def violations(page: Page) -> list[str]:
    """The serious and critical violations axe-core finds on ``page``, one line each."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in found
        if v["impact"] in SERIOUS
    ]


def settle(page: Page, path: str) -> None:
    if path.startswith("/map"):
        page.wait_for_selector("#map[data-points-loaded]", state="attached")
    if path.startswith("/indicators/"):
        page.wait_for_selector("figure.indicator-chart.drawn .chart svg")


@pytest.mark.parametrize("lang", LOCALES)
def test_the_sign_in_page_has_no_serious_violation(
    open_page: Callable[..., Page], lang: str
) -> None:
    page = open_page(lang)
    page.goto("/sign-in")
    assert page.get_attribute("html", "lang") == lang
    assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
    assert violations(page) == []


@pytest.mark.parametrize("lang", LOCALES)
@pytest.mark.parametrize(("role", "paths"), [("analyst", ANALYST_PAGES), ("admin", ADMIN_PAGES)])
def test_every_page_has_no_serious_violation(
    open_page: Callable[..., Page], lang: str, role: str, paths: tuple[str, ...]
) -> None:
    page = open_page(lang, role)
    found: dict[str, list[str]] = {}
    for path in paths:
        answer = page.goto(path)
        assert answer is not None and answer.status == 200, path
        settle(page, path)
        found[path] = violations(page)
    assert {path: lines for path, lines in found.items() if lines} == {}


def focused(page: Page) -> str:
    """The focused element: its id, or its tag and text."""
    return str(
        page.evaluate(
            "() => { const e = document.activeElement;"
            " return e.id || (e.tagName.toLowerCase() + ':' + e.textContent.trim()); }"
        )
    )


def tab_until(page: Page, test: str, limit: int = 60) -> None:
    """Press Tab until the focused element passes ``test`` (a JavaScript function of it)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => ({test})(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached an element for which {test}")


def test_sign_in_and_reveal_a_record_with_the_keyboard_alone(
    open_page: Callable[..., Page],
) -> None:
    page = open_page("en", bypass_csp=False)
    page.goto("/sign-in")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.classList.contains('skip-link')")
    page.keyboard.press("Enter")  # skips the header: the next Tab is in the content
    page.keyboard.press("Tab")
    assert focused(page) == "name"
    page.keyboard.type("analyst")
    page.keyboard.press("Tab")
    assert focused(page) == "password"
    page.keyboard.type(PASSWORDS["analyst"])
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    page.wait_for_url("**/records*")

    page.goto(f"/records?q={ds.RESTRICTED_WORD}")
    tab_until(page, "e => e.matches('table.records a.record-id')")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/records/{ds.PHOTO_RECORD}")
    tab_until(page, "e => e.id === 'reason'")
    page.keyboard.type("checking consent before the referral (keyboard)")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.type") == "submit"
    page.keyboard.press("Enter")
    page.wait_for_selector("#revealed")
    assert ds.VICTIM_NAME in page.content()
    image = page.locator("table.attachments img.attachment-image")
    image.wait_for()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 4


def test_the_check_finds_a_field_without_a_name(open_page: Callable[..., Page]) -> None:
    page = open_page("en")
    page.goto("/sign-in")
    page.evaluate("() => document.querySelector('label[for=name]').remove()")
    assert [line for line in violations(page) if line.startswith("label (critical)")]
