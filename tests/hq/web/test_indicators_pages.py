"""The indicator pages over HTTP, against a real ``fieldkit-hq web`` on the demonstration HQ:
what each role gets, the downloads' content and headers, bad requests."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator

import httpx
import pytest

from fieldkit.hq.indicators.definitions import INDICATORS
from tests.hq.web.support import PASSWORDS, WebServer, WorkspaceClient

Client = Callable[[str], httpx.Client]


@pytest.fixture(scope="module")
def http_as(web_server: WebServer) -> Iterator[Client]:
    """conftest's ``http_as``, signed in once per role for the module: every sign-in counts
    against the sign-in rate limit of 127.0.0.1."""
    opened: dict[str, WorkspaceClient] = {}

    def signed_in(role: str) -> WorkspaceClient:
        if role not in opened:
            opened[role] = web_server.signed_in(role, PASSWORDS[role])
        return opened[role]

    yield signed_in
    for client in opened.values():
        client.close()


def _csv_header(text: str) -> dict[str, str]:
    pairs = (line[2:].split(": ", 1) for line in text.splitlines() if line.startswith("# "))
    return {pair[0]: pair[1] for pair in pairs if len(pair) == 2}


def _csv_body(text: str) -> list[list[str]]:
    return list(csv.reader(line for line in text.splitlines() if not line.startswith("#")))


def test_the_list_names_every_indicator_with_its_source(http_as: Client) -> None:
    response = http_as("viewer").get("/indicators")
    assert response.status_code == 200
    for found in INDICATORS:
        assert f'href="/indicators/{found.id}"' in response.text
    assert "GI-TOC, Global Organized Crime Index 2023" in response.text
    assert 'href="/report"' in response.text


def test_the_csv_download_is_the_clis_csv_with_its_header(http_as: Client) -> None:
    response = http_as("analyst").get(
        "/indicators/sdg-16-10-1.csv", params={"tier": "internal", "period": "2026"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="sdg-16-10-1-2026-internal.csv"'
    )
    assert response.headers["cache-control"] == "no-store"
    header = _csv_header(response.text)
    assert header["tier"] == "internal" and header["period"] == "2026"
    assert header["filters"] == "none"
    body = _csv_body(response.text)
    assert body[0] == ["act", "persons"]
    assert body[-1][0] == "total" and int(body[-1][1]) > 0
    assert all(row[1].isdigit() for row in body[1:])


def test_a_viewer_asking_for_the_internal_tier_gets_the_release_tier(http_as: Client) -> None:
    viewer = http_as("viewer")
    asked = {"tier": "internal", "min_cell": "3", "period": "2026"}
    response = viewer.get("/indicators/sdg-16-10-1.csv", params=asked)
    assert response.status_code == 200
    header = _csv_header(response.text)
    assert header["tier"] == "release" and header["minimum cell"] == "5"
    assert "withheld" in header
    exact = http_as("analyst").get("/indicators/sdg-16-10-1.csv", params=asked)
    assert _csv_header(exact.text)["tier"] == "internal"
    # The demonstration HQ's counts are small: the release withholds them, never a number.
    body = _csv_body(response.text)
    for row in body[1:]:
        assert row[1] == "[c]" or int(row[1]) >= 5 or int(row[1]) == 0
    page = viewer.get("/indicators/sdg-16-10-1", params=asked)
    assert page.status_code == 200
    assert 'name="tier"' not in page.text  # a viewer has no choice of tier
    spec = viewer.get("/indicators/sdg-16-10-1.vl.json", params=asked).json()
    assert spec["usermeta"]["tier"] == "release"
    for point in spec["data"]["values"]:
        assert point["value"] is None or point["value"] >= 5 or point["value"] == 0
    figures = viewer.get("/indicators/sdg-16-10-1.json", params=asked).json()
    assert figures["tier"] == "release" and figures["min_cell"] == 5


def test_a_withheld_cell_reads_withheld_on_the_page(http_as: Client) -> None:
    page = http_as("analyst").get(
        "/indicators/sdg-16-10-1", params={"tier": "release", "period": "2026"}
    )
    assert page.status_code == 200
    assert '<td class="number withheld">withheld</td>' in page.text
    assert "[c]" not in page.text


def test_the_chart_spec_is_vega_lite_with_its_data(http_as: Client) -> None:
    response = http_as("analyst").get(
        "/indicators/killings-disappearances.vl.json", params={"period": "2026"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    spec = json.loads(response.text)
    assert spec["$schema"].endswith("/vega-lite/v6.json")
    assert spec["usermeta"]["kind"] == "time"
    assert spec["data"]["values"]


def test_labels_follow_the_language(http_as: Client) -> None:
    client = http_as("analyst")
    arabic = {"accept-language": "ar"}
    page = client.get("/indicators/sdg-16-10-1", params={"period": "2026"}, headers=arabic)
    assert page.status_code == 200
    assert 'dir="rtl"' in page.text
    assert '<th scope="col">الفعل</th>' in page.text  # the "Act" column
    spec = client.get(
        "/indicators/sdg-16-10-1.vl.json", params={"period": "2026"}, headers=arabic
    ).json()
    assert spec["usermeta"]["rtl"] is True
    assert spec["layer"][0]["encoding"]["y"]["axis"]["orient"] == "right"
    french = {"accept-language": "fr"}
    page = client.get("/indicators/sdg-16-10-1", params={"period": "2026"}, headers=french)
    assert '<th scope="col">Acte</th>' in page.text


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/indicators/no-such-thing", 404, "There is no indicator"),
        ("/indicators/no-such-thing.csv", 404, "There is no indicator"),
        ("/indicators/sdg-16-10-1?period=2026-13", 400, "is not a period"),
        ("/indicators/sdg-16-10-1.csv?by=colour", 400, "cannot be broken down by"),
        ("/indicators/sdg-16-10-1?tier=release&min_cell=2", 400, "--min-cell 3 or more"),
    ],
)
def test_bad_requests_say_what_is_wrong(http_as: Client, path: str, status: int, says: str) -> None:
    response = http_as("analyst").get(path)
    assert response.status_code == status
    assert says in response.text


def test_the_report_holds_every_indicator(http_as: Client) -> None:
    response = http_as("viewer").get("/report", params={"tier": "internal"})
    assert response.status_code == 200
    assert response.text.count('<section class="report-indicator">') == len(INDICATORS)
    assert response.text.count("data-spec='{") == len(INDICATORS)
    assert "release" in response.text and 'name="tier"' not in response.text
    # A report is made to leave the room: an analyst gets the release tier unless choosing.
    analyst = http_as("analyst")
    released = analyst.get("/report", params={"period": "2026"})
    assert released.status_code == 200
    assert released.text.count("<dt>tier</dt><dd>release</dd>") == len(INDICATORS)
    exact = analyst.get("/report", params={"period": "2026", "tier": "internal"})
    assert exact.text.count("<dt>tier</dt><dd>internal</dd>") == len(INDICATORS)
