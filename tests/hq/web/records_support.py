"""The workspace HQ (``workspace_hq``, ``workspace_hq_pg``) opened for the records use cases."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from fieldkit.hq.keys import HqKeys, unlock
from fieldkit.hq.paths import HqPaths
from fieldkit.hq.repository import Repository, open_repository
from tests.hq.web.dataset import WorkspaceDataset, find_dataset
from tests.hq.web.support import WorkspaceHq


@dataclass(frozen=True)
class RecordsHq:
    repository: Repository
    keys: HqKeys
    paths: HqPaths
    dataset: WorkspaceDataset
    backend: str


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def records_hq(request: pytest.FixtureRequest) -> Iterator[RecordsHq]:
    """The workspace HQ on each SQL backend, its repository open and HQ's keys unlocked."""
    name = "workspace_hq" if request.param == "sqlite" else "workspace_hq_pg"
    hq: WorkspaceHq = request.getfixturevalue(name)
    repository = open_repository(hq.db_url)
    try:
        keys = unlock(hq.paths, hq.passphrase)
        yield RecordsHq(repository, keys, hq.paths, find_dataset(repository), request.param)
    finally:
        repository.close()
