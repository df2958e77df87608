"""What only the SQL backends promise: addresses, SQLite settings, streaming, big bundles."""

from __future__ import annotations

import os
import secrets
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from fieldkit.hq.errors import InvalidInputError, RepositoryError
from fieldkit.hq.repository import (
    Repository,
    SqlRepository,
    display_url,
    open_repository,
    sqlite_url,
)
from tests.hq import factory
from tests.hq.conftest import postgres_base_url
from tests.hq.factory import DeviceChain

SECRET = "hunter2-not-for-logs"


@pytest.fixture
def sqlite_repository(tmp_path: Path) -> Iterator[SqlRepository]:
    repository = open_repository(sqlite_url(tmp_path / "hq.sqlite3"))
    assert isinstance(repository, SqlRepository)
    yield repository
    repository.close()


def _registered(repository: Repository) -> DeviceChain:
    identity = factory.identity()
    repository.add_device(identity, "2026-03-02T08:00:00Z")
    return DeviceChain(identity.key_id)


# -- addresses -------------------------------------------------------------------------------------


def test_sqlite_url_is_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = sqlite_url(Path("hq.sqlite3"))
    assert url == f"sqlite:///{tmp_path / 'hq.sqlite3'}"
    assert sa.make_url(url).database == str(tmp_path / "hq.sqlite3")


@pytest.mark.parametrize(
    "url",
    [
        f"mysql://hq:{SECRET}@db.example/hq",
        f"postgres://hq:{SECRET}@db.example/hq",
        f"postgresql+psycopg2://hq:{SECRET}@db.example/hq",
        "sqlite://",
        "sqlite:///:memory:",
        "/var/lib/fieldkit-hq/hq.sqlite3",
        "",
    ],
)
def test_other_addresses_are_refused(url: str) -> None:
    with pytest.raises(
        InvalidInputError, match="not a repository address fieldkit-hq can use"
    ) as refused:
        open_repository(url)
    message = refused.value.user_message
    assert "sqlite:///PATH" in message and "postgresql://" in message
    assert SECRET not in str(refused.value)


def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    started = time.monotonic()
    with pytest.raises(RepositoryError, match="cannot be used: connection failed") as failed:
        open_repository(f"postgresql://hq:{SECRET}@127.0.0.1:9/hq")
    assert time.monotonic() - started < 15
    text = str(failed.value)
    assert "\n" not in text and SECRET not in text
    assert "hq:***@127.0.0.1:9/hq" in failed.value.user_message
    assert display_url(f"postgresql://hq:{SECRET}@h/db") == "postgresql://hq:***@h/db"


def test_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(
        RepositoryError, match="cannot be created: No such file or directory"
    ) as failed:
        open_repository(sqlite_url(tmp_path / "nowhere" / "hq.sqlite3"))
    assert "\n" not in str(failed.value)
    assert not (tmp_path / "nowhere").exists()


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "hq.sqlite3"
    path.write_bytes(b"not a database " * 500)
    with pytest.raises(RepositoryError, match="cannot be used: file is not a database") as failed:
        open_repository(sqlite_url(path))
    assert "\n" not in str(failed.value)
    assert path.read_bytes() == b"not a database " * 500


@pytest.mark.postgres
def test_postgresql_addresses_use_psycopg(postgres_url: str) -> None:
    plain = sa.make_url(postgres_url).set(drivername="postgresql")
    repository = open_repository(plain.render_as_string(hide_password=False))
    try:
        assert isinstance(repository, SqlRepository)
        assert repository.engine.url.drivername == "postgresql+psycopg"
        assert repository.counts()["devices"] == 0
    finally:
        repository.close()


# -- SQLite ----------------------------------------------------------------------------------------


def test_sqlite_connections_are_configured(sqlite_repository: SqlRepository) -> None:
    with sqlite_repository.engine.connect() as connection:
        pragma = connection.exec_driver_sql
        assert pragma("PRAGMA journal_mode").scalar() == "wal"
        assert pragma("PRAGMA synchronous").scalar() == 2  # FULL
        assert pragma("PRAGMA foreign_keys").scalar() == 1
        assert pragma("PRAGMA busy_timeout").scalar() == 60_000


def test_sqlite_files_are_owner_only(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        repository = open_repository(sqlite_url(tmp_path / "hq.sqlite3"))
        chain = _registered(repository)
        repository.store_bundle(chain.next(chain.records(20)))
        files = sorted(tmp_path.glob("hq.sqlite3*"))
        assert [f.name for f in files] == ["hq.sqlite3", "hq.sqlite3-shm", "hq.sqlite3-wal"]
        assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == {
            f.name: 0o600 for f in files
        }
        repository.close()
    finally:
        os.umask(previous)


def test_reading_keeps_no_transaction_open_between_pages(
    sqlite_repository: SqlRepository,
) -> None:
    chain = _registered(sqlite_repository)
    sqlite_repository.store_bundle(chain.next(chain.records(2500)))
    revisions = sqlite_repository.iter_revisions()
    next(revisions)
    with sqlite_repository.engine.connect() as connection:
        # A reader inside a transaction would keep the WAL from being truncated (busy = 1).
        busy, _log, _done = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    assert busy == 0
    assert sum(1 for _ in revisions) == 2499


@pytest.mark.postgres
def test_postgresql_streams_through_a_server_side_cursor(postgres_url: str) -> None:
    name = f"fieldkit-stream-test-{secrets.token_hex(6)}"  # of its own on the shared server
    url = sa.make_url(postgres_url).update_query_dict({"application_name": name})
    repository = open_repository(url.render_as_string(hide_password=False))
    try:
        chain = _registered(repository)
        repository.store_bundle(chain.next(chain.records(2500)))
        revisions = repository.iter_revisions()
        next(revisions)
        with sa.create_engine(postgres_base_url()).connect() as watcher:
            query = sa.text("SELECT query FROM pg_stat_activity WHERE application_name = :name")
            seen = watcher.execute(query, {"name": name}).scalars().all()
        assert any(q.lstrip().upper().startswith(("FETCH", "DECLARE")) for q in seen), seen
        assert sum(1 for _ in revisions) == 2499
    finally:
        repository.close()


def test_two_bundles_of_10000_revisions_are_stored_whole_on_sqlite(
    sqlite_repository: SqlRepository,
) -> None:
    """Large bundles go in whole (their rate is a benchmark: ``python -m benchmarks hq``)."""
    chain = _registered(sqlite_repository)
    for stored in (10_000, 20_000):
        made = chain.next(chain.records(10_000, answers={"narrative": "TEST " * 40, "n": 3}))
        result = sqlite_repository.store_bundle(made)
        chain.stored_ok(made)
        assert len(result.accepted) == 10_000
        assert sqlite_repository.counts()["revisions"] == stored
