"""Reviews, victim decisions and the audit log through the real workspace (``fieldkit-hq web``
over TLS, over HTTP and in a browser): what an analyst does is signed and logged as on the
command line; a viewer, a missing CSRF token or bad input changes nothing; names need both
records revealed.

These tests change their HQ (reviews, links, a tampered entry): they run on a demonstration HQ
and a server of their own, so that other pages' tests see the demonstration as built."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from fieldkit.hq import audit, review, victims
from fieldkit.hq.accounts import SessionReveals, find_session
from fieldkit.hq.keys import load_config, unlock
from fieldkit.hq.repository import Repository, open_repository
from tests.hq.judging import drop_append_only_guard
from tests.hq.web.conftest import _quick
from tests.hq.web.support import (
    WebServer,
    WorkspaceClient,
    WorkspaceHq,
    build_workspace_hq,
    hq_demo,
)

FIRST, SECOND, THIRD = (hq_demo().rid(n) for n in (1, 2, 3))
A, B = f"{FIRST}.1", f"{SECOND}.1"
NAMES = ("Amadou EXEMPLE", "exemple, amadou")
ENTRY = re.compile(r'<tr data-action="[^"]+">\s*<td>(\d+)</td>')


@pytest.fixture(scope="module")
def judged_hq(tmp_path_factory: pytest.TempPathFactory) -> WorkspaceHq:
    folder = tmp_path_factory.mktemp("judged")
    with pytest.MonkeyPatch.context() as patch:
        _quick(patch, folder)
        return build_workspace_hq(folder / "demo")


@pytest.fixture(scope="module")
def web_server(
    judged_hq: WorkspaceHq, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebServer]:
    """This module's own server (the conftest's ``http_as`` and ``page_as`` use it)."""
    log = tmp_path_factory.mktemp("judged-log") / "web.log"
    with pytest.MonkeyPatch.context() as patch:
        _quick(patch, tmp_path_factory.mktemp("judged-home"))
        # each test signs in anew, more often than an address may by default
        running = WebServer(judged_hq, log, "--sign-ins-per-minute", "1000").start()
    yield running
    running.stop()


@pytest.fixture
def repository(judged_hq: WorkspaceHq) -> Iterator[Repository]:
    opened = open_repository(judged_hq.db_url)
    yield opened
    opened.close()


@pytest.fixture
def public_key(judged_hq: WorkspaceHq) -> bytes:
    return load_config(judged_hq.paths).signing_public_key


def actions(repository: Repository) -> list[tuple[str, str, str | None]]:
    return [(e.actor, e.action, e.subject) for e in audit.entries(repository)]


def text_of(html: str) -> str:
    """The page's text, tags dropped and spaces folded (for one-line messages)."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_an_analyst_reviews_a_record_signed_and_logged(
    http_as: Callable[[str], WorkspaceClient], repository: Repository, public_key: bytes
) -> None:
    client = http_as("analyst")
    token = client.csrf("/victims")

    answer = client.post(
        f"/records/{THIRD}/review",
        data={"csrf": token, "status": "verified", "grade_source": "b", "grade_info": "2",
              "note": "two sources agree"},
    )  # fmt: skip

    assert answer.status_code == 303
    assert answer.headers["location"] == f"/records/{THIRD}#review"
    sheet = review.review_of(repository, public_key, THIRD)
    assert sheet.current is not None and sheet.current.valid
    current = sheet.current
    assert (current.status, current.grade_source, current.grade_info, current.actor) == (
        "verified", "B", 2, "analyst",
    )  # fmt: skip
    assert current.note == "two sources agree"
    entry = audit.entries(repository)[-1]
    assert (entry.actor, entry.action, entry.subject) == ("analyst", "review_set", THIRD)
    assert entry.detail["status"] == "verified" and "two sources" not in repr(entry)
    assert audit.verify(repository, public_key).ok


def test_refused_reviews_change_nothing(
    http_as: Callable[[str], WorkspaceClient], repository: Repository, public_key: bytes
) -> None:
    analyst, viewer = http_as("analyst"), http_as("viewer")
    token = analyst.csrf("/victims")
    before = (actions(repository), review.review_of(repository, public_key, FIRST).history)
    wanted = {"status": "rejected", "note": "should not be kept"}

    by_viewer = viewer.post(
        f"/records/{FIRST}/review", data={**wanted, "csrf": viewer.csrf("/account")}
    )
    no_token = analyst.post(f"/records/{FIRST}/review", data=wanted)
    wrong_token = analyst.post(f"/records/{FIRST}/review", data={**wanted, "csrf": "x" * 40})
    bad_grade = analyst.post(
        f"/records/{FIRST}/review", data={**wanted, "grade_info": "9", "csrf": token}
    )
    unknown = analyst.post("/records/0123456789abcdef/review", data={**wanted, "csrf": token})

    assert by_viewer.status_code == no_token.status_code == wrong_token.status_code == 403
    assert bad_grade.status_code == 400
    message = text_of(bad_grade.text)
    assert "--grade-info: give a number from 1 (confirmed) to 6 (cannot be judged)." in message
    assert "should not be kept" in bad_grade.text, "what was typed is shown again"
    assert unknown.status_code == 404 and "No record 0123456789abcdef" in text_of(unknown.text)
    after = (actions(repository), review.review_of(repository, public_key, FIRST).history)
    assert after == before


