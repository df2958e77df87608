"""``fieldkit-hq export`` with its new options and ``fieldkit-hq codebook``: the commands parse,
call the use cases, report, and refuse bad input with one line and exit status 1."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from fieldkit.hq.cli import main as hq_main
from fieldkit.hq.repository import open_repository, sqlite_url
from tests.hq.export_support import stock
from tests.hq.support import Hq, Run


@pytest.fixture
def hq(capsys: pytest.CaptureFixture[str], hq_dir: Path, tmp_path: Path) -> Run:
    """An initialised HQ folder whose repository holds the export tests' victim reports."""
    run = Run(capsys, hq_main, "fieldkit-hq")
    run("init", "--name", "Mission HQ")
    repository = open_repository(sqlite_url(hq_dir / "hq.sqlite3"))
    try:
        stock(Hq(tmp_path, repository))
    finally:
        repository.close()
    return run


@pytest.mark.slow
def test_export_tables_with_filters_and_labels(hq: Run, tmp_path: Path) -> None:
    out = tmp_path / "q1.xlsx"
    shown = hq(
        "export", "--format", "xlsx", "--tables", "--labels", "fr", "--from", "2026-Q1",
        "--to", "2026-Q1", "--country", "ML", "--out", str(out),
    )  # fmt: skip
    assert f"Tables written to {out}: records 2, victims 2" in shown
    book = openpyxl.load_workbook(out, read_only=True)
    assert book.sheetnames[:2] == ["records", "victims"]
    book.close()
    zipped = tmp_path / "t.zip"
    hq("export", "--format", "csv", "--tables", "--admin1", "ML-7", "--out", str(zipped))
    with zipfile.ZipFile(zipped) as archive:
        assert archive.read("records.csv").decode().count("\r\n") == 2, "header and one record"
    flat = tmp_path / "q1.csv"
    shown = hq(
        "export", "--format", "csv", "--from", "2026-Q1", "--to", "2026-03", "--out", str(flat)
    )
    assert "2 records written" in shown and "1 record may lie partly outside" in shown
    shown = hq("export", "--format", "geojson", "--out", str(tmp_path / "x.geojson"))
    assert "3 records have no location that may be shown" in shown


BAD_OPTIONS = [
    (["--from", "spring"], "'spring' is not a period"),
    (["--from", "2026-05", "--to", "2026-04"], "is after --to"),
    (["--country", "Mali"], "'Mali' is not a country code"),
    (["--admin1", "ML-7", "--country", "NER"], "ML-7 is not in NER"),
    (["--review", "maybe"], "'maybe' is not a review status"),
    (["--tables", "--format", "jsonl"], "--tables writes a workbook or CSV files"),
    (["--attachments", "files"], "--attachments needs --include-identifying"),
]


@pytest.mark.slow
def test_bad_export_options_are_refused(hq: Run, tmp_path: Path) -> None:
    out = tmp_path / "x.out"
    for args, message in BAD_OPTIONS:
        given = [] if "--format" in args else ["--format", "xlsx"]
        hq("export", *given, "--out", str(out), *args, code=1)
        assert message in hq.err, args
        assert not out.exists() and not (tmp_path / "files").exists()


@pytest.mark.slow
def test_codebook(hq: Run, tmp_path: Path) -> None:
    out = tmp_path / "codebook.md"
    assert "Codebook of 1 form version written to" in hq("codebook", "--out", str(out))
    assert "| victim_name | victims | text |" in out.read_text()
    hq("codebook", "--out", str(tmp_path / "codebook.txt"), code=1)
    assert "FILE.xlsx, FILE.csv or FILE.md" in hq.err
