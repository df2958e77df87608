"""`audit verify` detects any edit, deletion or reordering of the log."""

from __future__ import annotations

from typing import Any

import pytest

from fieldkit.services import records
from fieldkit.vault import audit
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
