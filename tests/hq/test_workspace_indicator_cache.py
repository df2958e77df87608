"""The workspace's indicator cache (fieldkit.hq.workspace.indicator_cache) on the data set of
tests/hq/indicator_dataset.py: a second request is served without computing again, and every
change an indicator reads (ingest, a review, a victim link or unlink, a place settlement) changes
the repository's fingerprint, so that the next request computes and shows the new figures."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from fieldkit.hq import review, victims
from fieldkit.hq.analysis import tables as a
from fieldkit.hq.analysis.places import settle_place
from fieldkit.hq.analysis.rebuild import rebuild
from fieldkit.hq.analysis.session import transaction
from fieldkit.hq.indicators import service
from fieldkit.hq.indicators.model import INTERNAL, RELEASE, Counts
from fieldkit.hq.repository import Repository
from fieldkit.hq.workspace import indicator_cache
from fieldkit.hq.workspace import indicators as workspace
from fieldkit.hq.workspace.indicators import IndicatorQuery
from tests.hq import indicator_dataset as ds
from tests.hq.analysis_forms import ATTACK, example

SDG = "sdg-16-10-1"


@pytest.fixture
def data(sql_repository: Repository) -> Repository:
    ds.build(sql_repository)
    return sql_repository


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The indicators computed from the database, in order."""
    calls: list[str] = []
    count = service.count

    def counting(repository: Repository, plan: service.Plan) -> Counts:
        calls.append(plan.indicator.id)
        return count(repository, plan)

    monkeypatch.setattr(service, "count", counting)
    return calls


def query(*, analyst: bool = True, **params: str) -> IndicatorQuery:
    params.setdefault("period", "2026")
    return IndicatorQuery.from_query(params, internal_allowed=analyst)


def total(repository: Repository, **params: str) -> int | None:
    return workspace.compute(repository, SDG, query(**params)).grand_total


def test_a_second_request_is_served_from_the_cache(data: Repository, computed: list[str]) -> None:
    first = workspace.view(data, SDG, query())
    again = workspace.view(data, SDG, query())
    assert computed == [SDG]
    assert again.rows == first.rows and again.output.grand_total == first.output.grand_total
    # Downloads of the same request are served from it too; another request is computed.
    workspace.csv_of(workspace.compute(data, SDG, query()))
    assert computed == [SDG]
    workspace.compute(data, SDG, query(by="sex"))
    workspace.compute(data, SDG, query(period="2026-Q1"))
    assert computed == [SDG, SDG, SDG]


def test_a_viewer_gets_the_release_tier_of_the_same_counts(
    data: Repository, computed: list[str]
) -> None:
    internal = workspace.compute(data, SDG, query())
    released = workspace.compute(data, SDG, query(analyst=False, tier="internal"))
    assert (internal.tier, released.tier) == (INTERNAL, RELEASE)
    # The same as computed afresh in each tier: small counts withheld in the release only.
    assert internal == service.show_indicator(data, SDG, period="2026", tier=INTERNAL)
    assert released == service.show_indicator(data, SDG, period="2026", tier=RELEASE)
    assert internal.grand_total == 4 and not internal.suppressed
    assert released.grand_total is None and released.suppressed
    # After a viewer's request, an analyst still gets the exact figures, and the other way.
    assert workspace.compute(data, SDG, query()) == internal
    assert workspace.compute(data, SDG, query(analyst=False)) == released
    assert computed == [SDG, SDG, SDG]  # the cache once, the two direct computations


