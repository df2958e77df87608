"""HQ's review of records and its audit log: each review signed and logged, the log chained
and signed, and tampering with either found by ``audit.verify``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from fieldkit.crypto.identity import SigningKey
from fieldkit.hq import audit, review
from fieldkit.hq.errors import InvalidInputError, NotFoundError
from fieldkit.hq.keys import HqKeys
from fieldkit.hq.repository import Repository
from fieldkit.hq.repository import tables_review as t
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

NOTE = "CANARY-NOTE two sources met the family"


@pytest.fixture(params=SQL_BACKENDS)
def sql_hq(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Hq]:
    repository: Repository = _open(request.param, request)
    yield Hq(tmp_path, repository)
    repository.close()


@pytest.fixture
def records(sql_hq: Hq) -> list[str]:
    device = Device()
    device.register(sql_hq.repository)
    return ingest(
        sql_hq,
        device,
        attack(victim("A", "V-1")),
        attack(victim("B", "V-2")),
        attack(victim("C", "V-3")),
    )


def public_key(hq: Hq) -> bytes:
    return hq.secrets.signing_key.public.public_key


def reviewed(hq: Hq, records: list[str]) -> None:
    """Four reviews: three records, one of them twice."""
    keys = hq.secrets
    review.set_review(hq.repository, keys, records[0], "follow-up", actor="ana", grade_source="c")
    review.set_review(hq.repository, keys, records[1], "rejected", actor="ben", grade_info="5")
    review.set_review(
        hq.repository, keys, records[0], "verified", actor="ana", grade_info=2, note=NOTE
    )
    review.set_review(hq.repository, keys, records[2], "verified", actor="cy")


def run_sql(hq: Hq, statement: str) -> None:
    """Tamper as the database's owner: the append-only guard dropped first."""
    with hq.repository.engine.begin() as conn:  # type: ignore[attr-defined]
        drop_append_only_guard(conn)
        conn.execute(sa.text(statement))


def test_a_review_is_signed_logged_and_shown(sql_hq: Hq, records: list[str]) -> None:
    reviewed(sql_hq, records)

    sheet = review.review_of(sql_hq.repository, public_key(sql_hq), records[0][:8])

    assert sheet.record_id == records[0] and sheet.status == "verified"
    assert [r.status for r in sheet.history] == ["follow-up", "verified"]
    current = sheet.current
    assert current is not None and current.note == NOTE and current.actor == "ana"
    assert (current.grade_source, current.grade_info) == ("C", 2), "source grade carried over"
    assert all(r.valid for r in sheet.history) and not sheet.outdated
    entries = audit.entries(sql_hq.repository)
    assert [e.action for e in entries] == ["review_set"] * 4
    assert entries[2].subject == records[0] and entries[2].detail["note"] is True
    assert "CANARY" not in repr(entries), "a note never reaches the audit log"
    assert entries[2].detail["signed"] == current.hash
    report = audit.verify(sql_hq.repository, public_key(sql_hq))
    assert report.ok and (report.entries, report.signed_items) == (4, 4)


def test_setting_the_current_review_again_changes_nothing(sql_hq: Hq, records: list[str]) -> None:
    keys = sql_hq.secrets
    first = review.set_review(sql_hq.repository, keys, records[0], "verified", actor="ana")
    again = review.set_review(sql_hq.repository, keys, records[0], "VERIFIED", actor="ben")
    assert first.changed and not again.changed and again.review.id == first.review.id
    assert len(audit.entries(sql_hq.repository)) == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"status": "checked"}, "not a review status"),
        ({"grade_source": "G"}, "--grade-source"),
        ({"grade_info": "7"}, "--grade-info"),
        ({"grade_info": "two"}, "--grade-info"),
        ({"note": "x" * 5000}, "--note"),
        ({"actor": " "}, "--by"),
    ],
)
def test_bad_values_are_refused_and_nothing_changes(
    sql_hq: Hq, records: list[str], options: dict[str, str], message: str
) -> None:
    arguments = {"status": "verified", "actor": "ana", **options}
    status, actor = arguments.pop("status"), arguments.pop("actor")
    with pytest.raises(InvalidInputError, match=message):
        review.set_review(
            sql_hq.repository, sql_hq.secrets, records[0], status, actor=actor, **arguments
        )
    assert audit.entries(sql_hq.repository) == []


def test_an_unknown_record_is_refused_with_the_closest_id(sql_hq: Hq, records: list[str]) -> None:
    typo = records[0][:-2] + ("00" if not records[0].endswith("00") else "11")
    with pytest.raises(NotFoundError, match=r"^No record .*Did you mean") as refused:
        review.set_review(sql_hq.repository, sql_hq.secrets, typo, "verified", actor="ana")
    assert records[0] in refused.value.user_message
    with pytest.raises(NotFoundError):
        review.review_of(sql_hq.repository, public_key(sql_hq), "0123456789")
    with pytest.raises(NotFoundError):  # not a LIKE pattern matching every record
        review.review_of(sql_hq.repository, public_key(sql_hq), "%_%_%_%_")


@pytest.mark.parametrize(
    ("tamper", "bad"),
    [
        ("UPDATE audit_log SET detail = replace(detail, 'rejected', 'verified') WHERE id = 2", 2),
        ("UPDATE audit_log SET actor = 'someone else' WHERE id = 3", 3),
        ("DELETE FROM audit_log WHERE id = 2", 3),
        ("UPDATE audit_log SET id = id + 10 WHERE id IN (2, 3)", 4),
    ],
    ids=["detail", "actor", "middle-deleted", "reordered"],
)
def test_tampering_with_the_log_is_found(
    sql_hq: Hq, records: list[str], tamper: str, bad: int
) -> None:
    reviewed(sql_hq, records)
    run_sql(sql_hq, tamper)
    report = audit.verify(sql_hq.repository, public_key(sql_hq))
    assert not report.ok and report.bad is not None and report.bad.id == bad


