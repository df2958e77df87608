"""The analysts' workspace, page by page, over N records (1,000,000 by default, 20,000 with
``--quick``) on PostgreSQL (``FIELDKIT_BENCH_POSTGRES_URL``, or the test suite's
``FIELDKIT_TEST_POSTGRES_URL``), in a schema of its own.

The repository holds the demonstration HQ of ``scripts/hq_demo.py`` with the workspace tests'
bundle (real records ingested with their revisions, reviews, victims and a photo, and the
accounts ``admin``, ``analyst``, ``viewer``), then N records written straight into the analysis
tables by the fillers of :mod:`benchmarks.bench_records` (records, search documents, reviews)
and :mod:`benchmarks.bench_indicators` (victims, acts, perpetrators of the same records).

A real ``fieldkit-hq web`` process serves it over TLS on 127.0.0.1; a client signed in as an
analyst asks for each page in turn (the pages alternate, so that a busy moment of a shared
machine falls on all of them alike), after a warm-up. The server's time of each answer is read
from its ``Server-Timing: app;dur=`` header (from the request's arrival to the start of the
answer, the page rendered); the time the client saw, TLS and HTTP included, is given beside it.

Baselines in the same run: the sign-in page of the same server (the framework, TLS, session and
template cost of a page that reads nothing), and, for the list, the SQL statements the list's
use case sends, captured from it and run again alone on a plain connection; for the indicator,
the same count written as one plain SQL query (:data:`benchmarks.bench_indicators.PLAIN`).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from tests.hq.conftest import _END_SESSIONS_ON

from benchmarks import bench_indicators, bench_records
from benchmarks.common import Result, report

DEFAULT_RECORDS = 1_000_000
QUICK_RECORDS = 20_000
REPEAT = 200
QUICK_REPEAT = 40
WARM_UP = 10
TARGET_MS = 300.0
PAGES = {
    "list": ("/records", {}),
    "list filtered": (
        "/records",
        {"country": "NER", "from": "2026-03", "to": "2026-03", "review": "verified"},
    ),
    "list words": ("/records", {"q": "gold market"}),
    "record": ("/records/{record}", {}),  # the tests' record with a photo and revisions
    "indicator": ("/indicators/sdg-16-10-1", {"period": "2026"}),
}
"""The pages measured: name, path and query."""
SPARSE = {"indicator": 10}
"""Pages asked for only every so many rounds: an indicator over a million records takes seconds
on this machine, and 200 of them would take longer than all the rest."""


def fill(url: str, count: int) -> float:
    """The N records' rows beside the repository's own; returns the seconds it took."""
    engine = sa.create_engine(url)
    try:
        seconds = bench_records.fill(engine, count)
        victims = ("an_victims", "an_acts", "an_perpetrators")
        seconds += bench_indicators.fill(engine, count, tables=victims)
    finally:
        engine.dispose()
    return seconds


def plain_statements(url: str, params: dict[str, str]) -> list[tuple[str, Any]]:
    """The SQL statements (with their parameters) that the list's use case sends for
    ``params``, as an analyst."""
    from fieldkit.hq.repository import open_repository
    from fieldkit.hq.workspace.filters import RecordFilters
    from fieldkit.hq.workspace.record_list import list_records

    repository = open_repository(url)
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        sent.append((statement, parameters))

    engine = repository.engine  # type: ignore[attr-defined]
    try:
        sa.event.listen(engine, "before_cursor_execute", capture)
        list_records(repository, RecordFilters.from_query(params), "analyst", "en")
        sa.event.remove(engine, "before_cursor_execute", capture)
    finally:
        repository.close()
    return [(s, p) for s, p in sent if s.lstrip().upper().startswith(("SELECT", "WITH"))]


def plain_runner(connection: Any, statements: list[tuple[str, Any]]) -> Callable[[], float]:
    """Runs ``statements`` on a plain driver connection; answers its milliseconds."""

    def run() -> float:
        began = time.perf_counter()
        with connection.cursor() as cursor:
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                cursor.fetchall()
        return (time.perf_counter() - began) * 1000

    return run


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[round(share * (len(ordered) - 1))]


def summary(values: list[float]) -> str:
    return (
        f"p50 {statistics.median(values):.0f} / p95 {percentile(values, 0.95):.0f} / "
        f"max {max(values):.0f} ms"
    )


@contextmanager
def served(folder: Path, url: str) -> Iterator[Any]:
    """The demonstration HQ built into ``url`` and a running ``fieldkit-hq web`` on it (the
    workspace tests' support); yields the server, then the HQ, once the rows are in."""
    import pytest
    from tests.hq.web.conftest import _quick
    from tests.hq.web.support import WebServer, build_workspace_hq

    with pytest.MonkeyPatch.context() as patch:
        _quick(patch, folder / "home")
        hq = build_workspace_hq(folder / "demo", url)
        yield hq, lambda: WebServer(hq, folder / "web.log", "--sign-ins-per-minute", "10000")


def measure(url: str, count: int, repeat: int) -> list[Result]:
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as folder, served(Path(folder), url) as (_hq, server_of):
        filled = fill(url, count)
        server = server_of().start()
        try:
            with server.signed_in("analyst") as analyst, server.client() as anonymous:
                server_ms, client_ms, plain_ms = _rounds(analyst, anonymous, url, repeat)
        finally:
            server.stop()
    load_after = os.getloadavg()
    return _results(count, repeat, server_ms, client_ms, plain_ms, filled, load_before, load_after)


def _rounds(
    analyst: Any, anonymous: Any, url: str, repeat: int
) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, list[float]]]:
    from tests.hq.web.dataset import PHOTO_RECORD

    pages = {"sign-in page": ("/sign-in", {})} | PAGES
    server_ms: dict[str, list[float]] = {name: [] for name in pages}
    client_ms: dict[str, list[float]] = {name: [] for name in pages}
    engine = sa.create_engine(url)
    raw = engine.raw_connection()
    plain = {
        name: plain_runner(raw, plain_statements(url, pages[name][1]))
        for name in ("list", "list filtered", "list words")
    }
    # the indicator's count as one plain SQL query (bench_indicators): persons once, in 2026
    plain["indicator"] = plain_runner(raw, [(bench_indicators.PLAIN, None)])
    plain_ms: dict[str, list[float]] = {name: [] for name in plain}
    try:
        for round_number in range(WARM_UP + repeat):
            for name, (path, params) in pages.items():
                if round_number % SPARSE.get(name, 1):
                    continue
                client = anonymous if name == "sign-in page" else analyst
                began = time.perf_counter()
                answer = client.get(path.format(record=PHOTO_RECORD), params=params)
                seen = (time.perf_counter() - began) * 1000
                if answer.status_code != 200:
                    raise RuntimeError(f"{name}: the workspace answered {answer.status_code}")
                timing = answer.headers["server-timing"]
                if round_number >= WARM_UP:
                    server_ms[name].append(float(timing.split("dur=", 1)[1]))
                    client_ms[name].append(seen)
            for name, runner in plain.items():
                if round_number % SPARSE.get(name, 1):
                    continue
                elapsed = runner()
                if round_number >= WARM_UP:
                    plain_ms[name].append(elapsed)
            raw.rollback()
    finally:
        raw.close()
        engine.dispose()
    return server_ms, client_ms, plain_ms


