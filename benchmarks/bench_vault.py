"""Vault figures: durable save, finalize, bulk import, newest 50 and full-text search at 100,000.

Baselines run in the same process: plain ``sqlite3`` with the same tables (created from the same
SQLModel metadata), WAL and ``synchronous=FULL``; one transaction per save, or one for the bulk.
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlmodel import SQLModel

from benchmarks.common import Result, each_seconds, median_seconds, report
from fieldkit.domain import validation
from fieldkit.domain.records import new_record_id
from fieldkit.services import forms as form_service
from fieldkit.services import records, vaults
from fieldkit.services.records import _prepare, _write_new
from fieldkit.vault import keyfile
from fieldkit.vault.models import RecordRow
from fieldkit.vault.repo import RecordFilter

# Key derivation is not what is measured here: the test suite's cheap parameters, set in-process.
keyfile.TEST_PARAMS = keyfile.KdfParams(memory_kib=keyfile.FLOOR_MEMORY_KIB, iterations=1, lanes=1)
PASSPHRASE = "benchmark passphrase kestrel obsidian"  # noqa: S105 - a throwaway vault
FORM = "illicit-market-observation"
ROOT = Path(__file__).resolve().parents[1]


def sample_answers() -> dict[str, Any]:
    answers = json.loads(
        (ROOT / "tests/data/records/v2/illicit-market-observation.valid.json").read_text()
    )
    answers.pop("attachments", None)
    return answers


def plain_database(path: Path) -> sqlite3.Connection:
    """Plain SQLite with the vault's own tables, indexes and search index."""
    engine = create_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(
        "CREATE VIRTUAL TABLE record_fts USING fts5(title, body, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    conn.execute(
        "INSERT INTO form (form_id, version, definition, sha256, installed_at, active) "
        "VALUES (?, '1', '{}', '', '', 1)",
        (FORM,),
    )
    return conn


def _clock() -> Any:
    import datetime as dt

    return dt.datetime(2026, 11, 25, tzinfo=dt.UTC)


def bench_durable_save(vault: vaults.Vault, plain: sqlite3.Connection, n: int) -> list[Result]:
    """One record's revision-sized row per transaction: plain SQLite vs fieldkit's finalize."""
    content = json.dumps(sample_answers()).encode()
    plain.execute(
        "INSERT INTO record (num, id, form_id, form_version, status, created_at, updated_at, "
        "revision_count, title, event_date, place) "
        "VALUES (1, 'r', ?, '1', 'final', '', '', 0, '', '', '')",
        (FORM,),
    )

    def plain_save(i: int) -> None:
        plain.execute("BEGIN")
        plain.execute(
            "INSERT INTO revision (record_id, number, content, sha256, signature, key_id, "
            "sealed_at, status) "
            "VALUES ('r', ?, ?, ?, x'00', 'k', '', 'final')",
            (i, content, f"h{i}"),
        )
        plain.execute("COMMIT")

    drafts = [records.create(vault, FORM, sample_answers()) for _ in range(n)]
    plain_times = []
    finalize_times = []
    finalize_cpu = []
    # In turn, a plain save then a finalize, so that both meet the same moments of a shared disk.
    for i, draft in enumerate(drafts):
        start = time.perf_counter()
        plain_save(i)
        plain_times.append(time.perf_counter() - start)
        start, cpu = time.perf_counter(), time.process_time()
        records.finalize(vault, draft)
        finalize_times.append(time.perf_counter() - start)
        finalize_cpu.append(time.process_time() - cpu)
    saves = [records.create(vault, FORM, {}) for _ in range(1)]
    draft_times = each_seconds(
        [
            lambda i=i: records.save_draft(vault, saves[0], sample_answers() | {"fatalities": i})
            for i in range(n)
        ]
    )
    plain_ms = statistics.median(plain_times) * 1000
    finalize_ms = statistics.median(finalize_times) * 1000
    cpu_ms = statistics.median(finalize_cpu) * 1000
    draft_ms = statistics.median(draft_times) * 1000
    ratio = plain_ms / finalize_ms
    return [
        Result(
            "finalize one record (validate, canonicalise, hash, sign, durable commit)",
            f"{finalize_ms:.2f} ms median",
            f"{plain_ms:.2f} ms plain SQLite durable save",
            ratio,
            "≤ 2 ms; ≥ 0.5x plain rate",
            finalize_ms <= 2.0 and ratio >= 0.5,
        ),
        Result(
            "finalize one record: processor time of fieldkit's process (without waiting for the "
            "disk)",
            f"{cpu_ms:.2f} ms median",
            "-",
            None,
            "-",
            None,
        ),
        Result(
            "save a draft as the user types (check, summary, index, durable commit)",
            f"{draft_ms:.2f} ms median",
            f"{plain_ms:.2f} ms plain SQLite durable save",
            plain_ms / draft_ms,
            "-",
            None,
        ),
    ]


