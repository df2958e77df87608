"""Indicator figures: SDG 16.10.1 over N attack records (1,000,000 by default, 50,000 with
``--quick``) on SQLite and, when ``FIELDKIT_BENCH_POSTGRES_URL`` (or the test suite's
``FIELDKIT_TEST_POSTGRES_URL``) names a server, on PostgreSQL.

Rows go straight into the analysis tables (``an_records``, ``an_victims``, ``an_acts``,
``an_perpetrators``): ``executemany`` on SQLite, ``COPY`` on PostgreSQL; an ingest of a million
bundles would take far longer than the indicator being measured. One victim and one act per
record; one victim in 20 is linked to the victim of the record before (the same person); dates
spread over 2025 and 2026, one in 50 dated to the year only; 80 % verified.

The baseline, in the same run and on the same rows: the same count written as one plain SQL
query (persons once, under their most serious act, in 2026, verified, the three 16.10.1 groups),
without fieldkit's extras (HQ review, organised-crime and complicity flags, the count of
uncertain records). Both must give the same numbers; the ratio is fieldkit's time over the
plain query's.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks.common import Result, report

DEFAULT_RECORDS = 1_000_000
QUICK_RECORDS = 50_000
CHUNK = 20_000
ACTS = (
    "killing",
    "enforced_disappearance",
    "torture",
    "kidnapping",
    "arbitrary_detention",
    "other_harmful_act",
)
CATEGORIES = ("journalist", "trade_unionist", "human_rights_defender", "community_leader")
PLAIN = """
SELECT act_type, count(*) FROM (
  SELECT v.person_id, a.act_type,
         row_number() OVER (PARTITION BY v.person_id ORDER BY
           CASE a.act_type WHEN 'killing' THEN 1 WHEN 'enforced_disappearance' THEN 2
             WHEN 'torture' THEN 3 WHEN 'kidnapping' THEN 4 WHEN 'arbitrary_detention' THEN 5
             ELSE 6 END, r.day_from, v.victim_id, a.entry) AS rn
  FROM an_acts a JOIN an_victims v ON v.victim_id = a.victim_id
  JOIN an_records r ON r.record_id = a.record_id
  WHERE r.kind = 'attack' AND r.verification = 'verified' AND v.kind = 'person'
    AND v.category IN ('journalist', 'trade_unionist', 'human_rights_defender')
    AND r.day_from >= '2026-01-01' AND r.day_to <= '2026-12-31'
) AS cases WHERE rn = 1 GROUP BY act_type
"""


def rows(records: int, seed: int = 1610) -> dict[str, list[tuple[Any, ...]]]:
    """The rows of ``records`` attack records (module description)."""
    rng = random.Random(seed)
    start = date(2025, 1, 1)
    out: dict[str, list[tuple[Any, ...]]] = {"r": [], "v": [], "a": [], "p": []}
    previous = None
    for n in range(records):
        record_id = f"{n:032x}"
        day = start + timedelta(days=rng.randrange(730))
        if rng.random() < 0.02:
            first, last = f"{day.year}-01-01", f"{day.year}-12-31"
        else:
            first = last = day.isoformat()
        verified = "verified" if rng.random() < 0.8 else "corroborated"
        out["r"].append(
            (
                record_id,
                "x" * 64,
                1,
                "attack-on-activist",
                "2",
                "attack",
                "d" * 32,
                "2027-01-01T00:00:00Z",
                first,
                last,
                "BFA",
                f"BF-{rng.randrange(1, 14):02d}",
                "coded",
                verified,
            )
        )
        victim_id = f"{record_id}.1"
        person = previous if previous and rng.random() < 0.05 else victim_id
        out["v"].append(
            (
                victim_id,
                record_id,
                1,
                person,
                "person",
                rng.choice(("female", "male")),
                rng.choice(CATEGORIES),
                False,
            )
        )
        act = rng.choice(ACTS)
        perpetrator = rng.choice(("state_agent", "organised_criminal_group", "unknown"))
        out["a"].append((record_id, victim_id, 1, act, perpetrator))
        out["p"].append((record_id, 1, perpetrator, "none_known"))
        previous = victim_id
    return out


COLUMNS = {
    "an_records": (
        "record_id",
        "revision_sha256",
        "revision",
        "form_id",
        "form_version",
        "kind",
        "device_key_id",
        "received_at",
        "day_from",
        "day_to",
        "country",
        "admin1",
        "admin1_status",
        "verification",
    ),
    "an_victims": (
        "victim_id",
        "record_id",
        "entry",
        "person_id",
        "kind",
        "sex",
        "category",
        "named_ok",
    ),
    "an_acts": ("record_id", "victim_id", "entry", "act_type", "perpetrator"),
    "an_perpetrators": ("record_id", "entry", "category", "state_complicity"),
}


TABLES = (
    ("an_records", "r"),
    ("an_victims", "v"),
    ("an_acts", "a"),
    ("an_perpetrators", "p"),
)


def fill(engine: sa.Engine, records: int, tables: tuple[str, ...] | None = None) -> float:
    """Insert the rows of ``tables`` (by default all four); returns the seconds it took. The
    workspace's benchmark takes the victims, acts and perpetrators alone, beside the records
    of :mod:`benchmarks.bench_records` (the same record ids)."""
    made = rows(records)
    began = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table, key in TABLES:
            if tables is not None and table not in tables:
                continue
            names = COLUMNS[table]
            data = made[key]
            if engine.dialect.name == "postgresql":
                with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                    for row in data:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(names))
                cursor.execute("BEGIN")
                for n in range(0, len(data), CHUNK):
                    cursor.executemany(
                        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})",
                        data[n : n + CHUNK],
                    )
                cursor.execute("COMMIT")
        raw.commit()
        if engine.dialect.name == "postgresql":
            cursor.execute("ANALYZE")
        else:
            cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - began


def measure(url: str, records: int, label: str) -> list[Result]:
    from fieldkit.hq.indicators import service
    from fieldkit.hq.repository import open_repository

    repository = open_repository(url)
    try:
        engine = repository.engine  # type: ignore[attr-defined]
        filled = fill(engine, records)
        fieldkit_s = []
        plain_s = []
        for _ in range(3):
            began = time.perf_counter()
            out = service.show_indicator(repository, "sdg-16-10-1", period="2026", by="act")
            fieldkit_s.append(time.perf_counter() - began)
            began = time.perf_counter()
            with engine.connect() as conn:
                plain = dict(conn.exec_driver_sql(PLAIN).all())
            plain_s.append(time.perf_counter() - began)
        ours = {row.key[0]: row.values[0] for row in out.rows}
        assert ours == plain, (ours, plain)
        best, base = min(fieldkit_s), min(plain_s)
        persons = sum(plain.values())
        return [
            Result(
                f"{label}: SDG 16.10.1 by act, {records:,} records",
                f"{best:.2f} s",
                f"{base:.2f} s (one plain SQL query)",
                best / base,
                "same counts; within 3x of the plain query",
                best <= 3 * base,
                [
                    f"{persons:,} persons counted in 2026; rows inserted in {filled:.0f} s; "
                    "best of 3 runs each"
                ],
            )
        ]
    finally:
        repository.close()


def _postgres_url() -> str | None:
    value = os.environ.get("FIELDKIT_BENCH_POSTGRES_URL") or os.environ.get(
        "FIELDKIT_TEST_POSTGRES_URL"
    )
    return value or None


def run(quick: bool = False, records: int | None = None, backend: str = "all") -> None:
    count = records or (QUICK_RECORDS if quick else DEFAULT_RECORDS)
    if backend in ("all", "sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "hq.sqlite3"
            report("Indicators, SQLite", measure(f"sqlite:///{path}", count, "SQLite"))
    base = _postgres_url()
    if base and backend in ("all", "postgres"):
        results: list[Result] = []
        schema = f"fieldkit_bench_{secrets.token_hex(4)}"
        admin = sa.create_engine(sa.make_url(base).set(drivername="postgresql+psycopg"))
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        try:
            url = sa.make_url(base).set(drivername="postgresql+psycopg")
            url = url.update_query_dict({"options": f"-csearch_path={schema}"})
            results += measure(url.render_as_string(hide_password=False), count, "PostgreSQL")
        finally:
            with admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin.dispose()
        report("Indicators, PostgreSQL", results)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_indicators")
    parser.add_argument("--records", type=int, help=f"records (default {DEFAULT_RECORDS:,})")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--backend", choices=("all", "sqlite", "postgres"), default="all")
    args = parser.parse_args()
    run(args.quick, args.records, args.backend)


if __name__ == "__main__":
    main()
