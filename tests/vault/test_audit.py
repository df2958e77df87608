"""`audit verify` detects any edit, deletion or reordering of the log."""

from __future__ import annotations

import json
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldkit.domain.records import sha256_hex
from fieldkit.services import records
from fieldkit.vault import audit, repo
from tests.conftest import all_types_answers


def _log_with_entries(vault: Any) -> None:
    for subject in ("Road toll", "Ivory cache", "Timber convoy"):
        record_id = records.create(
            vault, "all-types", all_types_answers(subject=subject), final=True
        )
        records.start_amendment(vault, record_id)
        records.finalize(vault, record_id)


def _tamper(vault: Any, *statements: str) -> None:
    """What an attacker holding the key could do: drop the guard triggers and rewrite rows."""
    with vault.write() as session:
        conn = session.connection()
        conn.exec_driver_sql("DROP TRIGGER audit_no_update")
        conn.exec_driver_sql("DROP TRIGGER audit_no_delete")
        for statement in statements:
            conn.exec_driver_sql(statement)


def _verify(vault: Any) -> audit.AuditReport:
    with vault.read() as session:
        return audit.verify(session)


def test_an_untouched_log_verifies(vault: Any) -> None:
    _log_with_entries(vault)
    report = _verify(vault)
    assert report.ok, report.problems
    assert report.entries >= 12


def test_the_log_refuses_updates_and_deletes(vault: Any) -> None:
    _log_with_entries(vault)
    with pytest.raises(Exception, match="append-only"), vault.write() as session:
        session.connection().exec_driver_sql("UPDATE audit SET action = 'x' WHERE seq = 1")
    with pytest.raises(Exception, match="append-only"), vault.write() as session:
        session.connection().exec_driver_sql("DELETE FROM audit WHERE seq = 1")


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        (["UPDATE audit SET action = 'record_created' WHERE seq = 4"], "changed"),
        (["UPDATE audit SET at = '2020-01-01T00:00:00Z' WHERE seq = 2"], "changed"),
        (["UPDATE audit SET detail = '{\"revision\":9}' WHERE seq = 5"], "changed"),
        (["DELETE FROM audit WHERE seq = 3"], "missing"),
        (
            [
                "UPDATE audit SET seq = -1 WHERE seq = 3",
                "UPDATE audit SET seq = 3 WHERE seq = 4",
                "UPDATE audit SET seq = 4 WHERE seq = -1",
            ],
            "follow",
        ),
        (["DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)"], "no audit entry"),
    ],
    ids=["edit-action", "edit-time", "edit-detail", "delete-middle", "reorder", "delete-tail"],
)
def test_tampering_is_detected(vault: Any, statements: list[str], expected: str) -> None:
    _log_with_entries(vault)
    _tamper(vault, *statements)
    report = _verify(vault)
    assert not report.ok
    assert any(expected in problem for problem in report.problems), report.problems


def test_a_recomputed_hash_still_breaks_the_chain(vault: Any) -> None:
    """Rewriting an entry and its own hash is caught by the next entry's link."""
    _log_with_entries(vault)
    with vault.read() as session:
        row = session.get(audit.AuditRow, 3)
        assert row is not None
        forged = audit.entry_hash(
            row.seq, row.at, "vault_created", row.subject, row.detail, row.previous
        )
    forge = f"UPDATE audit SET action = 'vault_created', hash = '{forged}' WHERE seq = 3"  # noqa: S608
    _tamper(vault, forge)
    report = _verify(vault)
    assert any("does not follow" in p for p in report.problems)


_TEXTS = st.one_of(st.none(), st.text(max_size=20))
_DETAILS = st.dictionaries(
    st.text(max_size=8),
    st.one_of(
        st.integers(-(2**53) + 1, 2**53 - 1),
        st.text(max_size=12),
        st.floats(allow_nan=False, allow_infinity=False),
        st.lists(st.integers(0, 99), max_size=3),
    ),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(
    seq=st.integers(1, 2**53 - 1),
    at=st.text(max_size=20),
    action=st.text(max_size=20),
    subject=_TEXTS,
    detail=_DETAILS,
    previous=st.text(max_size=64),
)
def test_entry_hash_is_the_hash_of_the_canonical_entry(
    seq: int, at: str, action: str, subject: str | None, detail: dict[str, Any], previous: str
) -> None:
    """Appends hash each entry from its detail's canonical JSON with the other members written
    around it (an import appends thousands); the bytes must be those of RFC 8785 over the whole
    entry, as every earlier log was hashed, or old logs would stop verifying."""
    detail_text = json.dumps(detail, sort_keys=True, separators=(",", ":"))
    body = {
        "seq": seq,
        "at": at,
        "action": action,
        "subject": subject,
        "detail": json.loads(detail_text),
        "previous": previous,
    }
    try:
        expected = sha256_hex(rfc8785.dumps(body))
    except ValueError:  # rfc8785.CanonicalizationError
        return  # a lone surrogate: neither writes it
    assert audit.entry_hash(seq, at, action, subject, detail_text, previous) == expected


def test_an_import_of_many_records_verifies_and_ends_at_the_recorded_head(vault: Any) -> None:
    """An import appends its entries in batches (a thousand records each), each batch chained
    to the last and the head recorded once per batch: the whole log still verifies."""
    lines = [(n, all_types_answers(subject=f"Checkpoint {n}")) for n in range(1, 1201)]
    assert records.import_lines(vault, "all-types", iter(lines)) == 1200
    report = _verify(vault)
    assert report.ok, report.problems
    with vault.read() as session:
        head = repo.get_setting(session, audit.HEAD_SETTING)
        created, last = (
            session.connection()
            .exec_driver_sql(
                "SELECT count(*) FILTER (WHERE action = 'record_created'), max(seq) FROM audit"
            )
            .one()
        )
    assert created == 1200
    assert head["seq"] == last == report.entries


def test_entries_sharing_one_detail_object_are_written_as_entries_with_their_own(
    vault: Any,
) -> None:
    shared = {"form": "all-types", "n": [1, "é"]}
    with vault.write() as session:
        audit.append_many(
            session,
            [
                (audit.Action.RECORD_CREATED, "a", shared),
                (audit.Action.RECORD_CREATED, "b", shared),
                (audit.Action.RECORD_CREATED, "c", None),
                (audit.Action.RECORD_CREATED, "d", dict(shared)),
                (audit.Action.RECORD_CREATED, "e", None),
            ],
        )
    with vault.read() as session:
        rows = session.connection().exec_driver_sql(
            "SELECT subject, detail FROM audit WHERE subject IN ('a', 'b', 'c', 'd', 'e') "
            "ORDER BY seq"
        )
        written = [tuple(r) for r in rows]
    text = json.dumps(shared, sort_keys=True, separators=(",", ":"))
    assert written == [("a", text), ("b", text), ("c", "{}"), ("d", text), ("e", "{}")]
    assert _verify(vault).ok