FINALIZE_READ = (
    "SELECT r.num, r.draft, r.revision_count, r.head_sha256, f.sha256 FROM record AS r "
    "JOIN form AS f ON f.form_id = r.form_id AND f.version = r.form_version WHERE r.id = ?"
)


def _finalize_statements(conn: Any, record_ids: list[str], content: bytes) -> list[float]:
    """The statements a finalize runs, with no fieldkit code around them, one transaction per
    record: read the record, insert the revision, update the record, read its search text,
    append an audit entry after reading the log's end, record the new end, commit."""
    times = []
    for record_id in record_ids:
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        num = conn.execute(FINALIZE_READ, (record_id,)).fetchone()[0]
        digest = os.urandom(32).hex()
        conn.execute(
            "INSERT INTO revision (record_id, number, content, sha256, previous, signature, "
            "key_id, sealed_at, status) VALUES (?, 1, ?, ?, NULL, ?, ?, ?, 'final')",
            (record_id, content, digest, os.urandom(64), "k" * 32, "2026-11-25T00:00:00Z"),
        )
        conn.execute(
            "UPDATE record SET revision_count = 1, head_sha256 = ?, status = 'final', "
            "draft = NULL, updated_at = ?, title = ?, event_date = '', place = ? WHERE num = ?",
            (digest, "2026-11-25T00:00:01Z", '{"en":"t"}', '{"en":"p"}', num),
        )
        conn.execute("SELECT title, body FROM record_fts WHERE rowid = ?", (num,)).fetchone()
        last = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        seq, previous = (last[0] + 1, last[1]) if last else (1, "0" * 64)
        conn.execute(
            "INSERT INTO audit (seq, at, action, subject, detail, previous, hash) "
            "VALUES (?, ?, 'record_finalized', ?, '{}', ?, ?)",
            (seq, "2026-11-25T00:00:01Z", record_id, previous, os.urandom(32).hex()),
        )
        conn.execute(
            "INSERT INTO setting (key, value) VALUES ('audit_head', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (f'{{"hash":"{"0" * 64}","seq":{seq}}}',),
        )
        conn.execute("COMMIT")
        times.append(time.perf_counter() - start)
    return times


def bench_finalize_floor(folder: Path, plain: sqlite3.Connection, n: int) -> list[Result]:
    """What the storage of a finalize costs on its own: the statements of one finalize on a
    vault connection made exactly as fieldkit makes its own (key, WAL, synchronous=FULL,
    secure_delete, ...), against the same statements on plain SQLite."""
    from fieldkit.domain.records import canonical_json
    from fieldkit.vault import keyfile
    from fieldkit.vault.engine import database_path, open_connection

    vault = vaults.create_vault(folder, PASSPHRASE)
    try:
        ids = [records.create(vault, FORM, sample_answers()) for _ in range(n)]
    finally:
        vault.close()
    content = canonical_json({"data": sample_answers(), "record": "r" * 32, "device": "k" * 32})
    conn = open_connection(database_path(folder), keyfile.read_key_file(folder).unwrap(PASSPHRASE))
    try:
        cipher = statistics.median(_finalize_statements(conn, ids, content)) * 1000
    finally:
        conn.close()
    draft = json.dumps(sample_answers())
    first = plain.execute("SELECT coalesce(max(num), 0) FROM record").fetchone()[0] + 1
    plain_ids = [f"floor{i}" for i in range(n)]
    plain.execute("BEGIN")
    for i, record_id in enumerate(plain_ids):
        plain.execute(
            "INSERT INTO record (num, id, form_id, form_version, status, created_at, updated_at, "
            "draft, revision_count, title, event_date, place) "
            "VALUES (?, ?, ?, '1', 'draft', '', '', ?, 0, '', '', '')",
            (first + i, record_id, FORM, draft),
        )
        plain.execute(
            "INSERT INTO record_fts (rowid, title, body) VALUES (?, 't', ?)", (first + i, draft)
        )
    plain.execute("COMMIT")
    bare = statistics.median(_finalize_statements(plain, plain_ids, content)) * 1000
    return [
        Result(
            "finalize's statements alone: no fieldkit code, vault connection (SQLCipher, WAL, "
            "synchronous = FULL, secure_delete)",
            f"{cipher:.2f} ms median",
            f"{bare:.2f} ms the same statements on plain SQLite",
            bare / cipher,
            "-",
            None,
        )
    ]


