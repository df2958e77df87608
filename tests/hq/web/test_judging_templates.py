"""The review panel, the audit log and the victims page as templates, rendered on their own:
what each shows of a review sheet, an entry and a pair, in English and in Arabic."""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup
from starlette.requests import Request

from fieldkit.hq.accounts import Role
from fieldkit.hq.audit import AuditEntry, AuditPage, AuditReport, BadEntry
from fieldkit.hq.review import Review, ReviewSheet
from fieldkit.hq.web.routing import Account
from fieldkit.hq.web.templating import environment, render
from fieldkit.hq.workspace.victims import Pair, VictimFacts, VictimsView
from fieldkit.i18n import using_language

RECORD = "de" + "0" * 29 + "7"
TOKEN = "csrf-token-of-the-session-0123456789"


def reviewed(number: int, status: str, **more: Any) -> Review:
    values: dict[str, Any] = {
        "id": number,
        "record_id": RECORD,
        "revision_sha256": "a" * 64,
        "at": f"2026-12-0{number}T10:00:00Z",
        "actor": "analyst A",
        "status": status,
        "grade_source": None,
        "grade_info": None,
        "note": None,
        "hash": "b" * 64,
        "signature": "c" * 128,
        "valid": True,
    }
    values.update(more)
    return Review(**values)


def panel(sheet: ReviewSheet, language: str = "en", **context: Any) -> str:
    with using_language(language):
        template = environment().get_template("review/panel.html")
        field = Markup('<input type="hidden" name="csrf" value="{}">').format(TOKEN)
        return template.render(
            record_id=sheet.record_id, review=sheet, csrf_field=lambda: field, **context
        )


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def request_for(path: str) -> Request:
    request = Request(
        {
            "type": "http",
            "method": "GET",
            "path": path,
            "query_string": b"",
            "headers": [(b"host", b"127.0.0.1")],
            "scheme": "https",
            "server": ("127.0.0.1", 443),
        }
    )
    request.state.account = Account("analyst", Role.ANALYST)
    request.state.csrf = TOKEN
    return request


def test_an_unreviewed_record_s_panel_offers_a_review() -> None:
    html = panel(ReviewSheet(RECORD, None, [], "a" * 64))

    assert 'data-status="unreviewed"' in html
    assert f'action="/records/{RECORD}/review"' in html and 'method="post"' in html
    assert f'name="csrf" value="{TOKEN}"' in html
    for name in ("status", "grade_source", "grade_info", "note"):
        assert f'name="{name}"' in html
    assert "not graded" in html and "review-history" not in html
    assert "newer revision" not in html


def test_the_panel_shows_grades_note_history_and_an_outdated_review() -> None:
    first = reviewed(1, "follow-up")
    current = reviewed(
        2, "verified", grade_source="B", grade_info=2, note="two sources agree", valid=False
    )
    sheet = ReviewSheet(RECORD, current, [first, current], "d" * 64)

    html = panel(sheet)
    text = text_of(html)

    assert 'data-status="verified"' in html
    assert "B: usually reliable" in text and "2: probably true" in text
    assert "two sources agree" in text and "analyst A" in text
    assert "A newer revision of the record arrived after this review" in text
    assert "signature does not verify" in text and "INVALID" in text
    assert '<option value="B" selected>' in html and '<option value="2" selected>' in html
    assert '<option value="verified" selected>' in html
    rows = re.findall(r"<time datetime=\"([^\"]+)\">", html.split("review-history")[1])
    assert rows == ["2026-12-02T10:00:00Z", "2026-12-01T10:00:00Z"], "newest first"


def test_a_refused_review_shows_its_reason_and_what_was_sent() -> None:
    sheet = ReviewSheet(RECORD, None, [], "a" * 64)

    html = panel(
        sheet,
        review_error="--note: at most 4000 characters; nothing was changed.",
        review_form={"status": "rejected", "note": "kept <b>as typed</b>"},
    )

    assert 'id="review-error"' in html and "at most 4000 characters" in html
    assert '<option value="rejected" selected>' in html
    assert "kept &lt;b&gt;as typed&lt;/b&gt;" in html, "escaped"


def test_the_panel_in_arabic() -> None:
    current = reviewed(1, "rejected", grade_source="F", grade_info=6)
    html = panel(ReviewSheet(RECORD, current, [current], "a" * 64), "ar")

    assert "مرفوض" in html and "F: لا يمكن الحكم على موثوقيته" in html
    assert "Rejected" not in html


def test_the_audit_log_shows_a_reveal_s_reason_and_the_first_bad_entry() -> None:
    revealed = AuditEntry(
        id=5,
        at="2026-12-08T01:00:00Z",
        actor="analyst",
        action="revealed",
        subject=RECORD,
        detail={"reason": "protection follow-up"},
        previous="e" * 64,
        hash="f" * 64,
        signer="k" * 32,
        signature="0" * 128,
    )
    page = AuditPage([revealed], older=None, total=5)
    report = AuditReport(5, 3, BadEntry(2, "it was changed after it was signed"))

    with using_language("en"):
        answer = render(
            request_for("/audit"),
            "audit/log.html",
            {"page": page, "rows": [(revealed, revealed.detail)], "report": report, "before": 6},
        )
    text = text_of(answer.body.decode())

    assert "record revealed" in text and "reason protection follow-up" in text
    assert (
        "The audit log does not verify: audit entry 2: it was changed after it was signed." in text
    )
    assert 'href="/audit"' in answer.body.decode() and "Older entries" not in text


def test_the_victims_page_hides_names_unless_given() -> None:
    def victim(victim_id: str, name: str | None) -> VictimFacts:
        return VictimFacts(
            victim_id, victim_id.rpartition(".")[0], True, date="2026-01-12",
            place="Gao (ML-7)", sex="Male", name=name,
        )  # fmt: skip

    hidden = Pair(victim("r1.1", None), victim("r2.1", None))
    named = Pair(victim("r3.1", "Awa CANARY"), victim("r4.2", "awa canary"))
    view = VictimsView(None, [hidden, named], [], 7, frozenset({"r3", "r4"}))

    with using_language("en"):
        answer = render(
            request_for("/victims"),
            "victims/list.html",
            {"view": view, "record": None, "message": None, "error": None},
        )
    html = answer.body.decode()

    assert html.count("hidden") >= 2 and "Awa CANARY" in html and "awa canary" in html
    assert "7 persons, links applied" in text_of(html)
    assert html.count('action="/victims/link"') == 2 and html.count('name="csrf"') >= 4
