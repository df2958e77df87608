"""The indicator pages in a real Chromium under the workspace's CSP: the chart is drawn (no CSP
violation, no eval), the CSV downloads, the chart saves as PNG and SVG, the report prints."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

Page = Any


def _watch(page: Page) -> list[str]:
    """Console errors and CSP violations of ``page``."""
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" or "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def test_the_chart_is_drawn_and_saved_under_the_csp(
    page_as: Callable[[str], Page], web_server: Any, tmp_path: Path
) -> None:
    page = page_as("analyst")
    problems = _watch(page)
    page.goto(f"{web_server.base_url}/indicators/sdg-16-10-1?period=2026")
    page.wait_for_selector("figure.indicator-chart.drawn .chart svg")
    bars = page.locator("figure.indicator-chart .chart svg .mark-rect path")
    assert bars.count() > 0
    bars.first.hover()  # vega-tooltip, its own style left out for the CSP's sake
    page.wait_for_selector("#vg-tooltip-element.visible")
    assert "persons" in page.locator("#vg-tooltip-element").inner_text()
    assert problems == []

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="table (CSV)").click()
    saved = tmp_path / "table.csv"
    csv_download.value.save_as(saved)
    assert csv_download.value.suggested_filename == "sdg-16-10-1-2026-internal.csv"
    assert saved.read_text().startswith("# indicator: sdg-16-10-1")

    with page.expect_download() as png_download:
        page.get_by_role("button", name="Save chart as PNG").click()
    png = tmp_path / "chart.png"
    png_download.value.save_as(png)
    assert png_download.value.suggested_filename == "sdg-16-10-1-2026-internal.png"
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")

    with page.expect_download() as svg_download:
        page.get_by_role("button", name="Save chart as SVG").click()
    svg = tmp_path / "chart.svg"
    svg_download.value.save_as(svg)
    assert svg_download.value.suggested_filename.endswith(".svg")
    assert "<svg" in svg.read_text()[:400]
    assert problems == []


def test_a_withheld_cell_is_drawn_as_the_word(
    page_as: Callable[[str], Page], web_server: Any
) -> None:
    page = page_as("viewer")
    problems = _watch(page)
    page.goto(f"{web_server.base_url}/indicators/sdg-16-10-1?period=2026&tier=internal")
    page.wait_for_selector("figure.indicator-chart.drawn .chart svg")
    labels = page.locator(".chart svg g.withheld_marks text").all_text_contents()
    assert labels and set(labels) == {"withheld"}
    assert problems == []


def test_the_arabic_page_is_right_to_left(page_as: Callable[[str], Page], web_server: Any) -> None:
    page = page_as("analyst")
    page.context.add_cookies([{"name": "fk_lang", "value": "ar", "url": web_server.base_url}])
    problems = _watch(page)
    page.goto(f"{web_server.base_url}/indicators/quality-verified?period=2026")
    page.wait_for_selector("figure.indicator-chart.drawn .chart svg")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert "التحقق" in page.locator(".chart svg").inner_html()
    assert problems == []


def test_the_report_draws_every_chart_and_prints(
    page_as: Callable[[str], Page], web_server: Any, tmp_path: Path
) -> None:
    from fieldkit.hq.indicators.definitions import INDICATORS

    page = page_as("viewer")
    problems = _watch(page)
    page.goto(f"{web_server.base_url}/report?period=2026")
    page.wait_for_function(
        "n => document.querySelectorAll('figure.indicator-chart.drawn svg').length === n",
        arg=len(INDICATORS),
    )
    assert problems == []
    page.emulate_media(media="print")
    assert not page.locator("nav").first.is_visible()
    assert not page.locator("form.indicator-query").is_visible()
    pdf = tmp_path / "report.pdf"
    page.pdf(path=str(pdf), format="A4")
    # Each indicator starts a page of its own.
    assert _pages(pdf) >= len(INDICATORS)


def _pages(pdf: Path) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
