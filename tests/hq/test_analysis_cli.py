"""fieldkit-hq analysis, places and db on SQLite: each command calls its use case; bad input
exits 1 with one line and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldkit.hq.cli import main as hq_main
from fieldkit.hq.paths import HqPaths
from fieldkit.hq.repository import open_repository, sqlite_url
from tests.hq import factory
from tests.hq.analysis_forms import MARKET, example, shipped_form
from tests.hq.support import Run
from tests.hq.test_analysis_store import dump, revision, store


@pytest.fixture
def hq(capsys: pytest.CaptureFixture[str], hq_dir: Path) -> Run:
    run = Run(capsys, hq_main, "fieldkit-hq")
    run("init", "--name", "Mission HQ")
    return run


def _records(hq_dir: Path, *typed: str) -> None:
    repository = open_repository(sqlite_url(HqPaths(hq_dir).database))
    try:
        identity = factory.identity()
        repository.add_device(identity, "2026-03-02T08:00:00Z")
        chain = factory.DeviceChain(identity.key_id)
        form = shipped_form(MARKET, "1")
        made = [revision(chain, form, dict(example(MARKET), admin1=text)) for text in typed]
        store(repository, chain, made, "2026-03-20T12:00:00Z")
    finally:
        repository.close()


def test_analysis_and_places_commands(hq: Run, hq_dir: Path) -> None:
    _records(hq_dir, "Ménaka Nord", "MENAKA NORD", "Kayes")
    assert "3 records read, 3 written" in hq("analysis", "rebuild")
    listed = json.loads(hq("places", "unmatched", "--json"))
    assert [(p["country"], p["records"]) for p in listed] == [("MLI", 2)]
    assert "MLI" in hq("places", "unmatched") and "2" in hq("places", "unmatched")
    hq("places", "settle", "MLI", "menaka nord", "NE-1", code=1)
    assert "not a first-level subdivision of MLI" in hq.err
    hq("places", "settle", "ZZZ", "menaka nord", "ML-9", code=1)
    assert json.loads(hq("places", "unmatched", "--json")) == listed
    shown = hq("places", "settle", "MLI", "menaka nord", "ML-9", "--by", "analyst A")
    assert "settled as ML-9: 2 records updated" in shown
    assert json.loads(hq("places", "unmatched", "--json")) == []
    assert hq("places", "unmatched").startswith("No unmatched places")
    repository = open_repository(sqlite_url(HqPaths(hq_dir).database))
    try:
        from fieldkit.hq.analysis import tables as a

        settled = dump(repository, a.place_settlements)["place_settlements"]
    finally:
        repository.close()
    assert [(s["admin1"], s["settled_by"]) for s in settled] == [("ML-9", "analyst A")]


def test_grant_readonly_on_sqlite_is_refused(hq: Run) -> None:
    hq("db", "grant-readonly", "analysts", code=1)
    assert "PostgreSQL" in hq.err
