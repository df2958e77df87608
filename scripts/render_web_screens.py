"""Render the analysts' workspace (``fieldkit-hq web``) to PNG: ``render_web_screens.py OUTDIR``.

Builds the demonstration HQ of the workspace's tests (``tests/hq/web/support.py``) and, for the
map, the one with coordinates (``tests/hq/web/map_dataset.py``), in a throwaway folder under a
temporary home; starts a real ``fieldkit-hq web`` on each over TLS on 127.0.0.1; and drives
Debian's Chromium (``/usr/bin/chromium``, headless) with Playwright at 1280x800, in English and in
Arabic. Writes ``web-<page>-<en|ar>.png``: sign-in, records (filtered), record (revealed, with its
photo), map, indicator (with its chart), victims, audit, devices, forms, users, account.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]
HOME = Path(tempfile.mkdtemp(prefix="fieldkit-web-screens-"))
os.environ.update({"HOME": str(HOME), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})

import pytest  # noqa: E402
from tests.hq.web import dataset as ds  # noqa: E402
from tests.hq.web.conftest import _quick, sign_in_page  # noqa: E402
from tests.hq.web.map_dataset import build_map_hq  # noqa: E402
from tests.hq.web.support import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_FLAGS,
    PASSWORDS,
    WebServer,
    build_workspace_hq,
)

VIEWPORT = {"width": 1280, "height": 800}
LANGUAGES = {"en": "en-GB", "ar": "ar"}
REASON = {
    "en": "Checking consent before the protection referral",
    "ar": "التحقق من الموافقة قبل الإحالة إلى الحماية",
}
INDICATOR = "/indicators/sdg-16-10-1?period=2026"

Page = Any


def visit(page: Page, path: str) -> None:
    answer = page.goto(path)
    if answer is None or answer.status != 200:
        raise SystemExit(f"{path}: {answer.status if answer else 'no answer'}")


@contextmanager
def serving(build: Callable[[Path], Any], name: str) -> Iterator[WebServer]:
    with pytest.MonkeyPatch.context() as patch:
        _quick(patch, HOME)  # a cheap key derivation: the HQ is thrown away
        hq = build(HOME / name)
        server = WebServer(hq, HOME / f"{name}.log", "--sign-ins-per-minute", "10000").start()
    try:
        yield server
    finally:
        server.stop()


class Shooter:
    def __init__(self, browser: Any, out: Path) -> None:
        self.browser = browser
        self.out = out
        self.written: list[Path] = []

    def page(self, server: WebServer, lang: str, role: str | None) -> Page:
        context = self.browser.new_context(
            ignore_https_errors=True,
            base_url=server.base_url,
            locale=LANGUAGES[lang],
            viewport=VIEWPORT,
        )
        context.set_default_timeout(20_000)
        page = context.new_page()
        if role is not None:
            sign_in_page(page, role, PASSWORDS[role])
            page.wait_for_url("**/records*")
        return page

    def shot(self, page: Page, name: str, lang: str, *, full: bool = True) -> None:
        if page.locator("main h1").count() == 0:
            raise SystemExit(f"{name} ({lang}): no page heading at {page.url}")
        path = self.out / f"web-{name}-{lang}.png"
        page.screenshot(path=str(path), full_page=full, animations="disabled")
        self.written.append(path)


def workspace_pages(shooter: Shooter, server: WebServer, lang: str) -> None:
    page = shooter.page(server, lang, None)
    visit(page, "/sign-in")
    shooter.shot(page, "sign-in", lang)
    page.context.close()

    page = shooter.page(server, lang, "analyst")
    visit(page, "/records?country=MLI&from=2026-03&to=2026-03")
    shooter.shot(page, "records", lang)
    visit(page, f"/records/{ds.PHOTO_RECORD}")
    page.fill("#reason", REASON[lang])
    page.click("#reveal-form button[type=submit]")
    page.wait_for_selector("#revealed")
    page.locator("table.attachments img.attachment-image").wait_for()
    page.wait_for_function("document.querySelector('img.attachment-image').complete")
    shooter.shot(page, "record", lang)
    visit(page, INDICATOR)
    page.wait_for_selector("figure.indicator-chart.drawn .chart svg")
    shooter.shot(page, "indicator", lang)
    visit(page, "/victims")
    shooter.shot(page, "victims", lang)
    visit(page, "/audit")
    shooter.shot(page, "audit", lang, full=False)
    page.context.close()

    page = shooter.page(server, lang, "admin")
    for name in ("devices", "forms", "users", "account"):
        visit(page, f"/{name}")
        shooter.shot(page, name, lang)
    page.context.close()


def map_page(shooter: Shooter, server: WebServer, lang: str) -> None:
    page = shooter.page(server, lang, "analyst")
    visit(page, "/map?indicator=sdg-16-10-1&period=2026")
    page.wait_for_selector("#map[data-points-loaded]", state="attached")
    page.wait_for_selector("#map[data-values-loaded]", state="attached")
    page.wait_for_timeout(800)  # the basemap's tiles and the clusters settle
    shooter.shot(page, "map", lang)
    page.context.close()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: render_web_screens.py OUTDIR", file=sys.stderr)
        return 2
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is missing: run scripts/system-deps test", file=sys.stderr)
        return 1
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        shooter = Shooter(browser, out)
        try:
            with serving(build_workspace_hq, "workspace") as server:
                for lang in LANGUAGES:
                    workspace_pages(shooter, server, lang)
            with serving(build_map_hq, "map") as server:
                for lang in LANGUAGES:
                    map_page(shooter, server, lang)
        finally:
            browser.close()
    for path in shooter.written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