def _results(
    count: int,
    repeat: int,
    server_ms: dict[str, list[float]],
    client_ms: dict[str, list[float]],
    plain_ms: dict[str, list[float]],
    filled: float,
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> list[Result]:
    framework = server_ms["sign-in page"]
    framework_p95 = percentile(framework, 0.95)
    results = [
        Result(
            "sign-in page (baseline: framework, TLS, template)",
            summary(framework),
            "-",
            None,
            "-",
            None,
            [f"client saw {summary(client_ms['sign-in page'])}"],
        )
    ]
    for name in PAGES:
        p95 = percentile(server_ms[name], 0.95)
        notes = [
            f"client saw {summary(client_ms[name])}",
            f"{p95 / framework_p95:.1f}x the sign-in page's p95 ({framework_p95:.0f} ms)",
        ]
        baseline, ratio = f"sign-in page p95 {framework_p95:.0f} ms", p95 / framework_p95
        if name in plain_ms:
            plain_p95 = percentile(plain_ms[name], 0.95)
            baseline = f"plain SQL {summary(plain_ms[name])}"
            ratio = p95 / plain_p95
        results.append(
            Result(
                f"{name}, {count:,} records, server time",
                summary(server_ms[name]),
                baseline,
                ratio,
                f"p95 under {TARGET_MS:.0f} ms",
                p95 < TARGET_MS,
                notes,
            )
        )
    results[0].notes.append(
        f"{repeat} requests per page after {WARM_UP} of warm-up (the indicator page every "
        f"{SPARSE['indicator']}th round: {len(server_ms['indicator'])}); rows inserted in "
        f"{filled:.0f} s; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after "
        f"on {os.cpu_count()} cores"
    )
    return results


def run(quick: bool = False, records: int | None = None, repeat: int | None = None) -> None:
    count = records or (QUICK_RECORDS if quick else DEFAULT_RECORDS)
    rounds = repeat or (QUICK_REPEAT if quick else REPEAT)
    base = bench_records._postgres_url()
    if not base:
        print("\nWorkspace: skipped (no FIELDKIT_BENCH_POSTGRES_URL)")
        return
    schema = f"fieldkit_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(sa.make_url(base).set(drivername="postgresql+psycopg"))
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        url = sa.make_url(base).set(drivername="postgresql+psycopg")
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
        results = measure(url.render_as_string(hide_password=False), count, rounds)
        report("Workspace pages, PostgreSQL", results)
    finally:
        with admin.begin() as conn:
            conn.execute(_END_SESSIONS_ON, {"schema": schema})
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_workspace")
    parser.add_argument("--records", type=int, help=f"records (default {DEFAULT_RECORDS:,})")
    parser.add_argument("--repeat", type=int, help=f"requests per page (default {REPEAT})")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    run(quick=args.quick, records=args.records, repeat=args.repeat)


if __name__ == "__main__":
    main()
