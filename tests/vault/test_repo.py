"""Repository functions that write with plain SQL: what they accept and what they refuse."""

from __future__ import annotations

from typing import Any

import pytest

from fieldkit.services import records
from fieldkit.vault import repo
from tests.conftest import all_types_answers


def test_record_state_reads_a_record_with_its_form_hash(vault: Any) -> None:
    record_id = records.create(vault, "all-types", all_types_answers())
    with vault.read() as session:
        state = repo.record_state(session, record_id)
        assert state is not None
        form_row = repo.get_form(session, state.form_id, state.form_version)
        assert form_row is not None and state.form_sha256 == form_row.sha256
        assert (state.id, state.revision_count, state.head_sha256) == (record_id, 0, None)
        assert state.draft is not None
        assert repo.record_state(session, record_id[:8]) is None  # exact ids only


@pytest.mark.parametrize("values", [{}, {"num": 5}, {"title = 'x', draft": None}, {"nope": 1}])
def test_update_record_sets_only_known_columns(vault: Any, values: dict[str, Any]) -> None:
    record_id = records.create(vault, "all-types", all_types_answers())
    with vault.write() as session:
        state = repo.record_state(session, record_id)
        assert state is not None
        with pytest.raises(ValueError, match="not columns of a record"):
            repo.update_record(session, state.num, **values)
        repo.update_record(session, state.num, place="Quay")
    with vault.read() as session:
        row = repo.get_record(session, record_id)
        assert row is not None and row.place == "Quay"
