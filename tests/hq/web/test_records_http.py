"""The records pages over HTTP, per role: a viewer reaches no restricted or identifying answer and
no attachment by any URL; an analyst reveals with a reason and then gets the photo."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from fieldkit.hq import audit
from fieldkit.hq.repository import open_repository
from tests.hq.web import dataset as ds
from tests.hq.web.support import WebServer, WorkspaceClient

Client = Callable[[str], WorkspaceClient]


@pytest.fixture(scope="module")
def signed_in(web_server: WebServer) -> Iterator[Client]:
    """One session per role for the module (sign-ins are rate-limited per client address)."""
    clients: dict[str, WorkspaceClient] = {}

    def client(role: str) -> WorkspaceClient:
        if role not in clients:
            clients[role] = web_server.signed_in(role)
        return clients[role]

    yield client
    for opened in clients.values():
        opened.close()


RECORD = f"/records/{ds.PHOTO_RECORD}"
PHOTO = f"{RECORD}/attachments/{ds.PHOTO_SHA256}"
SECRETS = (ds.VICTIM_NAME, ds.SOURCE_PSEUDONYM, "photo.png")


def _no_secret(text: str, *more: str) -> None:
    for secret in (*SECRETS, *more):
        assert secret not in text


def test_the_list_and_its_filters(signed_in: Client) -> None:
    client = signed_in("analyst")
    answer = client.get("/records")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert ds.PHOTO_RECORD in answer.text and 'name="q"' in answer.text
    filtered = client.get("/records", params={"admin1": "ML-4", "from": "2026-03"})
    assert ds.PHOTO_RECORD in filtered.text and ds.rid_demo(1) not in filtered.text
    assert "2 records match." in filtered.text
    paged = client.get("/records", params={"after": "2099-01-01T00:00:00Z~" + "f" * 32})
    assert paged.status_code == 200 and "First page" in paged.text
    bad = client.get("/records", params={"from": "March"})
    assert bad.status_code == 400 and "is not a period" in bad.text


def test_keyset_links_lead_through_every_page(signed_in: Client) -> None:
    client = signed_in("viewer")
    import re

    seen: set[str] = set()
    path = "/records"
    for _page in range(10):
        answer = client.get(path)
        assert answer.status_code == 200
        seen.update(re.findall(r'href="/records/([0-9a-f]{32})"', answer.text))
        found = re.search(r'href="([^"]+)" rel="next"', answer.text)
        if found is None:
            break
        path = found.group(1).replace("&amp;", "&")
    assert ds.PHOTO_RECORD in seen and ds.rid_demo(1) in seen


def test_a_viewer_searching_a_restricted_word_finds_nothing(signed_in: Client) -> None:
    viewer, analyst = signed_in("viewer"), signed_in("analyst")
    params = {"q": ds.RESTRICTED_WORD}
    assert ds.PHOTO_RECORD not in viewer.get("/records", params=params).text
    assert ds.PHOTO_RECORD in analyst.get("/records", params=params).text
    for secret in (ds.VICTIM_NAME, ds.SOURCE_PSEUDONYM):
        assert ds.PHOTO_RECORD not in analyst.get("/records", params={"q": secret}).text


def test_a_viewer_record_page_holds_public_answers_only(signed_in: Client) -> None:
    viewer = signed_in("viewer")
    page = viewer.get(RECORD)
    assert page.status_code == 200
    assert ds.PUBLIC_PSEUDONYM in page.text
    _no_secret(page.text, ds.RESTRICTED_WORD, "Demo place", ds.PHOTO_SHA256, "reveal-form")


def test_a_viewer_reaches_no_attachment_and_cannot_reveal(signed_in: Client) -> None:
    viewer = signed_in("viewer")
    assert viewer.get(PHOTO).status_code == 403
    token = viewer.csrf(RECORD)
    answer = viewer.post(
        f"{RECORD}/reveal", data={"reason": "checking consent for the referral", "csrf": token}
    )
    assert answer.status_code == 403
    _no_secret(answer.text)
    page = viewer.get(RECORD)  # nothing was granted
    _no_secret(page.text)
    assert viewer.get(PHOTO).status_code == 403


def test_unknown_records_answer_404(signed_in: Client) -> None:
    client = signed_in("analyst")
    assert client.get("/records/" + "0" * 32).status_code == 404
    assert client.get("/records/not-a-record").status_code == 404
    assert client.get(
        f"/records/{ds.SAME_DAY_RECORD}/attachments/{ds.PHOTO_SHA256}"
    ).status_code in (
        403,
        404,
    )


def test_signed_out_the_pages_redirect_to_sign_in(web_server: WebServer) -> None:
    with web_server.client() as anonymous:
        for path in ("/records", RECORD, PHOTO):
            answer = anonymous.get(path)
            assert answer.status_code == 303 and answer.headers["location"] == "/sign-in"


def test_an_analyst_reveals_with_a_reason_then_gets_the_photo(
    signed_in: Client, web_server: WebServer
) -> None:
    analyst = web_server.signed_in("analyst")  # a session of its own: it will hold a reveal
    page = analyst.get(RECORD)
    assert ds.RESTRICTED_WORD in page.text and 'id="reveal-form"' in page.text
    _no_secret(page.text)
    assert analyst.get(PHOTO).status_code == 403
    token = analyst.csrf(RECORD)
    refused = analyst.post(f"{RECORD}/reveal", data={"reason": "x", "csrf": token})
    assert refused.status_code == 400 and "reason for revealing" in refused.text
    _no_secret(refused.text)
    no_token = analyst.post(f"{RECORD}/reveal", data={"reason": "checking consent again"})
    assert no_token.status_code == 403
    assert analyst.get(PHOTO).status_code == 403
    reason = "checking consent before the protection referral"
    done = analyst.post(f"{RECORD}/reveal", data={"reason": reason, "csrf": token})
    assert done.status_code == 303
    revealed = analyst.get(RECORD)
    assert ds.VICTIM_NAME in revealed.text and ds.SOURCE_PSEUDONYM in revealed.text
    assert f'src="{PHOTO}"' in revealed.text
    photo = analyst.get(PHOTO)
    assert photo.status_code == 200 and photo.content == ds.PHOTO
    assert photo.headers["content-type"] == "image/png"
    assert photo.headers["cache-control"] == "no-store"
    assert photo.headers["x-content-type-options"] == "nosniff"
    other = signed_in("admin")  # another session: the reveal is the analyst's session's alone
    assert other.get(PHOTO).status_code == 403
    _no_secret(other.get(RECORD).text)
    analyst.close()
    repository = open_repository(web_server.hq.db_url)
    try:
        entry = audit.entries(repository)[-1]
    finally:
        repository.close()
    assert (entry.action, entry.actor, entry.subject) == ("revealed", "analyst", ds.PHOTO_RECORD)
    assert entry.detail == {"reason": reason}


@pytest.mark.parametrize("path", ["/records", RECORD])
def test_the_pages_come_in_the_chosen_language(signed_in: Client, path: str) -> None:
    answer = signed_in("viewer").get(path, headers={"accept-language": "fr"})
    assert answer.status_code == 200
    assert 'lang="fr"' in answer.text