def test_link_and_unlink_change_the_persons_counted(
    http_as: Callable[[str], WorkspaceClient], repository: Repository, public_key: bytes
) -> None:
    client = http_as("analyst")
    page = client.get("/victims")
    assert page.status_code == 200
    assert A in page.text and B in page.text and "Journalist" in page.text
    persons = victims.distinct_persons(repository)
    token = client.csrf("/victims")

    linked = client.post("/victims/link", data={"a": B, "b": A, "csrf": token})

    assert linked.status_code == 200
    assert f"Linked: {A} and {B} are one person ({A}); signed and logged." in text_of(linked.text)
    assert victims.distinct_persons(repository) == persons - 1
    assert victims.matches(repository) == []
    assert actions(repository)[-1] == ("analyst", "victims_linked", A)
    assert 'data-decision="link"' in linked.text

    unlinked = client.post("/victims/unlink", data={"a": A, "b": B, "csrf": token})

    assert unlinked.status_code == 200
    assert "are different persons; signed and logged" in text_of(unlinked.text)
    assert victims.distinct_persons(repository) == persons
    assert actions(repository)[-1] == ("analyst", "victims_unlinked", A)
    assert audit.verify(repository, public_key).ok

    relinked = client.post("/victims/link", data={"a": A, "b": B, "record": FIRST, "csrf": token})
    assert relinked.status_code == 200 and victims.distinct_persons(repository) == persons - 1
    assert 'name="record" value="' + FIRST in relinked.text, "the page stays on the record"


def test_refused_decisions_change_nothing(
    http_as: Callable[[str], WorkspaceClient], repository: Repository
) -> None:
    analyst, viewer = http_as("analyst"), http_as("viewer")
    token = analyst.csrf("/victims")
    before = (actions(repository), victims.distinct_persons(repository))
    pair = {"a": A, "b": f"{THIRD}.1"}

    assert viewer.get("/victims").status_code == 403
    by_viewer = viewer.post("/victims/link", data={**pair, "csrf": viewer.csrf("/account")})
    no_token = analyst.post("/victims/link", data=pair)
    same = analyst.post("/victims/link", data={"a": A, "b": A, "csrf": token})
    unknown = analyst.post("/victims/unlink", data={"a": A, "b": f"{FIRST}.7", "csrf": token})

    assert by_viewer.status_code == no_token.status_code == 403
    assert same.status_code == 400 and "Give two different victims" in same.text
    assert unknown.status_code == 404 and f"No victim {FIRST}.7" in text_of(unknown.text)
    assert (actions(repository), victims.distinct_persons(repository)) == before


def test_names_only_after_both_records_are_revealed(
    http_as: Callable[[str], WorkspaceClient], repository: Repository
) -> None:
    client = http_as("analyst")
    token = client.cookies.get("__Host-fk_session")
    session = find_session(repository, token)
    assert session is not None
    reveals = SessionReveals(repository)

    for name in NAMES:
        assert name not in client.get(f"/victims?record={FIRST}").text
    reveals.grant(session, FIRST)
    one = client.get(f"/victims?record={FIRST}").text
    reveals.grant(session, SECOND)
    both = client.get(f"/victims?record={FIRST}").text
    other = http_as("analyst").get(f"/victims?record={FIRST}").text

    assert not any(name in one for name in NAMES)
    assert all(name in both for name in NAMES), "both revealed: both names"
    assert not any(name in other for name in NAMES), "another session revealed nothing"


def test_the_victims_page_narrows_to_a_record(
    http_as: Callable[[str], WorkspaceClient],
) -> None:
    client = http_as("analyst")
    narrowed = client.get(f"/victims?record={THIRD}")
    unknown = client.get("/victims?record=0123456789")

    assert narrowed.status_code == 200 and f'value="{THIRD}"' in narrowed.text
    assert A not in narrowed.text
    assert unknown.status_code == 404 and "No record 0123456789" in text_of(unknown.text)


def test_the_audit_page_lists_newest_first_and_verifies(
    http_as: Callable[[str], WorkspaceClient], repository: Repository
) -> None:
    analyst = http_as("analyst")
    numbers = [e.id for e in audit.entries(repository)]
    assert numbers, "the tests above wrote entries"

    page = analyst.get("/audit")
    verified = analyst.get("/audit?verify=1")

    assert page.status_code == 200 and "audit-verified" not in page.text
    shown = [int(n) for n in ENTRY.findall(page.text)]
    assert shown == sorted(numbers, reverse=True)[: len(shown)] and shown
    assert "victims linked" in page.text and "signed" not in re.findall(
        r"<dt>([^<]*)</dt>", page.text
    )
    assert 'data-verified="ok"' in verified.text
    assert f"{len(numbers)} entries signed by this headquarters" in text_of(verified.text)
    assert http_as("viewer").get("/audit").status_code == 403
    assert http_as("admin").get("/audit").status_code == 200
    assert analyst.get("/audit?before=abc").status_code == 400