def bench_bulk(vault: vaults.Vault, plain: sqlite3.Connection, n: int) -> list[Result]:
    """Import: end to end (validate every record, then store), and the storage path alone.

    The baseline writes the very rows fieldkit writes (record, search text, audit entry) into
    plain SQLite in one transaction."""
    with vault.read() as session:
        form = form_service.current(session, FORM)
    answers = sample_answers()
    prepared = [
        _prepare(form, answers, seal_with=None, language="en", clock=_clock) for _ in range(n)
    ]
    record_columns = [c.name for c in RecordRow.__table__.columns]  # type: ignore[attr-defined]

    def plain_bulk() -> None:
        plain.execute("BEGIN")
        first = plain.execute("SELECT coalesce(max(num), 0) FROM record").fetchone()[0] + 1
        last_audit = plain.execute("SELECT coalesce(max(seq), 0) FROM audit").fetchone()[0]
        rows = []
        for i, record in enumerate(prepared):
            row = dict(record.row, num=first + i, id=f"{record.row['id']}{first + i}")
            rows.append(tuple(row[c] for c in record_columns))
        placeholders = ", ".join("?" for _ in record_columns)
        plain.executemany(f"INSERT INTO record VALUES ({placeholders})", rows)
        plain.executemany(
            "INSERT INTO record_fts (rowid, title, body) VALUES (?, ?, ?)",
            [(first + i, r.search[0], r.search[1]) for i, r in enumerate(prepared)],
        )
        plain.executemany(
            "INSERT INTO audit VALUES (?, '', 'record_created', ?, '{}', '', '')",
            [(last_audit + 1 + i, r.row["id"]) for i, r in enumerate(prepared)],
        )
        plain.execute("COMMIT")

    start = time.perf_counter()
    plain_bulk()
    plain_rate = n / (time.perf_counter() - start)

    def fieldkit_storage() -> None:
        for record in prepared:
            record.row["id"] = new_record_id()
        with vault.write() as session:
            _write_new(session, prepared)

    start = time.perf_counter()
    fieldkit_storage()
    storage_rate = n / (time.perf_counter() - start)

    lines = [(i + 1, answers) for i in range(n)]
    start = time.perf_counter()
    records.import_lines(vault, FORM, iter(lines), clock=_clock)
    import_rate = n / (time.perf_counter() - start)
    start = time.perf_counter()
    records.import_lines(vault, FORM, iter(lines), final=True, clock=_clock)
    sealed_rate = n / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(200):
        validation.check(form, answers)
    check_ms = (time.perf_counter() - start) / 200 * 1000
    size = len(json.dumps(answers)) / 1024
    baseline = f"{plain_rate:,.0f} records/s plain SQLite, same rows, one transaction"
    return [
        Result(
            f"bulk import, storage path: {n:,} records (record, search text, audit entry)",
            f"{storage_rate:,.0f} records/s",
            baseline,
            storage_rate / plain_rate,
            "≥ 0.6x",
            storage_rate / plain_rate >= 0.6,
        ),
        Result(
            f"bulk import, end to end: {n:,} records of {size:.1f} KB, each checked by its form",
            f"{import_rate:,.0f} records/s",
            baseline,
            import_rate / plain_rate,
            "-",
            None,
            [f"checking one record against the 70-field form takes {check_ms:.2f} ms on its own."],
        ),
        Result(
            "bulk import, end to end, each record sealed (hashed, signed)",
            f"{sealed_rate:,.0f} records/s",
            baseline,
            sealed_rate / plain_rate,
            "-",
            None,
        ),
    ]


