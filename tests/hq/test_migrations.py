"""The migrations build exactly the schema of tables.py; a newer schema is refused untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from fieldkit.hq.analysis.search import is_search_table
from fieldkit.hq.errors import RepositoryError
from fieldkit.hq.repository import SqlRepository, open_repository, sqlite_url
from fieldkit.hq.repository.database import alembic_config, current_schema, schema_revisions
from fieldkit.hq.repository.tables import metadata
from tests.hq import factory
from tests.hq.conftest import SQL_BACKENDS


@pytest.fixture(params=SQL_BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "hq.sqlite3")
    address: str = request.getfixturevalue("postgres_url")
    return address


def _differences(engine: sa.Engine) -> list[object]:
    """What differs between the database and tables.py, but for the full-text search tables
    (made per database by migration 0007, checked by tests/hq/test_analysis_search.py)."""

    def shared(name: str | None, kind: str, _parents: object) -> bool:
        return kind != "table" or not is_search_table(name)

    opts = {"include_name": shared}
    with engine.connect() as connection:
        return list(compare_metadata(MigrationContext.configure(connection, opts=opts), metadata))


def test_the_migrated_schema_is_the_tables_schema(url: str) -> None:
    repository = open_repository(url)
    try:
        assert isinstance(repository, SqlRepository)
        assert _differences(repository.engine) == []
        assert current_schema(repository.engine) == (schema_revisions()[-1],)
        names = set(sa.inspect(repository.engine).get_table_names())
        assert {n for n in names if not is_search_table(n)} == set(metadata.tables) | {
            "alembic_version"
        }
        assert "ws_search" in names
    finally:
        repository.close()


def test_a_schema_differing_from_the_tables_is_noticed(tmp_path: Path) -> None:
    """The comparison above can fail: a column the migrations lack is reported."""
    repository = open_repository(sqlite_url(tmp_path / "hq.sqlite3"))
    try:
        assert isinstance(repository, SqlRepository)
        with repository.engine.begin() as connection:
            connection.exec_driver_sql("ALTER TABLE devices ADD COLUMN extra TEXT")
        assert any("extra" in repr(d) for d in _differences(repository.engine))
    finally:
        repository.close()


def test_opening_again_keeps_everything(url: str) -> None:
    identity = factory.identity()
    first = open_repository(url)
    first.add_device(identity, "2026-03-02T08:00:00Z")
    second = open_repository(url)  # while the first is open, too
    try:
        assert second.device(identity.key_id) == first.device(identity.key_id) is not None
    finally:
        first.close()
        second.close()
    third = open_repository(url)
    try:
        assert [d.key_id for d in third.devices()] == [identity.key_id]
        assert isinstance(third, SqlRepository)
        assert current_schema(third.engine) == (schema_revisions()[-1],)
    finally:
        third.close()


def test_downgrade_and_upgrade_again(url: str) -> None:
    repository = open_repository(url)
    assert isinstance(repository, SqlRepository)
    with repository.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(sa.inspect(repository.engine).get_table_names()) <= {"alembic_version"}
    repository.close()
    reopened = open_repository(url)
    try:
        assert set(reopened.counts().values()) == {0}
    finally:
        reopened.close()


def test_a_newer_schema_is_refused_and_left_alone(url: str) -> None:
    identity = factory.identity()
    repository = open_repository(url)
    assert isinstance(repository, SqlRepository)
    repository.add_device(identity, "2026-03-02T08:00:00Z")
    engine = repository.engine
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_future'")
    repository.close()
    with pytest.raises(
        RepositoryError, match=r"newer fieldkit-hq \(schema 9999_future\)"
    ) as refused:
        open_repository(url)
    assert "\n" not in str(refused.value)
    assert current_schema(engine) == ("9999_future",)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT key_id FROM devices")).scalars().all()
    assert rows == [identity.key_id]
    engine.dispose()


def test_devices_registered_before_lost_devices_existed_are_kept_and_not_lost(url: str) -> None:
    identity = factory.identity()
    repository = open_repository(url)
    assert isinstance(repository, SqlRepository)
    repository.add_device(identity, "2026-03-02T08:00:00Z")
    repository.revoke_device(identity.key_id, 4, "2026-03-03T08:00:00Z")
    with repository.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0002")
    columns = {c["name"] for c in sa.inspect(repository.engine).get_columns("devices")}
    assert "lost_at" not in columns
    repository.close()
    reopened = open_repository(url)  # migrated to 0003 again
    try:
        device = reopened.device(identity.key_id)
        assert device is not None and device.lost_at is None and device.revoked_from == 4
        lost = reopened.mark_lost(identity.key_id, "2026-03-04T08:00:00Z")
        assert reopened.device(identity.key_id) == lost
    finally:
        reopened.close()
