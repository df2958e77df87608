"""The records pages in a real browser: filter the list, open the record with the photo, reveal
it with a reason, see the photo, and find the reveal in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fieldkit.hq import audit
from fieldkit.hq.repository import open_repository
from tests.hq.web import dataset as ds
from tests.hq.web.support import WebServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REASON = "checking consent before the protection referral (browser)"


def test_an_analyst_filters_opens_reveals_and_sees_the_photo(
    page_as: Callable[[str], Any], web_server: WebServer
) -> None:
    page = page_as("analyst")
    page.goto("/records")
    page.select_option("#f-country", "MLI")
    page.fill("#f-from", "2026-03")
    page.fill("#f-to", "2026-03")
    page.fill("#f-q", ds.RESTRICTED_WORD)
    page.click("form.record-filters button[type=submit]")
    page.wait_for_url("**/records?*q=*")
    rows = page.locator("table.records tbody tr")
    assert rows.count() == 1
    rows.first.locator("a.record-id").click()
    page.wait_for_url(f"**/records/{ds.PHOTO_RECORD}")
    assert page.locator("#verified.notice-done").count() == 1
    assert page.locator(".masked").count() >= 2
    assert ds.VICTIM_NAME not in page.content()
    assert page.locator("img.attachment-image").count() == 0

    page.fill("#reason", REASON)
    page.click("#reveal-form button[type=submit]")
    page.wait_for_selector("#revealed")
    assert ds.VICTIM_NAME in page.content()
    image = page.locator("table.attachments img.attachment-image")
    image.wait_for()
    loaded = image.evaluate("img => img.complete && img.naturalWidth")
    assert loaded == 4  # the PNG's width: decrypted and served to this session

    repository = open_repository(web_server.hq.db_url)
    try:
        found = [
            e
            for e in audit.entries(repository)
            if e.action == audit.Action.REVEALED and e.detail.get("reason") == REASON
        ]
    finally:
        repository.close()
    assert [(e.actor, e.subject) for e in found] == [("analyst", ds.PHOTO_RECORD)]


def test_a_viewer_sees_no_reveal_form_and_no_photo(page_as: Callable[[str], Any]) -> None:
    page = page_as("viewer")
    page.goto(f"/records/{ds.PHOTO_RECORD}")
    assert page.locator("#reveal-form").count() == 0
    assert page.locator("img.attachment-image").count() == 0
    assert ds.RESTRICTED_WORD not in page.content()
    answer = page.request.get(f"/records/{ds.PHOTO_RECORD}/attachments/{ds.PHOTO_SHA256}")
    assert answer.status == 403
