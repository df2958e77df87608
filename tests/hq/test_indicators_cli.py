"""fieldkit-hq indicators list|show on SQLite: the commands call the use case and print its
output; bad input exits 1 with one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldkit.hq.cli import main as hq_main
from fieldkit.hq.paths import HqPaths
from fieldkit.hq.repository import open_repository, sqlite_url
from tests.hq import indicator_dataset as ds
from tests.hq.support import Run


@pytest.fixture
def hq(capsys: pytest.CaptureFixture[str], hq_dir: Path) -> Run:
    run = Run(capsys, hq_main, "fieldkit-hq")
    run("init", "--name", "Mission HQ")
    repository = open_repository(sqlite_url(HqPaths(hq_dir).database))
    try:
        ds.build(repository)
    finally:
        repository.close()
    return run


def test_list_and_show(hq: Run) -> None:
    listed = json.loads(hq("indicators", "list", "--json"))
    assert "sdg-16-10-1" in [i["id"] for i in listed]
    assert all(i["source"] for i in listed)
    assert "violence-nexus" in hq("indicators", "list")
    shown = json.loads(
        hq(
            "indicators",
            "show",
            "sdg-16-10-1",
            "--period",
            "2026",
            "--by",
            "act",
            "--format",
            "json",
        )
    )
    # The same figures as the use case's test: killing 2, disappearance 1, detention 1.
    assert shown["column_totals"] == {"persons": 4} and shown["tier"] == "internal"
    text = hq("indicators", "show", "sdg-16-10-1", "--period", "2026", "--tier", "release")
    assert "tier: release" in text and "[c]" in text and "withheld: 4 cells" in text
    csv_text = hq(
        "indicators",
        "show",
        "market-trend",
        "--period",
        "2026",
        "--format",
        "csv",
        "--country",
        "MLI",
    )
    assert csv_text.startswith("# indicator: market-trend") and "# filters: country=MLI" in csv_text
    assert "non_renewable_resource_crimes,1,3,+2" in csv_text
    # --admin1 keeps one first-level place: in ML-1 only A6's disappearance (BF-08 has the rest).
    gao = json.loads(
        hq(
            "indicators",
            "show",
            "sdg-16-10-1",
            "--period",
            "2026",
            "--by",
            "act",
            "--admin1",
            "ML-1",
            "--format",
            "json",
        )
    )
    assert gao["column_totals"] == {"persons": 1}
    assert "admin1=ML-1" in hq(
        "indicators", "show", "sdg-16-10-1", "--period", "2026", "--admin1", "ML-1"
    )


def test_bad_input_is_one_line(hq: Run) -> None:
    hq("indicators", "show", "nothing", code=1)
    assert "'nothing' is not an indicator" in hq.err and len(hq.err.strip().splitlines()) == 1
    hq("indicators", "show", "sdg-16-10-1", "--by", "colour", code=1)
    assert "cannot be broken down by 'colour'" in hq.err
    hq("indicators", "show", "sdg-16-10-1", "--tier", "release", "--min-cell", "1", code=1)
    assert "--min-cell 3 or more" in hq.err
    hq("indicators", "show", "sdg-16-10-1", "--tier", "public", code=2)
    hq("indicators", "show", "sdg-16-10-1", "--country", "BFA", "--admin1", "ML-7", code=1)
    assert "ML-7 is not in BFA" in hq.err
