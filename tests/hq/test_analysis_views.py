"""The fk_* views (both backends) and the read-only role (PostgreSQL): the role reads the
views and nothing else; the views leave out what locates or names anyone."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import exc

from fieldkit.hq.analysis.mapping import safe_facts
from fieldkit.hq.analysis.session import transaction
from fieldkit.hq.analysis.views import VIEWS, grant_readonly
from fieldkit.hq.errors import InvalidInputError, NotFoundError
from fieldkit.hq.repository import Repository, open_repository, sqlite_url
from tests.hq import factory
from tests.hq.analysis_forms import ATTACK, example, kept, shipped_form
from tests.hq.conftest import postgres_base_url
from tests.hq.test_analysis_store import new_form

HIDDEN = {
    "fk_records": {
        "lat",
        "lon",
        "verified_by",
        "verified_on",
        "admin1_text",
        "date_start",
        "date_end",
        "device_key_id",
        "revision_sha256",
        "revision",
        "risk_level",
    },
    "fk_victims": {"consent", "consent_scope"},
}


def _fill(repository: Repository) -> str:
    identity = factory.identity()
    repository.add_device(identity, "2026-03-02T08:00:00Z")
    chain = factory.DeviceChain(identity.key_id)
    form = shipped_form(ATTACK, "1")
    answers = kept(form, example(ATTACK))
    made = factory.revision(chain.key_id, form=new_form(form), answers=answers)
    made = replace(made, facts=safe_facts(form, answers))
    factory.store(repository, chain, chain.next([made], forms=[new_form(form)]))
    return made.record_id


def test_the_views_show_the_rows_without_the_hidden_columns(sql_repository: Repository) -> None:
    record_id = _fill(sql_repository)
    with transaction(sql_repository) as conn:
        inspector = sa.inspect(conn)
        assert set(VIEWS) <= set(inspector.get_view_names())
        for view in VIEWS:
            columns = {c["name"] for c in inspector.get_columns(view)}
            base = {c["name"] for c in inspector.get_columns("an_" + view[3:])}
            assert columns <= base
            assert columns == base - HIDDEN.get(view, set()), view
        victims = conn.execute(sa.text("SELECT victim_id, sex FROM fk_victims")).all()
        record = conn.execute(sa.text("SELECT * FROM fk_records")).mappings().one()
    assert sorted(victims) == [(f"{record_id}.1", "male"), (f"{record_id}.2", "female")]
    assert record["record_id"] == record_id and record["most_serious_act"] == "killing"


def test_grant_readonly_needs_postgresql(tmp_path: Path) -> None:
    repository = open_repository(sqlite_url(tmp_path / "hq.sqlite3"))
    try:
        with pytest.raises(InvalidInputError, match="PostgreSQL"):
            grant_readonly(repository, "analysts")
    finally:
        repository.close()


@pytest.fixture
def role() -> Iterator[str]:
    """A PostgreSQL role of its own (roles belong to the whole server), dropped afterwards."""
    name = f"fieldkit_reader_{secrets.token_hex(4)}"
    admin = sa.create_engine(postgres_base_url())
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{name}" NOLOGIN')
    try:
        yield name
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP OWNED BY "{name}"')
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{name}"')
        admin.dispose()


@pytest.mark.postgres
def test_the_read_only_role_reads_the_views_and_nothing_else(postgres_url: str, role: str) -> None:
    repository = open_repository(postgres_url)
    try:
        _fill(repository)
        with transaction(repository, write=True) as conn:  # a right granted before is taken
            conn.exec_driver_sql(f'GRANT SELECT ON an_records TO "{role}"')
        with pytest.raises(NotFoundError, match="CREATE ROLE"):
            grant_readonly(repository, role + "_missing")
        with pytest.raises(InvalidInputError):
            grant_readonly(repository, 'x"; DROP TABLE revisions; --')
        grant = grant_readonly(repository, role)
        assert grant.views == VIEWS and grant.schema.startswith("fieldkit_test_")
        engine = repository.engine  # type: ignore[attr-defined]

        def as_role(query: str) -> list[object]:
            with engine.connect() as conn, conn.begin():
                conn.exec_driver_sql(f'SET LOCAL ROLE "{role}"')
                return list(conn.exec_driver_sql(query).all())

        assert len(as_role("SELECT victim_id, category FROM fk_victims")) == 2
        for view in VIEWS:
            as_role(f"SELECT * FROM {view}")  # noqa: S608 - fixed names
        for table in ("revisions", "sealed_batches", "identifying", "an_records", "an_victims"):
            with pytest.raises(exc.ProgrammingError, match="permission denied"):
                as_role(f"SELECT * FROM {table}")  # noqa: S608 - fixed names
        with pytest.raises(exc.ProgrammingError, match="permission denied"):
            as_role("DELETE FROM fk_victims")
        grant_readonly(repository, role)  # again: the same
        assert len(as_role("SELECT * FROM fk_records")) == 1
    finally:
        repository.close()