def test_each_change_is_seen_by_the_next_request(data: Repository, computed: list[str]) -> None:
    secrets = ds.hq_keys()
    seen = [indicator_cache.fingerprint(data)]
    figures = [total(data)]

    def changed(change: Callable[[], Any], figure: int | None) -> None:
        change()
        seen.append(indicator_cache.fingerprint(data))
        assert seen[-1] != seen[-2]
        assert total(data) == figure
        assert total(data) == figure
        figures.append(figure)

    start = figures[0]
    assert start is not None
    # A8's only victim is counted once HQ's review no longer rejects it.
    changed(
        lambda: review.set_review(data, secrets, ds.rid("A8"), "follow-up", actor="ana"), start + 1
    )
    # Unlinked, A1's and A2's victims are two persons again.
    a1, a2 = f"{ds.rid('A1')}.1", f"{ds.rid('A2')}.1"
    changed(lambda: victims.unlink(data, secrets, a1, a2, actor="ana"), start + 2)
    changed(lambda: victims.link(data, secrets, a1, a2, actor="ana"), start + 1)
    # A new record of a new person, at a place typed as no subdivision's name.
    new = ds.Item("A9", ATTACK, "1", _attack_at("Menaka Nord"), "2026-07-01T08:00:00Z")
    changed(lambda: ds.store(data, [new]), start + 2)
    assert computed == [SDG] * 5
    by_place = workspace.compute(data, SDG, query(by="admin1", country="MLI"))
    assert [row.key for row in by_place.rows] == [("ML-1",), ("unknown",)]
    changed(lambda: settle_place(data, "MLI", "menaka nord", "ML-9", "ana"), start + 2)
    by_place = workspace.compute(data, SDG, query(by="admin1", country="MLI"))
    assert [row.key for row in by_place.rows] == [("ML-1",), ("ML-9",)]
    assert len(set(seen)) == len(seen)


def test_a_rebuild_is_seen_by_the_next_request(data: Repository, computed: list[str]) -> None:
    before = workspace.compute(data, SDG, query(by="act"))
    printed = indicator_cache.fingerprint(data)
    # A rebuild writes what the mapping makes now: here, rows changed since they were written.
    with transaction(data, write=True) as conn:
        conn.execute(a.an_victims.update().values(category="journalist"))
    assert indicator_cache.fingerprint(data) == printed  # not a change a writer of HQ makes
    assert workspace.compute(data, SDG, query(by="act")) == before
    rebuild(data)
    assert indicator_cache.fingerprint(data).rebuild == printed.rebuild + 1
    after = workspace.compute(data, SDG, query(by="act"))
    assert computed == [SDG, SDG]
    assert after.rows == before.rows and after.grand_total == before.grand_total


def test_concurrent_identical_requests_compute_once(
    data: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    count = service.count
    started = threading.Event()

    def slow(repository: Repository, plan: service.Plan) -> Counts:
        calls.append(plan.indicator.id)
        started.set()
        threading.Event().wait(0.2)
        return count(repository, plan)

    monkeypatch.setattr(service, "count", slow)
    results: list[int | None] = []
    threads = [threading.Thread(target=lambda: results.append(total(data))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [SDG] and len(set(results)) == 1 and results[0] is not None


def test_the_cache_keeps_the_most_recently_used() -> None:
    held = indicator_cache.CountsCache(size=2)
    made: list[str] = []

    def make(name: str) -> Callable[[], Counts]:
        def compute() -> Counts:
            made.append(name)
            return Counts(("n",))

        return compute

    def key(name: str) -> indicator_cache.Key:
        request = query().from_query({"period": "2026"}, internal_allowed=True)
        plan = service.plan(SDG, period=request.period, by=None)
        print_ = indicator_cache.Fingerprint(1, 1, 0, name, 0)
        return indicator_cache.Key(SDG, plan.request, print_)

    for name in ("a", "b", "a", "c", "a", "b"):
        held.get(key(name), make(name))
    assert made == ["a", "b", "c", "b"] and len(held) == 2
    with pytest.raises(ValueError, match="broken"):
        held.get(key("d"), lambda: (_ for _ in ()).throw(ValueError("broken")))
    assert len(held) == 2


def _attack_at(place: str) -> dict[str, Any]:
    data = example(ATTACK)  # version 1: places typed as text
    data.update(country="MLI", admin1=place, date_start="2026-06-20")
    data.pop("date_end", None)
    data.pop("coordinates", None)
    data["victims"] = data["victims"][:1]
    return data
