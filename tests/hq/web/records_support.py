"""The demonstration HQ with the workspace's extra bundle, opened for the records use cases, on
SQLite and on PostgreSQL (a schema of its own, dropped at the end)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from fieldkit.hq.keys import HqKeys, unlock
from fieldkit.hq.paths import DB_ENV, HqPaths
from fieldkit.hq.repository import Repository, open_repository, sqlite_url
from tests.hq.conftest import postgres_base_url
from tests.hq.web.dataset import WorkspaceDataset, add_workspace_bundle, demo_module


@dataclass(frozen=True)
class RecordsHq:
    repository: Repository
    keys: HqKeys
    paths: HqPaths
    dataset: WorkspaceDataset
    backend: str


def build(folder: Path, url: str | None) -> WorkspaceDataset:
    """The demonstration HQ in ``folder`` (its database at ``url``, else SQLite in the HQ
    folder) with the workspace's bundle ingested."""
    demo = demo_module()
    previous = os.environ.get(DB_ENV)
    if url is not None:
        os.environ[DB_ENV] = url
    try:
        demo.build(folder)
        return add_workspace_bundle(folder)
    finally:
        if url is not None:
            if previous is None:
                os.environ.pop(DB_ENV, None)
            else:
                os.environ[DB_ENV] = previous


def open_hq(folder: Path, url: str | None, dataset: WorkspaceDataset, backend: str) -> RecordsHq:
    paths = HqPaths(folder / "hq")
    keys = unlock(paths, demo_module().PASSPHRASE)
    repository = open_repository(url or sqlite_url(paths.database))
    return RecordsHq(repository, keys, paths, dataset, backend)


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def records_hq(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RecordsHq]:
    """The demonstration HQ and the workspace's bundle, on each SQL backend."""
    folder = tmp_path_factory.mktemp(f"records-{request.param}")
    if request.param == "sqlite":
        dataset = build(folder, None)
        opened = open_hq(folder, None, dataset, "sqlite")
        yield opened
        opened.repository.close()
        return
    base = postgres_base_url()
    schema = f"fieldkit_ws_{secrets.token_hex(6)}"
    admin = sa.create_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )
    try:
        dataset = build(folder, url)
        opened = open_hq(folder, url, dataset, "postgres")
        yield opened
        opened.repository.close()
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()