RAW_ROWS = 4000


def raw_rows_per_second(module_name: str, memory_security: bool) -> float:
    """Rows/s for plain inserts of record-sized rows, search text and audit rows in one
    transaction, straight through the DB-API module: what the storage path costs before any
    fieldkit code. Run in a fresh process: SQLCipher's memory security is process-wide."""
    import importlib

    module = importlib.import_module(module_name)
    body = json.dumps(sample_answers())
    with tempfile.TemporaryDirectory() as temp:
        conn = module.connect(str(Path(temp) / "raw.db"), isolation_level=None)
        if module_name == "sqlcipher3":
            conn.execute("PRAGMA key = \"x'" + "11" * 32 + "'\"")
            setting = "ON" if memory_security else "OFF"
            conn.execute(f"PRAGMA cipher_memory_security = {setting}").fetchall()
        conn.execute("PRAGMA journal_mode = WAL").fetchall()
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("CREATE TABLE r (num INTEGER PRIMARY KEY, id TEXT UNIQUE, draft TEXT, u TEXT)")
        conn.execute("CREATE INDEX ix ON r (u)")
        conn.execute("CREATE VIRTUAL TABLE f USING fts5 (title, body)")
        conn.execute("CREATE TABLE a (seq INTEGER PRIMARY KEY, s TEXT, h TEXT)")
        start = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO r VALUES (?, ?, ?, ?)",
            [(i, os.urandom(16).hex(), body, f"{i:08d}") for i in range(RAW_ROWS)],
        )
        conn.executemany(
            "INSERT INTO f (rowid, title, body) VALUES (?, 't', ?)",
            [(i, body) for i in range(RAW_ROWS)],
        )
        conn.executemany(
            "INSERT INTO a VALUES (?, ?, ?)",
            [(i, os.urandom(16).hex(), os.urandom(32).hex()) for i in range(RAW_ROWS)],
        )
        conn.execute("COMMIT")
        rate = RAW_ROWS / (time.perf_counter() - start)
        conn.close()
    return rate


def _in_fresh_process(module_name: str, memory_security: bool) -> float:
    code = (
        "from benchmarks.bench_vault import raw_rows_per_second; "
        f"print(raw_rows_per_second({module_name!r}, {memory_security}))"
    )
    rates = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
            ).stdout
        )
        for _ in range(5)
    ]
    return statistics.median(rates)


def bench_encryption_cost() -> list[Result]:
    plain = _in_fresh_process("sqlite3", False)
    bare = _in_fresh_process("sqlcipher3", False)
    secured = _in_fresh_process("sqlcipher3", True)
    return [
        Result(
            "raw SQLCipher inserts, cipher_memory_security = OFF (as fieldkit runs; same rows, "
            "no fieldkit code)",
            f"{bare:,.0f} rows/s",
            f"{plain:,.0f} rows/s plain SQLite",
            bare / plain,
            "-",
            None,
        ),
        Result(
            "raw SQLCipher inserts, cipher_memory_security = ON (as fieldkit ran until 2026-12)",
            f"{secured:,.0f} rows/s",
            f"{plain:,.0f} rows/s plain SQLite",
            secured / plain,
            "-",
            None,
            [
                "memory security wipes every buffer SQLCipher frees; fieldkit turns it off (see "
                "docs/security.md)."
            ],
        ),
    ]


