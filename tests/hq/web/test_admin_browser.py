"""The devices page in a real browser: an admin revokes a device from a bundle number."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from fieldkit.hq.repository import open_repository
from tests.hq import factory
from tests.hq.web.support import WorkspaceHq

pytestmark = pytest.mark.browser


def test_an_admin_revokes_a_device_on_the_devices_page(
    page_as: Callable[[str], Any], workspace_hq: WorkspaceHq
) -> None:
    identity = factory.identity("Tessalit laptop")
    repository = open_repository(workspace_hq.db_url)
    try:
        repository.add_device(identity, "2026-06-02T08:00:00Z")
        page = page_as("admin")
        page.get_by_role("navigation").get_by_role("link", name="Devices").click()
        page.wait_for_url("**/devices")
        row = page.locator(f"#device-{identity.key_id}")
        assert "Tessalit laptop" in row.inner_text() and "active" in row.inner_text()
        actions = page.locator(f"#device-{identity.key_id} + tr.device-actions")
        actions.locator("summary").click()
        revoke = actions.locator("form.revoke")
        revoke.locator("input[name=from_seq]").fill("4")
        revoke.get_by_role("button", name="Revoke the device").click()
        # the browser refuses to send the form while the confirmation box is not ticked
        assert page.url.endswith("/devices")
        assert repository.device(identity.key_id).revoked_from is None  # type: ignore[union-attr]
        revoke.locator("input[name=confirm]").check()
        revoke.get_by_role("button", name="Revoke the device").click()
        page.wait_for_selector(".notice-done")
        assert "is revoked from bundle 4 on" in page.locator(".notice-done").inner_text()
        state = page.locator(f"#device-{identity.key_id} td.state").inner_text()
        assert "revoked from bundle 4" in state
        assert repository.device(identity.key_id).revoked_from == 4  # type: ignore[union-attr]
    finally:
        repository.close()
