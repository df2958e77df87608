"""HQ figures: ingest of one bundle of 10,000 revisions (2,000 with ``--quick``) into the SQLite
repository, and into PostgreSQL when ``FIELDKIT_BENCH_POSTGRES_URL`` (or the tests'
``FIELDKIT_TEST_POSTGRES_URL``) names a server.

Revisions are the shipped illicit-market observation example (about 2.4 KB of answers each),
sealed by one device. Ingest is the whole of ``fieldkit-hq ingest`` for one bundle: decrypt,
verify every signature and hash, split identifying answers and seal them to HQ's own keys, store
in one transaction, write the receipt (signatures verified in worker processes, as the CLI
does). Baselines, in the same run:

- opening and verifying the same bundle without storing it (the bundle reader alone, with the
  same worker processes for the signatures);
- plain ``sqlite3`` inserting the same revisions (hash, record, answers as JSON) in one
  transaction with ``synchronous=FULL``: the floor of any SQLite store of these rows.
"""

from __future__ import annotations

import json
import os
import resource
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks.bench_vault import FORM, sample_answers
from benchmarks.common import Result, each_seconds, report
from fieldkit.bundle import (
    FormSource,
    SealedRevision,
    export_bundle_file,
    form_bytes,
    make_device_identity_file,
    open_bundle,
    read_device_identity_file,
)
from fieldkit.bundle.agefile import new_identity
from fieldkit.crypto.identity import SigningKey
from fieldkit.domain.records import (
    RevisionEnvelope,
    new_record_id,
    revision_signing_message,
    sha256_hex,
)
from fieldkit.hq.ingest import Ingestor, Outcome
from fieldkit.hq.keys import HqConfig, HqKeys
from fieldkit.hq.paths import HqPaths
from fieldkit.hq.repository import Repository, open_repository, sqlite_url
from fieldkit.hq.signatures import ProcessSignatureChecker
from fieldkit.services.forms import read_form_file

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_ENVS = ("FIELDKIT_BENCH_POSTGRES_URL", "FIELDKIT_TEST_POSTGRES_URL")
TARGET = 5000


class Setup:
    """One device, HQ's keys, and one bundle of ``n`` sealed revisions on a stick."""

    def __init__(self, folder: Path, n: int) -> None:
        self.folder = folder
        self.device = SigningKey.generate()
        self.device_age = new_identity()
        self.hq_signing = SigningKey.generate()
        self.hq_age = new_identity()
        form = read_form_file(ROOT / "forms" / f"{FORM}.yaml")
        definition = form_bytes(form)
        answers = sample_answers()
        self.revisions = [self._seal(form.version, answers) for _ in range(n)]
        self.answers_json = [json.dumps(answers) for _ in range(n)]
        stick = folder / "stick"
        stick.mkdir()
        self.bundle = export_bundle_file(
            stick,
            device_key=self.device,
            sequence=1,
            previous=None,
            recipients=[self.hq_age[1]],
            revisions=self.revisions,
            attachments=[],
            forms=[FormSource(form.id, form.version, sha256_hex(definition), definition)],
        ).path

    def _seal(self, version: str, answers: dict[str, Any]) -> SealedRevision:
        record_id = new_record_id()
        content = RevisionEnvelope(
            record_id=record_id,
            number=1,
            form_id=FORM,
            form_version=version,
            data=answers,
            attachments=(),
            previous=None,
            sealed_at="2026-11-25T10:00:00Z",
            device=self.device.key_id,
        ).canonical()
        signature = self.device.sign(revision_signing_message(content))
        return SealedRevision(record_id, 1, sha256_hex(content), content, signature)

    def ingestor(self, repository: Repository, root: Path) -> Ingestor:
        identity = make_device_identity_file(
            device_key=self.device, age_recipient=self.device_age[1], device_name="bench"
        )
        repository.add_device(read_device_identity_file(identity), "2026-11-25T09:00:00Z")
        config = HqConfig(
            name="Benchmark HQ",
            address=None,
            ingest_recipient=self.hq_age[1],
            escrow_recipient=None,
            signing_public_key=self.hq_signing.public.public_key,
            created="2026-11-25T09:00:00Z",
        )
        keys = HqKeys(ingest_identity=self.hq_age[0], signing_key=self.hq_signing)
        return Ingestor(repository, HqPaths(root), config, keys)