def bench_finalize_stages(vault: vaults.Vault) -> list[Result]:
    """Where the time of a finalize goes, stage by stage, on the same record."""
    from fieldkit.domain.records import RevisionEnvelope, canonical_json, searchable_text
    from fieldkit.services.records import _summary_values
    from fieldkit.services.vaults import signing_key

    with vault.read() as session:
        form = form_service.current(session, FORM)
    key = signing_key(vault)
    answers = sample_answers()
    cleaned = validation.check(form, answers).data
    envelope = RevisionEnvelope(
        "r" * 32, 1, form.id, form.version, cleaned, (), None, "2026-11-25T00:00:00Z", key.key_id
    )
    content = canonical_json(envelope.to_json())
    stages = {
        "check the answers": median_seconds(lambda: validation.check(form, answers), 200),
        "canonical JSON (RFC 8785)": median_seconds(
            lambda: canonical_json(envelope.to_json()), 200
        ),
        "SHA-256 and Ed25519 signature": median_seconds(lambda: key.sign(content), 200),
        "list summary (every language) and search text": median_seconds(
            lambda: (_summary_values(form, cleaned), searchable_text(form, cleaned, "en")), 200
        ),
    }
    return [
        Result(f"finalize stage: {name}", f"{seconds * 1000:.2f} ms median", "-", None, "-", None)
        for name, seconds in stages.items()
    ]


def bench_queries(folder: Path, total: int) -> list[Result]:
    vault = vaults.create_vault(folder, PASSPHRASE)
    answers = sample_answers()
    batch = 10_000
    words = ["mercury", "ivory", "charcoal", "pangolin", "tramadol"]
    for start in range(0, total, batch):
        lines = [
            (
                i,
                answers
                | {
                    "narrative": f"Observation {start + i} near the {words[(start + i) % 5]} depot."
                },
            )
            for i in range(min(batch, total - start))
        ]
        with vault.write() as session:
            form = form_service.current(session, FORM)
            prepared = [
                _prepare(form, a, seal_with=None, language="en", clock=_clock) for _n, a in lines
            ]
            _write_new(session, prepared)
    vault.close()
    vault = vaults.unlock_vault(folder, PASSPHRASE)
    try:
        assert records.count(vault, RecordFilter()) == total
        newest = (
            median_seconds(lambda: records.list_items(vault, RecordFilter(), limit=50), 25) * 1000
        )
        needle = f"Observation {total // 2} "
        search = (
            median_seconds(
                lambda: records.list_items(vault, RecordFilter(search="pangolin"), limit=50), 25
            )
            * 1000
        )
        exact = (
            median_seconds(lambda: records.list_items(vault, RecordFilter(search=needle)), 25)
            * 1000
        )
        count = (
            median_seconds(lambda: records.count(vault, RecordFilter(search="pangolin")), 10) * 1000
        )
    finally:
        vault.close()
    return [
        Result(
            f"newest 50 of {total:,} records",
            f"{newest:.1f} ms",
            "-",
            None,
            "≤ 20 ms",
            newest <= 20,
        ),
        Result(
            f"full-text search over {total:,} records (first 50 of 20,000 hits)",
            f"{search:.1f} ms",
            "-",
            None,
            "≤ 50 ms",
            search <= 50,
        ),
        Result(
            f"full-text search for one record among {total:,}",
            f"{exact:.1f} ms",
            "-",
            None,
            "≤ 50 ms",
            exact <= 50,
        ),
        Result(
            f"count the 20,000 hits of a search among {total:,}",
            f"{count:.1f} ms",
            "-",
            None,
            "-",
            None,
        ),
    ]


def run(quick: bool = False) -> None:
    n_saves = 50 if quick else 300
    n_bulk = 2_000 if quick else 10_000
    total = 10_000 if quick else 100_000
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        plain = plain_database(folder / "plain.db")
        vault = vaults.create_vault(folder / "vault", PASSPHRASE)
        try:
            results = bench_durable_save(vault, plain, n_saves)
            results += bench_finalize_floor(folder / "floor", plain, n_saves)
            results += bench_finalize_stages(vault)
            results += bench_bulk(vault, plain, n_bulk)
        finally:
            vault.close()
            plain.close()
        results += bench_queries(folder / "big", total)
    results += bench_encryption_cost()
    report("Vault", results)
