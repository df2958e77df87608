"""Export figures: peak memory and speed of ``fieldkit-hq export`` over N records (20,000 by
default, 4,000 with ``--quick``; ``python -m benchmarks.bench_export --records 1000000`` for the
documented figure), in a SQLite repository.

Records are the shipped illicit-market observation example (about 2.4 KB of answers each), with
their analysis rows (dated across 2026, two markets each). They are written straight into the
repository's tables (an ingest of a million revisions would take longer than the export being
measured); exports read them as they read ingested ones, identifying answers left sealed.

Each step runs in a fresh process (peak resident memory, ``ru_maxrss``, only ever grows) and
reports the growth of its peak over the process's own peak once the repository is open. The
baseline, in the same run: a plain SQL dump, ``sqlite3`` streaming ``SELECT`` of the same rows
into a CSV file with Python's ``csv`` module: the floor of any streamed export. Ratios are
fieldkit's growth over the dump's, and the dump's time over fieldkit's.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_vault import FORM, sample_answers
from benchmarks.common import Result, report

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RECORDS = 20_000
STEPS = ("dump", "csv", "csv-period", "xlsx", "jsonl", "tables-xlsx", "tables-csv")
TARGET_MIB = 64


def _peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# -- the repository -------------------------------------------------------------------------------


def build(path: Path, records: int) -> None:
    """A SQLite repository holding ``records`` revisions of the market form and their analysis
    rows (see the module's description)."""
    from fieldkit.bundle import form_bytes
    from fieldkit.domain.records import sha256_hex
    from fieldkit.hq.repository import open_repository, sqlite_url
    from fieldkit.services.forms import read_form_file

    open_repository(sqlite_url(path)).close()  # the schema, by the migrations
    form = read_form_file(ROOT / "forms" / f"{FORM}.yaml")
    definition = form_bytes(form)
    form_sha = sha256_hex(definition)
    answers = json.dumps(sample_answers(), ensure_ascii=False, separators=(",", ":"))
    device, manifest = "d" * 32, "ab" * 32
    now = "2026-03-14T10:00:00Z"
    db = sqlite3.connect(path)
    with db:
        db.execute(
            "INSERT INTO devices (key_id, public_key, age_recipient, name, identity_created, "
            "registered_at) VALUES (?, ?, ?, ?, ?, ?)",
            (device, "cd" * 32, "age1bench", "bench", now, now),
        )
        db.execute(
            "INSERT INTO bundles (manifest_sha256, bundle_id, device_key_id, sequence, created, "
            "ingested_at, ciphertext_sha256, revisions, attachments) VALUES (?,?,?,?,?,?,?,?,?)",
            (manifest, "b" * 32, device, 1, now, now, "ef" * 32, records, 0),
        )
        db.execute(
            "INSERT INTO forms (sha256, form_id, version, definition) VALUES (?, ?, ?, ?)",
            (form_sha, form.id, form.version, definition.decode()),
        )
        db.execute("INSERT INTO sealed_batches (id, ciphertext) VALUES (1, ?)", (b"sealed",))
        chunk = 10_000
        for start in range(0, records, chunk):
            rows = []
            for n in range(start, min(start + chunk, records)):
                record_id = secrets.token_hex(16)
                rows.append((record_id, secrets.token_hex(32), secrets.token_hex(16), n))
            db.executemany(
                "INSERT INTO revisions (sha256, record_id, number, device_key_id, form_sha256, "
                "form_id, form_version, sealed_at, previous, answers, attachments, link_id, "
                "manifest_sha256) VALUES (?, ?, 1, ?, ?, ?, ?, ?, NULL, ?, '[]', ?, ?)",
                [
                    (
                        sha,
                        rid,
                        device,
                        form_sha,
                        form.id,
                        form.version,
                        now,
                        answers,
                        link,
                        manifest,
                    )
                    for rid, sha, link, _n in rows
                ],
            )
            db.executemany(
                "INSERT INTO identifying (link_id, batch_id, position) VALUES (?, 1, 0)",
                [(link,) for _rid, _sha, link, _n in rows],
            )
            db.executemany(
                "INSERT INTO an_records (record_id, revision_sha256, revision, form_id, "
                "form_version, kind, device_key_id, received_at, date_start, day_from, day_to, "
                "country, admin1, admin1_status, geo_precision, fatalities) "
                "VALUES (?, ?, 1, ?, ?, 'market', ?, ?, ?, ?, ?, 'MLI', 'ML-7', 'coded', 2, 0)",
                [
                    (rid, sha, form.id, form.version, device, now, *_dates(n))
                    for rid, sha, _link, n in rows
                ],
            )
            db.executemany(
                "INSERT INTO an_markets (record_id, market) VALUES (?, ?)",
                [(rid, m) for rid, _s, _l, _n in rows for m in ("fauna_crimes", "heroin_trade")],
            )
    db.close()


def _dates(n: int) -> tuple[str, str, str]:
    """A day of 2026 for most records; every tenth is dated by its month only."""
    month, day = n % 12 + 1, n % 28 + 1
    if n % 10 == 0:
        return f"2026-{month:02d}", f"2026-{month:02d}-01", f"2026-{month:02d}-28"
    text = f"2026-{month:02d}-{day:02d}"
    return text, text, text


# -- one step, in a process of its own ------------------------------------------------------------


def child(step: str, path: Path, out: Path) -> dict[str, float]:
    if step == "dump":
        db = sqlite3.connect(path)
        db.execute("SELECT 1").fetchall()
        before = _peak_kib()
        start = time.perf_counter()
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            for row in db.execute(
                "SELECT record_id, number, form_id, form_version, sealed_at, sha256, answers "
                "FROM revisions ORDER BY seq"
            ):
                writer.writerow(row)
        seconds = time.perf_counter() - start
        db.close()
        return {"growth_kib": _peak_kib() - before, "seconds": seconds}
    from fieldkit.hq.analysis.filters import Filters
    from fieldkit.hq.export import ExportFormat, ExportOptions, export_records
    from fieldkit.hq.repository import open_repository, sqlite_url

    repository = open_repository(sqlite_url(path))
    repository.forms()
    fmt, options = {
        "csv": (ExportFormat.CSV, ExportOptions()),
        "csv-period": (
            ExportFormat.CSV,
            ExportOptions(filters=Filters.parse(date_from="2026-Q1", date_to="2026-Q2")),
        ),
        "xlsx": (ExportFormat.XLSX, ExportOptions()),
        "jsonl": (ExportFormat.JSONL, ExportOptions()),
        "tables-xlsx": (ExportFormat.XLSX, ExportOptions(tables=True)),
        "tables-csv": (ExportFormat.CSV, ExportOptions(tables=True, labels="fr")),
    }[step]
    before = _peak_kib()
    start = time.perf_counter()
    export_records(repository, out, fmt, options=options)
    seconds = time.perf_counter() - start
    repository.close()
    return {"growth_kib": _peak_kib() - before, "seconds": seconds}


def _run_child(step: str, path: Path, out: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_export", "--child", step, str(path), str(out)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    measured: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return measured


# -- the suite -------------------------------------------------------------------------------


def _steps(folder: Path, records: int, steps: tuple[str, ...]) -> dict[str, dict[str, float]]:
    path = folder / f"hq-{records}.sqlite3"
    start = time.perf_counter()
    build(path, records)
    figures: dict[str, dict[str, float]] = {
        "build": {"seconds": time.perf_counter() - start, "mib": path.stat().st_size / (1 << 20)}
    }
    for step in steps:
        suffix = {"xlsx": "xlsx", "tables-xlsx": "xlsx", "jsonl": "jsonl"}.get(step, "csv")
        out = folder / f"{step}.{'zip' if step == 'tables-csv' else suffix}"
        figures[step] = _run_child(step, path, out)
        figures[step]["mib_out"] = out.stat().st_size / (1 << 20)
        out.unlink()
    path.unlink()
    return figures


def smaller(records: int) -> int:
    """The size the CSV export's memory is compared at: a tenth, but at least two pages of
    rows (the repository reads 1,000 revisions at a time; below that, memory is smaller)."""
    return max(records // 10, 2_000)


def measure(records: int) -> list[Result]:
    """Each export against the dump of the same N records; and the CSV export's memory at N
    against at N/10 (flat: the same)."""
    with tempfile.TemporaryDirectory(prefix="fieldkit-bench-export-") as tmp:
        figures = _steps(Path(tmp), records, STEPS)
        tenth = _steps(Path(tmp), smaller(records), ("csv",))
    base = figures["dump"]
    label = f"{records:,} records"
    names = {
        "csv": "export --format csv",
        "csv-period": "export --format csv --from 2026-Q1 --to 2026-Q2 (through an_records)",
        "xlsx": "export --format xlsx",
        "jsonl": "export --format jsonl",
        "tables-xlsx": "export --format xlsx --tables",
        "tables-csv": "export --format csv --tables --labels fr (zip)",
    }
    base_text = (
        f"SQL dump: {base['growth_kib'] / 1024:.1f} MiB, {records / base['seconds']:,.0f} rec/s"
    )
    results = []
    for step, name in names.items():
        figure = figures[step]
        growth = figure["growth_kib"] / 1024
        results.append(
            Result(
                f"{name}, {label}: peak memory growth, speed",
                f"{growth:.1f} MiB, {records / figure['seconds']:,.0f} rec/s "
                f"({figure['mib_out']:,.1f} MiB written)",
                base_text,
                base["seconds"] / figure["seconds"],
                f"< {TARGET_MIB} MiB",
                growth < TARGET_MIB,
            )
        )
    small = tenth["csv"]["growth_kib"] / 1024
    large = figures["csv"]["growth_kib"] / 1024
    results.append(
        Result(
            f"export --format csv: peak memory growth at {records:,} against {smaller(records):,}",
            f"{large:.1f} MiB",
            f"{small:.1f} MiB",
            large / max(small, 0.1),
            "≤ 1.25x (flat)",
            large <= 1.25 * max(small, 0.1),
            [
                f"repository of {records:,} records: {figures['build']['mib']:,.0f} MiB; "
                "ratios of the export rows are the dump's time over the export's (speed "
                "relative to the dump); the dump's memory growth is the floor (rows streamed, "
                "nothing kept)"
            ],
        )
    )
    return results


def run(quick: bool = False, records: int | None = None) -> None:
    n = records or (4_000 if quick else DEFAULT_RECORDS)
    report("Exports (SQLite)", measure(n))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_export")
    parser.add_argument("--records", type=int, default=DEFAULT_RECORDS)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("STEP", "DB", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, db, out = args.child
        print(json.dumps(child(step, Path(db), Path(out))))
        return
    run(quick=args.quick, records=None if args.quick else args.records)


if __name__ == "__main__":
    main()
