"""The ``repository`` fixture (every backend), PostgreSQL schemas per test, enrolled devices."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from fieldkit.bundle import DeviceIdentityFile
from fieldkit.hq.repository import (
    FakeRepository,
    Repository,
    open_repository,
    sqlite_url,
)
from tests.conftest import PASSPHRASE
from tests.hq import factory

POSTGRES_ENV = "FIELDKIT_TEST_POSTGRES_URL"
NO_POSTGRES = f"{POSTGRES_ENV} is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"


def postgres_base_url() -> sa.URL:
    value = os.environ.get(POSTGRES_ENV)
    if not value:
        pytest.skip(NO_POSTGRES)
    return sa.make_url(value).set(drivername="postgresql+psycopg")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The address of a fresh, empty PostgreSQL schema of its own (``search_path``), dropped
    after the test."""
    base = postgres_base_url()
    schema = f"fieldkit_test_{secrets.token_hex(6)}"
    admin = sa.create_engine(base)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = base.update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            # A failed test may leave a session inside a transaction on the schema (an
            # unfinished iter_revisions): end it, or DROP SCHEMA would wait for it for ever.
            connection.execute(_END_SESSIONS_ON, {"schema": schema})
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


_END_SESSIONS_ON = sa.text(
    "SELECT pg_terminate_backend(l.pid) FROM pg_locks l "
    "JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = :schema AND l.pid <> pg_backend_pid()"
)


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "hq" / "hq.sqlite3"


def _open(backend: str, request: pytest.FixtureRequest) -> Repository:
    if backend == "fake":
        return FakeRepository()
    if backend == "sqlite":
        path: Path = request.getfixturevalue("sqlite_path")
        path.parent.mkdir(mode=0o700)
        return open_repository(sqlite_url(path))
    return open_repository(request.getfixturevalue("postgres_url"))


BACKENDS = [
    pytest.param("fake", id="fake"),
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]
SQL_BACKENDS = BACKENDS[1:]


@pytest.fixture(params=BACKENDS)
def repository(request: pytest.FixtureRequest) -> Iterator[Repository]:
    """The same empty repository on every backend."""
    opened = _open(request.param, request)
    yield opened
    opened.close()


@pytest.fixture(params=SQL_BACKENDS)
def sql_repository(request: pytest.FixtureRequest) -> Iterator[Repository]:
    opened = _open(request.param, request)
    yield opened
    opened.close()


@pytest.fixture
def device(repository: Repository) -> DeviceIdentityFile:
    """A device registered in ``repository``."""
    identity = factory.identity()
    repository.add_device(identity, "2026-03-02T08:00:00Z")
    return identity


@pytest.fixture
def hq_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The HQ folder the command-line tests run ``fieldkit-hq`` on (through the environment)."""
    folder = tmp_path / "hq"
    monkeypatch.setenv("FIELDKIT_HQ", str(folder))
    monkeypatch.setenv("FIELDKIT_HQ_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("FIELDKIT_HQ_DB", raising=False)
    return folder