def _ingest_once(setup: Setup, open_repo: Any, run: int) -> float:
    root = setup.folder / f"hq-{run}"
    root.mkdir(mode=0o700)
    repository = open_repo(root)
    try:
        ingestor = setup.ingestor(repository, root)
        start = time.perf_counter()
        result = ingestor.ingest_file(setup.bundle)
        seconds = time.perf_counter() - start
        if result.outcome is not Outcome.ACCEPTED or len(result.accepted) != len(setup.revisions):
            raise RuntimeError(f"ingest did not accept the bundle: {result.reason}")
        return seconds
    finally:
        repository.close()


def _open_only(setup: Setup) -> None:
    spool = setup.folder / "spool"
    spool.mkdir(mode=0o700, exist_ok=True)
    with setup.bundle.open("rb") as handle:
        opened = open_bundle(
            handle,
            [setup.hq_age[0]],
            lambda _k, _p: True,
            spool,
            signature_checker=ProcessSignatureChecker(),
        )
    opened.discard()


def _plain_sqlite(setup: Setup, run: int) -> None:
    path = setup.folder / f"plain-{run}.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute(
        "CREATE TABLE revisions (sha256 TEXT PRIMARY KEY, record_id TEXT NOT NULL, "
        "number INTEGER NOT NULL, answers TEXT NOT NULL, UNIQUE (record_id, number))"
    )
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO revisions VALUES (?, ?, ?, ?)",
        [
            (r.sha256, r.record_id, r.number, answers)
            for r, answers in zip(setup.revisions, setup.answers_json, strict=True)
        ],
    )
    conn.execute("COMMIT")
    conn.close()


def _postgres_url() -> str | None:
    for name in POSTGRES_ENVS:
        if os.environ.get(name):
            return os.environ[name]
    return None


class _PostgresSchemas:
    """A fresh schema per run on the named server, dropped afterwards."""

    def __init__(self, url: str) -> None:
        self.base = sa.make_url(url).set(drivername="postgresql+psycopg")
        self.admin = sa.create_engine(self.base)
        self.schemas: list[str] = []

    def __call__(self, _root: Path) -> Repository:
        schema = f"fieldkit_bench_{len(self.schemas)}_{os.getpid()}"
        with self.admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        self.schemas.append(schema)
        url = self.base.update_query_dict({"options": f"-csearch_path={schema}"})
        return open_repository(url.render_as_string(hide_password=False))

    def drop(self) -> None:
        with self.admin.begin() as connection:
            for schema in self.schemas:
                connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        self.admin.dispose()


def _rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f} revisions/s ({seconds:.2f} s)"


def _median(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2]


def run(quick: bool = False) -> None:
    n = 2000 if quick else 10_000
    repeat = 3
    with tempfile.TemporaryDirectory(prefix="fieldkit-bench-hq-") as tmp:
        setup = Setup(Path(tmp), n)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t_sqlite = _median(
            [
                _ingest_once(
                    setup, lambda root: open_repository(sqlite_url(root / "hq.sqlite3")), i
                )
                for i in range(repeat)
            ]
        )
        growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
        t_open = _median(each_seconds([lambda: _open_only(setup)] * repeat))
        t_plain = _median(
            each_seconds([lambda i=i: _plain_sqlite(setup, i) for i in range(repeat)])
        )
        size = setup.bundle.stat().st_size / (1 << 20)
        label = f"{n:,} revisions ({size:.0f} MiB bundle)"
        results = [
            Result(f"ingest one bundle of {label} into SQLite", _rate(n, t_sqlite),
                   f"plain sqlite3 insert of the same rows {_rate(n, t_plain)}",
                   t_plain / t_sqlite, f"≥ {TARGET:,} revisions/s", n / t_sqlite >= TARGET),
            Result("open and verify the same bundle, nothing stored", _rate(n, t_open),
                   "-", None, "-", None),
            Result(f"peak memory growth over three SQLite ingests of {label}",
                   f"{growth:.0f} MiB", "-", None, "bounded", None,
                   ["a bundle's verified revision texts are held in memory (at most 256 MiB "
                    "by the format's limits) with the text of their non-identifying answers; "
                    "no parsed revision is kept, rows and sealed batches are made and stored a "
                    "part at a time, attachments are streamed"]),
        ]  # fmt: skip
        url = _postgres_url()
        if url:
            schemas = _PostgresSchemas(url)
            try:
                t_pg = _median([_ingest_once(setup, schemas, 100 + i) for i in range(repeat)])
            finally:
                schemas.drop()
            results.append(
                Result(f"ingest one bundle of {label} into PostgreSQL (local server)",
                       _rate(n, t_pg), f"SQLite {_rate(n, t_sqlite)}", t_sqlite / t_pg,
                       "-", None)
            )  # fmt: skip
        else:
            print("no PostgreSQL URL set: its figure is skipped")
    report("HQ ingest", results)