def test_swapping_two_entries_is_found(sql_hq: Hq, records: list[str]) -> None:
    reviewed(sql_hq, records)
    run_sql(sql_hq, "UPDATE audit_log SET id = 100 WHERE id = 2")
    run_sql(sql_hq, "UPDATE audit_log SET id = 2 WHERE id = 3")
    run_sql(sql_hq, "UPDATE audit_log SET id = 3 WHERE id = 100")
    report = audit.verify(sql_hq.repository, public_key(sql_hq))
    assert report.bad is not None and report.bad.id == 2


def test_a_changed_review_or_a_review_missing_from_the_log_is_found(
    sql_hq: Hq, records: list[str]
) -> None:
    reviewed(sql_hq, records)
    run_sql(sql_hq, "UPDATE reviews SET status = 'verified' WHERE id = 2")
    report = audit.verify(sql_hq.repository, public_key(sql_hq))
    assert report.bad is not None and "review 2" in report.bad.reason
    assert "signature" in report.bad.reason
    sheet = review.review_of(sql_hq.repository, public_key(sql_hq), records[1])
    assert sheet.current is not None and not sheet.current.valid
    run_sql(sql_hq, "UPDATE reviews SET status = 'rejected' WHERE id = 2")
    assert audit.verify(sql_hq.repository, public_key(sql_hq)).ok
    run_sql(sql_hq, "DELETE FROM audit_log WHERE id = 4")  # the last entry: the chain holds
    report = audit.verify(sql_hq.repository, public_key(sql_hq))
    assert report.bad is not None and "review 4" in report.bad.reason
    assert "not in the audit log" in report.bad.reason


def test_a_log_signed_by_another_key_does_not_verify(sql_hq: Hq, records: list[str]) -> None:
    reviewed(sql_hq, records)
    other = SigningKey.generate().public.public_key
    report = audit.verify(sql_hq.repository, other)
    assert report.bad is not None and report.bad.id == 1
    intruder = HqKeys(sql_hq.secrets.ingest_identity, SigningKey.generate())
    review.set_review(sql_hq.repository, intruder, records[2], "rejected", actor="x")
    report = audit.verify(sql_hq.repository, public_key(sql_hq))
    assert report.bad is not None and report.bad.id == 5


def test_the_log_tables_hold_no_note(sql_hq: Hq, records: list[str]) -> None:
    reviewed(sql_hq, records)
    with sql_hq.repository.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(sa.select(t.audit_log)).all()
    assert rows and "CANARY" not in repr(rows)


def test_a_review_of_an_older_revision_is_flagged(sql_hq: Hq) -> None:
    device = Device()
    device.register(sql_hq.repository)
    first = device.revision(data=attack(victim("A", "V-1")), form=attack_form())
    ingest_revisions(sql_hq, device, [first])
    review.set_review(sql_hq.repository, sql_hq.secrets, first.record_id, "verified", actor="a")
    amended = device.revision(
        record_id=first.record_id,
        number=2,
        previous=first.sha256,
        data=attack(victim("A", "V-1"), victim("B", "V-2")),
        form=attack_form(),
    )
    ingest_revisions(sql_hq, device, [amended])

    sheet = review.review_of(sql_hq.repository, public_key(sql_hq), first.record_id)

    assert sheet.outdated and sheet.current is not None
    assert sheet.current.revision_sha256 == first.sha256 != sheet.newest_revision
    assert sheet.newest_revision == amended.sha256


def test_concurrent_reviews_make_one_unbroken_chain(sql_hq: Hq, records: list[str]) -> None:
    """Writers take turns (PostgreSQL: an advisory lock; SQLite: its write lock), so that each
    entry chains to the one before it."""
    statuses = ["verified", "follow-up", "rejected", "unreviewed"]

    def work(record: str) -> None:
        for n in range(8):
            review.set_review(
                sql_hq.repository, sql_hq.secrets, record, statuses[n % 4], actor=record[:6]
            )

    threads = [threading.Thread(target=work, args=(record,)) for record in records]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    report = audit.verify(sql_hq.repository, public_key(sql_hq))
    assert report.ok and (report.entries, report.signed_items) == (24, 24)


def test_a_deleted_older_review_is_found(sql_hq: Hq, records: list[str]) -> None:
    reviewed(sql_hq, records)
    run_sql(sql_hq, "DELETE FROM reviews WHERE id = 1")  # record 0's first review, not current
    report = audit.verify(sql_hq.repository, public_key(sql_hq))
    assert report.bad is not None and report.bad.id == 1
    assert "missing" in report.bad.reason


@pytest.mark.parametrize("table", ["audit_log", "reviews"])
@pytest.mark.parametrize("statement", ["UPDATE {table} SET actor = 'x'", "DELETE FROM {table}"])
def test_the_database_refuses_to_change_a_signed_row(
    sql_hq: Hq, records: list[str], table: str, statement: str
) -> None:
    review.set_review(sql_hq.repository, sql_hq.secrets, records[0], "verified", actor="ana")
    engine = sql_hq.repository.engine  # type: ignore[attr-defined]
    with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(sa.text(statement.format(table=table)))
    assert audit.verify(sql_hq.repository, public_key(sql_hq)).ok
