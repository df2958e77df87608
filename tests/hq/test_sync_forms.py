"""Forms over sync, on the real server: the list of published forms, each file's bytes, and
names that reach nothing else; each fetch recorded as a delivery to the device."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from fieldkit.bundle import read_published_form
from fieldkit.hq import deliveries
from fieldkit.hq.publishing import publish
from fieldkit.hq.server.errors import SyncError
from fieldkit.hq.server.forms import Forms
from fieldkit.hq.sqlwork import transaction
from tests.conftest import DATA
from tests.hq.support import Hq
from tests.hq.sync_server import Server, enrolled, server, shared_hq, sign_in

__all__ = ["server", "shared_hq"]

ROOT = Path(__file__).resolve().parents[2]
ALL_TYPES = DATA / "forms" / "all-types.yaml"
VOCABULARIES = ROOT / "forms" / "vocabularies"


@pytest.fixture(scope="module")
def published(shared_hq: Hq) -> Path:
    made = publish(shared_hq.paths, shared_hq.keys.hq_signing, ALL_TYPES, vocabularies=VOCABULARIES)
    return made.path


def test_a_signed_in_device_lists_and_fetches_the_published_forms(
    server: Server, shared_hq: Hq, published: Path
) -> None:
    device = enrolled(shared_hq.repository)
    data = published.read_bytes()
    with server.client() as client:
        headers = sign_in(client, shared_hq, device)
        listing = client.get("/v1/forms", headers=headers)
        fetched = client.get(f"/v1/forms/{published.name}", headers=headers)
    assert listing.status_code == 200, listing.text
    form = read_published_form(data, shared_hq.keys.hq_signing.public.public_key)
    assert listing.json() == {
        "forms": [
            {
                "name": "all-types-1.fkf",
                "id": "all-types",
                "version": "1",
                "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data),
                "published_at": form.published,
            }
        ]
    }
    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == "application/octet-stream"
    assert fetched.content == data


def test_a_file_that_does_not_verify_is_neither_listed_nor_served(
    server: Server, shared_hq: Hq, published: Path
) -> None:
    device = enrolled(shared_hq.repository)
    forged = shared_hq.paths.forms / "forged-1.fkf"
    damaged = bytearray(published.read_bytes())
    damaged[-80] ^= 1  # inside the signature
    forged.write_bytes(bytes(damaged))
    try:
        with server.client() as client:
            headers = sign_in(client, shared_hq, device)
            names = [f["name"] for f in client.get("/v1/forms", headers=headers).json()["forms"]]
            answer = client.get("/v1/forms/forged-1.fkf", headers=headers)
    finally:
        forged.unlink()
    assert names == ["all-types-1.fkf"]
    assert answer.status_code == 404 and answer.json()["error"] == "not-found"


@pytest.mark.parametrize(
    "name",
    [
        "other-1.fkf",
        "all-types-1",
        "../hq.sqlite3",
        "..%2Fhq.sqlite3",
        "..%2F..%2Fhq%2Fconfig.json",
        "%2e%2e/hq.sqlite3",
        "forms/all-types-1.fkf",
        "%2Fetc%2Fpasswd",
        ".fkf",
        "..fkf",
        "all-types-1.fkf%00.txt",
        "all-types-1.fkf/",
        "x" * 400 + ".fkf",
    ],
)
def test_other_names_are_not_found(
    server: Server, shared_hq: Hq, published: Path, name: str
) -> None:
    device = enrolled(shared_hq.repository)
    with server.client() as client:
        headers = sign_in(client, shared_hq, device)
        answer = client.get(f"/v1/forms/{name}", headers=headers)
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"] == "not-found"
    assert answer.content.find(b"FKFORM") == -1


def test_forms_need_a_session(server: Server, published: Path) -> None:
    with server.client() as client:
        listing = client.get("/v1/forms")
        fetched = client.get(f"/v1/forms/{published.name}", headers={"Authorization": "Bearer x"})
    for answer in (listing, fetched):
        assert answer.status_code == 401 and answer.json()["error"] == "bad-token"


@pytest.mark.parametrize(
    "name",
    ["../outside-1.fkf", "..%2Foutside-1.fkf", "/tmp/outside-1.fkf", "forms/../../outside-1.fkf"],
)
def test_a_signed_file_outside_the_forms_folder_is_not_served(
    shared_hq: Hq, published: Path, name: str
) -> None:
    """The use case itself, given names no HTTP client would normalise away."""
    outside = shared_hq.paths.root / "outside-1.fkf"
    outside.write_bytes(published.read_bytes())  # signed by HQ: only its place is wrong
    forms = Forms(
        shared_hq.paths, shared_hq.keys.hq_signing.public.public_key, shared_hq.repository
    )
    try:
        with pytest.raises(SyncError) as refused:
            forms.file(name.replace("/tmp", str(shared_hq.paths.root)))
    finally:
        outside.unlink()
    assert refused.value.code == "not-found"
    assert forms.file(published.name) == published.read_bytes()


def _deliveries_of(hq: Hq, key_id: str) -> list[deliveries.Delivery]:
    with transaction(hq.repository) as conn:
        return [d for d in deliveries.deliveries(conn) if d.device_key_id == key_id]


def test_each_fetch_of_a_form_is_recorded_as_delivered_to_the_device(
    server: Server, shared_hq: Hq, published: Path
) -> None:
    device = enrolled(shared_hq.repository)
    other = enrolled(shared_hq.repository)
    form = read_published_form(published.read_bytes(), shared_hq.keys.hq_signing.public.public_key)
    with server.client() as client:
        headers = sign_in(client, shared_hq, device)
        assert client.get("/v1/forms", headers=headers).status_code == 200
        assert client.get("/v1/forms/other-1.fkf", headers=headers).status_code == 404
        assert _deliveries_of(shared_hq, device.key.key_id) == []  # listed, nothing fetched
        assert client.get(f"/v1/forms/{published.name}", headers=headers).status_code == 200
        (first,) = _deliveries_of(shared_hq, device.key.key_id)
        time.sleep(1.1)  # times are whole seconds
        assert client.get(f"/v1/forms/{published.name}", headers=headers).status_code == 200
    (again,) = _deliveries_of(shared_hq, device.key.key_id)
    assert first.form_sha256 == form.sha256  # the definition's hash, as revisions name it
    assert first.first_at == first.last_at == again.first_at
    assert again.last_at > first.last_at
    assert _deliveries_of(shared_hq, other.key.key_id) == []


def test_a_fetch_without_a_session_records_nothing(
    server: Server, shared_hq: Hq, published: Path
) -> None:
    with transaction(shared_hq.repository) as conn:
        before = deliveries.deliveries(conn)
    with server.client() as client:
        answer = client.get(f"/v1/forms/{published.name}", headers={"Authorization": "Bearer x"})
    assert answer.status_code == 401
    with transaction(shared_hq.repository) as conn:
        assert deliveries.deliveries(conn) == before
