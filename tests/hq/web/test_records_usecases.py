"""The records use cases of the workspace (list, full text, record page, reveal, attachments,
relations) on the demonstration HQ, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa

from fieldkit.hq import audit, victims
from fieldkit.hq.analysis import search
from fieldkit.hq.analysis.rebuild import rebuild
from fieldkit.hq.analysis.session import transaction
from fieldkit.hq.errors import InvalidInputError, NotFoundError
from fieldkit.hq.exports.attachments import FileRef
from fieldkit.hq.review import set_review
from fieldkit.hq.workspace.attachments import DOWNLOAD_TYPE, describe, open_attachment
from fieldkit.hq.workspace.filters import RecordFilters
from fieldkit.hq.workspace.record_list import list_records
from fieldkit.hq.workspace.record_view import view_record
from fieldkit.hq.workspace.reveal import reveal
from tests.hq.web import dataset as ds
from tests.hq.web import records_support
from tests.hq.web.records_support import RecordsHq

records_hq = records_support.records_hq  # the fixture, for pytest to find here

ALL_RECORDS = 14
"""The demonstration's 12 records and the workspace bundle's 2."""


def _ids(hq: RecordsHq, params: dict[str, str], role: str = "analyst") -> list[str]:
    page = list_records(hq.repository, RecordFilters.from_query(params), role, "en", limit=100)
    assert page.next is None
    return sorted(row.record_id for row in page.rows)


def test_keyset_pages_walk_every_record_once_newest_first(records_hq: RecordsHq) -> None:
    seen: list[tuple[str, str]] = []
    after = None
    pages = 0
    while True:
        page = list_records(
            records_hq.repository, RecordFilters(), "analyst", "en", after=after, limit=4
        )
        assert page.count == ALL_RECORDS and not page.more
        assert page.first_page == (after is None)
        seen.extend((row.received_at, row.record_id) for row in page.rows)
        pages += 1
        if page.next is None:
            break
        after = page.next.token
    assert pages == 4
    assert len(seen) == len(set(seen)) == ALL_RECORDS
    assert seen == sorted(seen, reverse=True)


def test_a_bad_cursor_is_refused(records_hq: RecordsHq) -> None:
    with pytest.raises(InvalidInputError, match="not a position in the records list"):
        list_records(records_hq.repository, RecordFilters(), "analyst", "en", after="' OR 1=1")


def test_the_count_stops_at_its_cap(records_hq: RecordsHq, monkeypatch: pytest.MonkeyPatch) -> None:
    from fieldkit.hq.workspace import record_list

    monkeypatch.setattr(record_list, "COUNT_CAP", 5)
    page = list_records(records_hq.repository, RecordFilters(), "analyst", "en", limit=2)
    assert (page.count, page.more) == (5, True)


def test_a_period_is_counted_exactly_under_the_cap_and_capped_above_it(
    records_hq: RecordsHq, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fieldkit.hq.workspace import record_list

    params = {"from": "2026-03", "to": "2026-03"}
    filters = RecordFilters.from_query(params)
    matching = len(_ids(records_hq, params))
    assert matching > 2
    page = list_records(records_hq.repository, filters, "analyst", "en", limit=1)
    assert (page.count, page.more, page.at_least) == (matching, False, False)
    monkeypatch.setattr(record_list, "COUNT_CAP", matching - 1)
    page = list_records(records_hq.repository, filters, "analyst", "en", limit=1)
    assert (page.count, page.more) == (matching - 1, True)


def test_rows_show_what_each_role_may_see(records_hq: RecordsHq) -> None:
    params = {"device": records_hq.dataset.device_key_id}
    filters = RecordFilters.from_query(params)
    analyst = list_records(records_hq.repository, filters, "analyst", "fr").rows
    viewer = list_records(records_hq.repository, filters, "viewer", "fr").rows
    photo = next(r for r in analyst if r.record_id == ds.PHOTO_RECORD)
    assert (photo.when, photo.place, photo.what) == (ds.DAY, "Ségou, Mali", "Enlèvement")
    assert photo.classification == "Confidentiel"
    assert photo.device_name == ds.DEVICE_NAME
    seen = next(r for r in viewer if r.record_id == ds.PHOTO_RECORD)
    assert (seen.when, seen.classification) == ("2026-03", None)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"form": "attack-on-activist"}, ALL_RECORDS),
        ({"form": "illicit-market-observation"}, 0),
        ({"country": "NER"}, None),
        ({"admin1": "ML-4"}, 2),
        ({"from": "2026-03-21", "to": "2026-03-21"}, None),
        ({"from": "2027"}, 0),
    ],
)
def test_filters_narrow_the_list(
    records_hq: RecordsHq, params: dict[str, str], expected: int | None
) -> None:
    found = _ids(records_hq, params)
    everything = _ids(records_hq, {})
    assert set(found) <= set(everything)
    if expected is not None:
        assert len(found) == expected
    else:
        assert 0 < len(found) < ALL_RECORDS


def test_device_and_day_filters(records_hq: RecordsHq) -> None:
    mine = [ds.PHOTO_RECORD, ds.SAME_DAY_RECORD]
    assert _ids(records_hq, {"device": records_hq.dataset.device_key_id}) == mine
    assert set(mine) <= set(_ids(records_hq, {"from": ds.DAY, "to": ds.DAY}))


def test_review_filter(records_hq: RecordsHq) -> None:
    set_review(
        records_hq.repository, records_hq.keys, ds.SAME_DAY_RECORD, "follow-up", actor="analyst"
    )
    assert _ids(records_hq, {"review": "follow-up"}) == [ds.SAME_DAY_RECORD]
    assert ds.SAME_DAY_RECORD not in _ids(records_hq, {"review": "unreviewed"})


@pytest.mark.parametrize(
    ("q", "analyst", "viewer"),
    [
        (ds.RESTRICTED_WORD, True, False),  # only in the narrative, a restricted answer
        (ds.PUBLIC_PSEUDONYM, True, True),  # a public answer
        ("quartz", True, False),  # a prefix
        ("enlevement", True, True),  # a choice's French label, without its accent
        (ds.VICTIM_NAME, False, False),  # identifying: in no search document
        (ds.SOURCE_PSEUDONYM, False, False),
    ],
)
def test_full_text_per_role(records_hq: RecordsHq, q: str, analyst: bool, viewer: bool) -> None:
    assert (ds.PHOTO_RECORD in _ids(records_hq, {"q": q}, "analyst")) is analyst
    assert (ds.PHOTO_RECORD in _ids(records_hq, {"q": q}, "viewer")) is viewer


def test_search_documents_are_made_again_by_rebuild(records_hq: RecordsHq) -> None:
    with transaction(records_hq.repository, write=True) as conn:
        search.delete_documents(conn, [ds.PHOTO_RECORD])
    assert _ids(records_hq, {"q": ds.RESTRICTED_WORD}) == []
    rebuild(records_hq.repository)
    assert _ids(records_hq, {"q": ds.RESTRICTED_WORD}) == [ds.PHOTO_RECORD]


def _text(value: Any) -> str:
    return repr(value)


def _page(hq: RecordsHq, role: str, revealed: bool = False, record: str = ds.PHOTO_RECORD) -> Any:
    return view_record(hq.repository, hq.keys, hq.paths, record, role, "en", revealed=revealed)


def test_a_viewer_page_holds_public_answers_only(records_hq: RecordsHq) -> None:
    page = _page(records_hq, "viewer", revealed=True)  # a viewer is never revealed
    shown = _text(page.view)
    assert ds.PUBLIC_PSEUDONYM in shown and "Kidnapping" in shown
    for secret in (
        ds.RESTRICTED_WORD,
        "Demo place",
        ds.VICTIM_NAME,
        ds.SOURCE_PSEUDONYM,
        "photo.png",
    ):
        assert secret not in shown
    assert not page.view.revealed and page.view.masked == 0
    assert page.view.attachments == [] and page.review is None
    assert page.view.related.same_device_day == []
    assert all(line.note is None for line in page.view.reviews)


def test_an_analyst_sees_restricted_answers_and_identifying_ones_masked(
    records_hq: RecordsHq,
) -> None:
    page = _page(records_hq, "analyst")
    shown = _text(page.view)
    assert ds.RESTRICTED_WORD in shown and "Demo place" in shown
    for secret in (ds.VICTIM_NAME, ds.SOURCE_PSEUDONYM, "photo.png", "image/png"):
        assert secret not in shown
    assert page.view.masked >= 3  # name, photo and the source's pseudonym
    [attachment] = page.view.attachments
    assert (attachment.sha256, attachment.size, attachment.held) == (
        ds.PHOTO_SHA256,
        len(ds.PHOTO),
        True,
    )
    assert attachment.name is None and not attachment.image
    assert page.review is not None and page.review.record_id == ds.PHOTO_RECORD
    assert [r.record_id for r in page.view.related.same_device_day] == [ds.SAME_DAY_RECORD]


def test_a_revealed_page_shows_identifying_answers_and_names_the_photo(
    records_hq: RecordsHq,
) -> None:
    view = _page(records_hq, "analyst", revealed=True).view
    shown = _text(view)
    assert ds.VICTIM_NAME in shown and ds.SOURCE_PSEUDONYM in shown
    assert view.revealed and view.masked == 0
    [attachment] = view.attachments
    assert (attachment.name, attachment.media_type, attachment.image) == (
        "photo.png",
        "image/png",
        True,
    )


def test_revisions_are_verified_again_with_their_chain(
    records_hq: RecordsHq, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = _page(records_hq, "viewer").view
    assert [r.sha256 for r in view.revisions] == list(records_hq.dataset.revisions)
    assert [r.number for r in view.revisions] == [1, 2]
    assert view.revisions[1].previous == view.revisions[0].sha256
    assert view.verified
    assert {r.device_name for r in view.revisions} == {ds.DEVICE_NAME}
    real = records_hq.repository.device
    from fieldkit.crypto.identity import SigningKey

    stranger = SigningKey.generate().public.public_key

    def other_key(key_id: str) -> Any:
        device = real(key_id)
        return None if device is None else replace(device, public_key=stranger)

    monkeypatch.setattr(records_hq.repository, "device", other_key)
    tampered = _page(records_hq, "viewer").view
    assert not tampered.verified
    assert not any(r.signature_ok for r in tampered.revisions)


def test_unknown_records_are_not_found(records_hq: RecordsHq) -> None:
    for record in ("0" * 32, "not-an-id", ds.PHOTO_RECORD.upper()):
        with pytest.raises(NotFoundError):
            _page(records_hq, "analyst", record=record)


def test_reveal_is_audited_with_its_reason(records_hq: RecordsHq) -> None:
    hq = records_hq
    before = len(audit.entries(hq.repository))
    with pytest.raises(InvalidInputError, match="reason for revealing"):
        reveal(hq.repository, hq.keys, "analyst", ds.PHOTO_RECORD, "  x ")
    with pytest.raises(NotFoundError):
        reveal(hq.repository, hq.keys, "analyst", "f" * 32, "checking consent for the referral")
    assert len(audit.entries(hq.repository)) == before
    entry = reveal(
        hq.repository, hq.keys, "analyst", ds.PHOTO_RECORD, "checking consent\nfor the referral"
    )
    assert (entry.action, entry.subject, entry.actor) == ("revealed", ds.PHOTO_RECORD, "analyst")
    assert entry.detail == {"reason": "checking consent for the referral"}
    assert audit.entries(hq.repository)[-1] == entry
    assert audit.verify(hq.repository, hq.keys.signing_key.public.public_key).ok


def test_an_attachment_is_decrypted_in_memory(records_hq: RecordsHq) -> None:
    hq = records_hq
    content = open_attachment(hq.repository, hq.keys, hq.paths, ds.PHOTO_RECORD, ds.PHOTO_SHA256)
    assert content.data == ds.PHOTO
    assert (content.media_type, content.inline) == ("image/png", True)
    for record, sha256 in (
        (ds.SAME_DAY_RECORD, ds.PHOTO_SHA256),  # not this record's
        (ds.PHOTO_RECORD, "0" * 64),
        (ds.PHOTO_RECORD, "../../hq.keys"),
    ):
        with pytest.raises(NotFoundError):
            open_attachment(hq.repository, hq.keys, hq.paths, record, sha256)


def test_a_file_not_what_it_says_is_a_download() -> None:
    html = b"<html><script>alert(1)</script></html>"
    sha = "a" * 64
    for ref in (FileRef(sha, "text/html", "x.html"), FileRef(sha, "image/png", "x.png"), None):
        served = describe(html, sha, ref)
        assert (served.media_type, served.inline) == (DOWNLOAD_TYPE, False)
        assert served.file_name.startswith(sha)
    assert describe(ds.PHOTO, sha, FileRef(sha, "IMAGE/PNG", "p")).inline


def test_records_of_a_linked_person_are_related(records_hq: RecordsHq) -> None:
    hq = records_hq
    mine, theirs = f"{ds.PHOTO_RECORD}.1", f"{ds.rid_demo(1)}.1"
    victims.link(hq.repository, hq.keys, mine, theirs, actor="analyst")
    try:
        for role in ("viewer", "analyst"):
            view = _page(hq, role).view
            assert [r.record_id for r in view.related.same_person] == [ds.rid_demo(1)]
            assert view.related.victims[0].linked
    finally:
        victims.unlink(hq.repository, hq.keys, mine, theirs, actor="analyst")
    assert _page(hq, "analyst").view.related.same_person == []


def test_search_sql_runs_on_the_backend(records_hq: RecordsHq) -> None:
    with transaction(records_hq.repository) as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM ws_search")).scalar_one()
    assert count == 2 * ALL_RECORDS


@pytest.mark.parametrize("q", ["journalist", "fictional", "gao"])
def test_many_matches_are_read_along_the_list_with_the_same_result(
    records_hq: RecordsHq, monkeypatch: pytest.MonkeyPatch, q: str
) -> None:
    """Beyond the count's cap the words are checked record by record: the same records."""
    from fieldkit.hq.workspace import record_list

    few = _ids(records_hq, {"q": q})
    assert len(few) > 2
    monkeypatch.setattr(record_list, "COUNT_CAP", 2)
    page = list_records(
        records_hq.repository, RecordFilters.from_query({"q": q}), "analyst", "en", limit=100
    )
    assert (page.count, page.more) == (2, True)
    assert sorted(row.record_id for row in page.rows) == few
    narrowed = list_records(
        records_hq.repository,
        RecordFilters.from_query({"q": q, "country": "MLI"}),
        "analyst",
        "en",
        limit=100,
    )
    assert {row.record_id for row in narrowed.rows} <= set(few)


def test_common_words_are_read_along_the_list_and_counted_at_least(records_hq: RecordsHq) -> None:
    filters = RecordFilters.from_query({"q": "journalist"})
    every = _ids(records_hq, {"q": "journalist"})
    seen: list[str] = []
    after = None
    while True:
        page = list_records(records_hq.repository, filters, "analyst", "en", after=after, limit=2)
        assert page.at_least and page.count >= 3 and not page.more
        seen.extend(row.record_id for row in page.rows)
        if page.next is None:
            break
        after = page.next.token
        if len(seen) > ALL_RECORDS:
            break
    assert sorted(seen) == every
