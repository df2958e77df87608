"""The use cases behind the review panel, the victims page and the audit page, on SQLite and
PostgreSQL: candidate pairs with their records' facts, names only for revealed records, current
decisions, the audit log paged newest first and its verification in one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from fieldkit.hq import audit, review, victims
from fieldkit.hq.errors import InvalidInputError, NotFoundError
from fieldkit.hq.repository import Repository
from fieldkit.hq.workspace.victims import victim_names_of, victims_view
from fieldkit.i18n import set_language
from tests.hq.conftest import SQL_BACKENDS, _open
from tests.hq.judging import (
    attack,
    attack_form,
    drop_append_only_guard,
    ingest,
    ingest_revisions,
    victim,
)
from tests.hq.support import Device, Hq

NAME = "Awa Traoré-CANARY"
SAME = "TRAORE-canary, awa"
OTHER = "Fatou Keïta-CANARY"


@pytest.fixture(params=SQL_BACKENDS)
def sql_hq(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hq]:
    repository: Repository = _open(request.param, request)
    yield Hq(tmp_path, repository)
    repository.close()


def event(*named: dict[str, Any], date: str, admin1: str | None = "ML-7") -> dict[str, Any]:
    answers = attack(*named)
    answers.update(date_start=date, country="MLI")
    if admin1 is not None:
        answers["admin1"] = admin1
    return answers


def three_records(hq: Hq) -> tuple[str, str, str]:
    """Record 1: Awa; record 2: Fatou and Awa spelt otherwise; record 3: nobody named alike."""
    device = Device()
    device.register(hq.repository)
    return tuple(  # type: ignore[return-value]
        ingest(
            hq,
            device,
            event(victim(NAME, "V-1", victim_sex="female"), date="2026-02-03"),
            event(
                victim(OTHER, "V-2", victim_sex="female"),
                victim(SAME, "V-3", victim_sex="female", victim_category="journalist"),
                date="2026-02",
                admin1=None,
            ),
            event(victim("Someone Else", "V-4"), date="2026-03-01"),
        )
    )


def test_candidates_come_with_the_facts_that_help_decide_and_no_name(sql_hq: Hq) -> None:
    first, second, _third = three_records(sql_hq)
    set_language("en")

    view = victims_view(sql_hq.repository, sql_hq.secrets)

    (pair,) = view.candidates
    assert (pair.a.victim_id, pair.b.victim_id) == tuple(sorted((f"{first}.1", f"{second}.2")))
    facts = {pair.a.record_id: pair.a, pair.b.record_id: pair.b}
    assert facts[first].date == "2026-02-03" and facts[first].place == "Gao (ML-7)"
    assert facts[second].date == "2026-02" and facts[second].place == "MLI"
    assert facts[first].sex == "Female" and facts[second].category == "Journalist or media worker"
    assert pair.a.name is None and pair.b.name is None
    assert "CANARY" not in repr(view)
    assert view.persons == 4 and view.decisions == [] and view.revealed == frozenset()


def test_names_only_for_pairs_whose_two_records_are_revealed(sql_hq: Hq) -> None:
    first, second, _third = three_records(sql_hq)
    repository, keys = sql_hq.repository, sql_hq.secrets

    one = victims_view(repository, keys, revealed=lambda record: record == first)
    both = victims_view(repository, keys, revealed=lambda record: record in (first, second))

    assert [(p.a.name, p.b.name) for p in one.candidates] == [(None, None)]
    assert one.revealed == frozenset()
    names = {p.victim_id: p.name for p in (both.candidates[0].a, both.candidates[0].b)}
    assert names == {f"{first}.1": NAME, f"{second}.2": SAME}
    assert both.revealed == {first, second}
    assert victim_names_of(repository, keys, [second]) == {
        f"{second}.1": OTHER,
        f"{second}.2": SAME,
    }


def test_a_record_narrows_the_page_and_an_unknown_one_is_named(sql_hq: Hq) -> None:
    first, _second, third = three_records(sql_hq)
    repository, keys = sql_hq.repository, sql_hq.secrets

    assert len(victims_view(repository, keys, record=first[:8]).candidates) == 1
    assert victims_view(repository, keys, record=first).record_id == first
    assert victims_view(repository, keys, record=third).candidates == []
    with pytest.raises(NotFoundError, match="No record 0123456789"):
        victims_view(repository, keys, record="0123456789")


def test_decisions_are_listed_newest_first_with_who_and_when(sql_hq: Hq) -> None:
    first, second, third = three_records(sql_hq)
    repository, keys = sql_hq.repository, sql_hq.secrets
    a, b, c = f"{first}.1", f"{second}.2", f"{third}.1"
    victims.link(repository, keys, a, b, actor="ana", at="2026-04-01T10:00:00Z")
    victims.link(repository, keys, a, c, actor="ben", at="2026-04-01T11:00:00Z")
    victims.unlink(repository, keys, a, c, actor="ana", at="2026-04-01T12:00:00Z")

    view = victims_view(repository, keys)

    assert [(d.decision, d.actor, d.at) for d in view.decisions] == [
        ("unlink", "ana", "2026-04-01T12:00:00Z"),
        ("link", "ana", "2026-04-01T10:00:00Z"),
    ]
    assert view.candidates == [] and view.persons == 3
    linked = {v.record_id: v for v in (view.decisions[1].pair.a, view.decisions[1].pair.b)}
    assert linked[first].present and linked[first].date == "2026-02-03"
    narrowed = victims_view(repository, keys, record=second)
    assert [d.decision for d in narrowed.decisions] == ["link"]


def test_the_audit_log_in_pages_newest_first(sql_hq: Hq) -> None:
    first, second, _third = three_records(sql_hq)
    repository, keys = sql_hq.repository, sql_hq.secrets
    for status in ("verified", "follow-up", "rejected", "verified", "follow-up"):
        review.set_review(repository, keys, first, status, actor="ana")
    victims.link(repository, keys, f"{first}.1", f"{second}.2", actor="ben")

    page = audit.page(repository, size=4)

    assert [e.id for e in page.entries] == [6, 5, 4, 3] and page.total == 6
    assert page.entries[0].action == "victims_linked" and page.older == 3
    rest = audit.page(repository, before=page.older, size=4)
    assert [e.id for e in rest.entries] == [2, 1] and rest.older is None
    assert "signed" not in audit.shown_detail(page.entries[0])
    assert audit.shown_detail(page.entries[1])["status"] == "follow-up"
    with pytest.raises(InvalidInputError):
        audit.page(repository, before=0)
    with pytest.raises(InvalidInputError):
        audit.page(repository, size=0)


def test_a_tampered_log_is_named_in_one_line(sql_hq: Hq) -> None:
    first, _second, _third = three_records(sql_hq)
    repository, keys = sql_hq.repository, sql_hq.secrets
    review.set_review(repository, keys, first, "verified", actor="ana")
    review.set_review(repository, keys, first, "rejected", actor="ana")
    public = keys.signing_key.public.public_key
    assert audit.verify(repository, public).problem is None

    engine = repository.engine  # type: ignore[attr-defined]
    with engine.begin() as conn:
        drop_append_only_guard(conn)
        conn.execute(sa.text("UPDATE audit_log SET actor = 'mallory' WHERE id = 2"))

    problem = audit.verify(repository, public).problem
    assert problem is not None and problem.startswith("audit entry 2: ") and "\n" not in problem


def test_a_decision_on_a_victim_a_newer_revision_removed_is_still_listed(sql_hq: Hq) -> None:
    device = Device()
    device.register(sql_hq.repository)
    form = attack_form()
    first = device.revision(data=event(victim(NAME, "V-1"), date="2026-02-03"), form=form)
    second = device.revision(
        data=event(victim(OTHER, "V-2"), victim(SAME, "V-3"), date="2026-02-04"), form=form
    )
    ingest_revisions(sql_hq, device, [first, second])
    repository, keys = sql_hq.repository, sql_hq.secrets
    a, b = f"{first.record_id}.1", f"{second.record_id}.2"
    victims.link(repository, keys, a, b, actor="ana")
    amended = device.revision(
        record_id=second.record_id,
        number=2,
        previous=second.sha256,
        data=event(victim(OTHER, "V-2"), date="2026-02-04"),
        form=form,
    )
    ingest_revisions(sql_hq, device, [amended])

    view = victims_view(repository, keys, revealed=lambda _record: True)

    (decision,) = view.decisions
    gone = {v.victim_id: v for v in (decision.pair.a, decision.pair.b)}[b]
    assert not gone.present and gone.name is None and gone.record_id == second.record_id
    assert victim_names_of(repository, keys, [second.record_id]) == {f"{second.record_id}.1": OTHER}
