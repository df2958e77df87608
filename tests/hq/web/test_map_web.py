"""The map over HTTP and in a real browser: ``/map``, ``/map/points.geojson``,
``/map/values.json``, per role; the page draws the basemap and clustered points under the
workspace's Content-Security-Policy and asks nothing of any host but the server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.hq.web.conftest import _quick, sign_in_page
from tests.hq.web.map_dataset import POINTS, build_map_hq
from tests.hq.web.support import PASSWORDS, WebServer, WorkspaceClient

WITH_POINTS = POINTS + 3
"""Records of the map HQ with coordinates (see map_dataset)."""


@pytest.fixture(scope="module")
def map_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    folder = tmp_path_factory.mktemp("map-hq")
    with pytest.MonkeyPatch.context() as patch:
        _quick(patch, folder)
        hq = build_map_hq(folder / "demo")
        running = WebServer(hq, folder / "web.log", "--sign-ins-per-minute", "10000").start()
    yield running
    running.stop()


@pytest.fixture
def map_as(map_server: WebServer) -> Iterator[Callable[[str], WorkspaceClient]]:
    opened: list[WorkspaceClient] = []

    def signed_in(role: str) -> WorkspaceClient:
        client = map_server.signed_in(role, PASSWORDS[role])
        opened.append(client)
        return client

    yield signed_in
    for client in opened:
        client.close()


# -- over HTTP, on the shared demonstration HQ (no coordinates) ------------------------------------


def test_the_map_page_is_for_every_role(http_as: Callable[[str], WorkspaceClient]) -> None:
    for role in ("viewer", "analyst", "admin"):
        answer = http_as(role).get("/map", params={"country": "MLI"})
        assert answer.status_code == 200, role
        assert 'id="map"' in answer.text
        assert "/map/points.geojson?country=MLI" in answer.text
        assert "<script>" not in answer.text and " style=" not in answer.text
        assert answer.headers["cache-control"] == "no-store"


def test_signed_out_the_map_and_its_data_redirect(web_server: WebServer) -> None:
    with web_server.client() as client:
        for path in ("/map", "/map/points.geojson", "/map/values.json?indicator=sdg-16-10-1"):
            answer = client.get(path)
            assert answer.status_code == 303 and answer.headers["location"] == "/sign-in"


def test_records_without_coordinates_are_counted_by_place(
    http_as: Callable[[str], WorkspaceClient],
) -> None:
    answer = http_as("viewer").get("/map/points.geojson")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/geo+json")
    collection = answer.json()
    assert collection["type"] == "FeatureCollection" and collection["features"] == []
    counted = {(p["country"], p["admin1"]): p["records"] for p in collection["places"]}
    assert sum(counted.values()) == collection["without_point"] > 0
    assert counted.get(("MLI", "ML-7"), 0) > 0
    gao = http_as("viewer").get("/map/points.geojson", params={"admin1": "ML-7"}).json()
    assert {place["admin1"] for place in gao["places"]} == {"ML-7"}


def test_bad_filters_are_one_line_errors(http_as: Callable[[str], WorkspaceClient]) -> None:
    client = http_as("analyst")
    answer = client.get("/map/points.geojson", params={"from": "March"})
    assert answer.status_code == 400 and "is not a period" in answer.json()["error"]
    page = client.get("/map", params={"admin1": "ML-99"})
    assert page.status_code == 400 and "is not a first-level place code" in page.text
    values = client.get("/map/values.json", params={"indicator": "markets-newly-seen"})
    assert values.status_code == 400 and "no single figure per place" in values.json()["error"]


def test_values_are_released_to_viewers_and_exact_for_analysts(
    http_as: Callable[[str], WorkspaceClient],
) -> None:
    query = {"indicator": "sdg-16-10-1", "period": "2026", "level": "admin1"}
    internal = http_as("analyst").get("/map/values.json", params=query).json()
    assert internal["tier"] == "internal"
    exact = {value["place"]: value["value"] for value in internal["values"]}
    assert exact and all(isinstance(n, int) for n in exact.values())
    released = http_as("viewer").get("/map/values.json", params=query).json()
    assert released["tier"] == "release"
    for value in released["values"]:
        assert value["value"] is None or value["value"] >= 5
        assert value["suppressed"] == (value["value"] is None)
    small = [place for place, n in exact.items() if n < 5]
    hidden = {v["place"] for v in released["values"] if v["value"] is None}
    assert set(small) <= hidden


# -- over HTTP, on the map HQ (records with coordinates) -------------------------------------------


def test_analysts_get_the_points_and_viewers_do_not(
    map_as: Callable[[str], WorkspaceClient],
) -> None:
    analyst = map_as("analyst").get("/map/points.geojson").json()
    assert len(analyst["features"]) == analyst["total"] == WITH_POINTS
    assert not analyst["capped"] and analyst["withheld"] == 0
    feature = analyst["features"][0]
    assert feature["properties"]["url"] == f"/records/{feature['id']}"
    assert feature["properties"]["dates"]
    viewer = map_as("viewer").get("/map/points.geojson")
    assert viewer.json()["features"] == [] and viewer.json()["withheld"] == WITH_POINTS
    assert "16.27" not in viewer.text and "-0.04" not in viewer.text


# -- in a browser ---------------------------------------------------------------------------------


@pytest.fixture
def map_page(browser: Any, map_server: WebServer) -> Iterator[Callable[..., Any]]:
    contexts: list[Any] = []

    def open_as(role: str, locale: str = "en-GB") -> Any:
        context = browser.new_context(
            ignore_https_errors=True, base_url=map_server.base_url, locale=locale
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        sign_in_page(page, role, PASSWORDS[role])
        page.wait_for_url("**/records*")
        return page

    yield open_as
    for context in contexts:
        context.close()


def open_a_point(page: Any) -> None:
    """Click clusters (each click zooms into one) until single points show."""
    for _ in range(8):
        if page.locator("#map .map-point").count():
            return
        page.locator("#map .marker-cluster").first.click()
        page.wait_for_timeout(600)  # the zoom animation
    raise AssertionError("no single point after zooming into the clusters")


@pytest.mark.browser
@pytest.mark.slow
def test_the_map_draws_the_basemap_and_clusters_offline(
    map_page: Callable[..., Any], map_server: WebServer
) -> None:
    page = map_page("analyst")
    requests: list[str] = []
    messages: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
    page.goto("/map?indicator=sdg-16-10-1&period=2026")
    page.wait_for_selector("#map[data-points-loaded]", state="attached")
    page.wait_for_selector("#map[data-values-loaded]", state="attached")
    assert page.get_attribute("#map", "data-points-loaded") == str(WITH_POINTS)
    assert page.locator("#map path.map-country").count() > 200
    assert page.locator("#map path.map-admin1").count() > 0
    assert page.locator("#map .marker-cluster").count() >= 1  # clustered at this zoom
    assert page.locator("#map .map-legend").count() == 1
    assert page.locator("#map-places-body tr").count() >= 1
    status = page.inner_text("#map-status")
    assert f"Records with a point shown: {WITH_POINTS} of {WITH_POINTS}." in status
    zoom = int(page.get_attribute("#map", "data-zoom") or "0")
    page.locator("#map .marker-cluster").first.focus()
    page.keyboard.press("Enter")  # a cluster opens from the keyboard too
    page.wait_for_function(
        f"Number(document.getElementById('map').getAttribute('data-zoom')) > {zoom}"
    )
    open_a_point(page)
    assert not [m for m in messages if "Content Security Policy" in m or "pageerror" in m]
    assert not [m for m in messages if m.startswith("error")]
    server = urlsplit(map_server.base_url).netloc
    elsewhere = [url for url in requests if urlsplit(url).netloc != server]
    assert elsewhere == [] and requests
    assert all(urlsplit(url).hostname == "127.0.0.1" for url in requests)


@pytest.mark.browser
@pytest.mark.slow
def test_a_viewer_sees_places_not_points_and_the_popup_links(
    map_page: Callable[..., Any],
) -> None:
    viewer = map_page("viewer")
    viewer.goto("/map")
    viewer.wait_for_selector("#map[data-points-loaded]", state="attached")
    assert viewer.get_attribute("#map", "data-points-loaded") == "0"
    assert viewer.locator("#map .map-point, #map .marker-cluster").count() == 0
    assert viewer.locator("#map path.map-place").count() >= 1
    status = viewer.inner_text("#map-status")
    assert f"Records with coordinates your role may not see: {WITH_POINTS};" in status
    analyst = map_page("analyst")
    analyst.goto("/map?admin1=ML-7")
    analyst.wait_for_selector("#map[data-points-loaded]", state="attached")
    open_a_point(analyst)
    analyst.locator("#map .map-point").first.click()
    link = analyst.locator(".map-popup a")
    assert link.get_attribute("href").startswith("/records/")
    analyst.keyboard.press("Escape")
    analyst.goto("/map")
    analyst.fill("#f-from", "2030")  # the records list's filter form, on the map page
    analyst.click("form.record-filters button[type=submit]")
    analyst.wait_for_url("**/map?*from=2030*")
    analyst.wait_for_selector("#map[data-points-loaded]", state="attached")
    assert analyst.get_attribute("#map", "data-points-loaded") == "0"


@pytest.mark.browser
@pytest.mark.slow
def test_in_arabic_the_page_reads_right_to_left_and_the_map_is_not_mirrored(
    map_page: Callable[..., Any],
) -> None:
    page = map_page("analyst", "ar")
    page.goto("/map?indicator=sdg-16-10-1&period=2026")
    page.wait_for_selector("#map[data-values-loaded]", state="attached")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.get_attribute("#map", "dir") == "ltr"
    assert page.locator("#map .leaflet-right .leaflet-control-zoom").count() == 1
    assert page.get_attribute("#map .map-legend", "dir") == "rtl"
    assert page.get_attribute("#map .leaflet-control-layers", "dir") == "rtl"
    assert "Natural Earth" in page.inner_text("#map .leaflet-control-attribution")
    assert "الحدود" in page.inner_text("#map .leaflet-control-attribution")