def test_a_tampered_log_is_named_on_the_audit_page(
    http_as: Callable[[str], WorkspaceClient], repository: Repository
) -> None:
    engine = repository.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        drop_append_only_guard(conn)
        conn.execute(sa.text("UPDATE audit_log SET actor = 'mallory' WHERE id = 1"))
    try:
        answer = http_as("admin").get("/audit?verify=1")
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE audit_log SET actor = 'analyst' WHERE id = 1"))

    assert answer.status_code == 200 and 'data-verified="bad"' in answer.text
    assert "The audit log does not verify: audit entry 1: it was changed after it was signed." in (
        text_of(answer.text)
    )


def test_paging_goes_back_to_the_first_entry(
    http_as: Callable[[str], WorkspaceClient], repository: Repository, judged_hq: WorkspaceHq
) -> None:
    keys = unlock(judged_hq.paths, judged_hq.passphrase)
    for number in range(60):  # more than a page
        status = ("follow-up", "verified")[number % 2]
        review.set_review(repository, keys, SECOND, status, actor="analyst")
    client = http_as("analyst")
    seen: list[int] = []
    address: str | None = "/audit"
    while address is not None:
        html = client.get(address).text
        seen += [int(n) for n in ENTRY.findall(html)]
        found = re.search(r'href="(/audit\?before=\d+)" rel="next"', html)
        address = found.group(1) if found else None
    assert len(seen) > audit.PAGE_SIZE
    assert seen == sorted((e.id for e in audit.entries(repository)), reverse=True)


@pytest.mark.browser
@pytest.mark.slow
def test_an_analyst_links_two_victims_and_verifies_the_log_in_a_browser(
    page_as: Callable[[str], Any], repository: Repository, judged_hq: WorkspaceHq
) -> None:
    keys = unlock(judged_hq.paths, judged_hq.passphrase)
    victims.unlink(repository, keys, A, B, actor="analyst")
    persons = victims.distinct_persons(repository)
    page = page_as("analyst")

    page.goto(f"/victims?record={FIRST}")
    row = page.locator("#decisions tbody.victim-decision").first
    assert row.get_attribute("data-decision") == "unlink"
    row.get_by_role("button", name="Link").click()
    page.wait_for_selector("#victims-outcome")

    assert "are one person" in page.locator("#victims-outcome").inner_text()
    assert (
        page.locator("#decisions tbody.victim-decision").first.get_attribute("data-decision")
        == "link"
    )
    assert victims.distinct_persons(repository) == persons - 1

    page.goto("/audit")
    first = page.locator("#audit-entries tbody tr").first
    assert first.get_attribute("data-action") == "victims_linked"
    assert "analyst" in first.inner_text()
    page.get_by_role("button", name="Verify the log").click()
    page.wait_for_selector("#audit-verified")
    assert page.locator("#audit-verified").get_attribute("data-verified") == "ok"
    assert "The audit log verifies" in page.locator("#audit-verified").inner_text()


def test_the_pages_speak_the_account_s_language(
    http_as: Callable[[str], WorkspaceClient],
) -> None:
    client = http_as("analyst")
    chosen = client.post(
        "/language", data={"lang": "fr", "next": "/victims", "csrf": client.csrf("/victims")}
    )
    assert chosen.status_code == 303

    victims_page = text_of(client.get(f"/victims?record={FIRST}").text)
    audit_page = text_of(client.get("/audit").text)

    assert "Victimes" in victims_page and "Décisions" in victims_page
    assert "Masculin" in victims_page and "Journaliste" in victims_page
    assert "Journal d'audit" in audit_page and "Vérifier le journal" in audit_page


@pytest.mark.browser
@pytest.mark.slow
def test_an_analyst_reviews_a_record_through_its_panel_in_a_browser(
    page_as: Callable[[str], Any], repository: Repository, public_key: bytes
) -> None:
    pytest.importorskip(
        "fieldkit.hq.web.pages.records", reason="the record page, which holds the panel"
    )
    record = hq_demo().rid(5)
    page = page_as("analyst")
    page.goto(f"/records/{record}")
    panel = page.locator("section.review-panel")
    assert panel.locator(".review-status").get_attribute("data-status") == "unreviewed"

    panel.locator("#review-status").select_option("follow-up")
    panel.locator("#review-grade-source").select_option("C")
    panel.locator("#review-grade-info").select_option("3")
    panel.locator("#review-note").fill("ask the second source again")
    panel.get_by_role("button", name="Save the review").click()
    page.wait_for_url(f"**/records/{record}#review")

    panel = page.locator("section.review-panel")
    assert panel.locator(".review-status").get_attribute("data-status") == "follow-up"
    shown = panel.inner_text()
    assert "C: fairly reliable" in shown and "3: possibly true" in shown
    assert "ask the second source again" in shown
    current = review.review_of(repository, public_key, record).current
    assert current is not None and (current.status, current.actor) == ("follow-up", "analyst")

    viewer = page_as("viewer")
    viewer.goto(f"/records/{record}")
    assert viewer.locator("h1").count() == 1
    assert viewer.locator("section.review-panel").count() == 0
