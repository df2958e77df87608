"""The whole ``fieldkit-cli record import`` of 50,000 small records, as a user runs it.

Each run starts a fresh ``fieldkit-cli`` process on a fresh copy of a vault (made with the
ordinary, calibrated key derivation, as ``fieldkit-cli init`` makes it) that has a small
five-field form installed, and times it until the process has exited: interpreter start,
imports, key derivation, the check of every record by its form, storage, durable commit.

The baseline, alternated with it in the same run, is plain ``sqlite3`` inserting the very rows
that import wrote (read back from an imported vault: records, search text, audit entries) into
the same tables, WAL and ``synchronous = FULL``, in one transaction.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_vault import PASSPHRASE, plain_database
from benchmarks.common import Result, report

ROOT = Path(__file__).resolve().parents[1]
FORM_ID = "checkpoint-note"
SMALL_FORM = """\
fieldkit_form: 1
id: checkpoint-note
version: "1"
title: {en: Checkpoint note, fr: Note de point de contrôle}
languages: [en, fr]
choices:
  levy:
    - {code: cash, label: {en: Cash, fr: Espèces}}
    - {code: goods, label: {en: Goods, fr: Marchandises}}
    - {code: none, label: {en: None, fr: Aucun}}
summary: {title: [subject], date: day, place: [place]}
fields:
  - {name: subject, type: text, label: {en: Subject, fr: Sujet}, required: true}
  - {name: day, type: date, label: {en: Day, fr: Jour}, required: true}
  - {name: place, type: text, label: {en: Place, fr: Lieu}}
  - {name: levy, type: select_one, choices: levy, label: {en: Levy, fr: Prélèvement}}
  - {name: vehicles, type: integer, label: {en: Vehicles, fr: Véhicules}, constraint: ". >= 0"}
"""
LEVIES = ("cash", "goods", "none")


def _answers(i: int) -> dict[str, Any]:
    return {
        "subject": f"Levy at checkpoint {i % 97}",
        "day": f"2026-03-{i % 28 + 1:02d}",
        "place": "Bridge north of the market",
        "levy": LEVIES[i % 3],
        "vehicles": i % 40,
    }


def _env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "FIELDKIT_TEST_FAST_KDF"}
    env.update(
        {
            "FIELDKIT_VAULT": str(folder),
            "FIELDKIT_PASSPHRASE": PASSPHRASE,
            "HOME": str(folder.parent / "home"),
            "XDG_STATE_HOME": str(folder.parent / "home" / "state"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
    )
    return env


def _cli(folder: Path, *args: str) -> float:
    """Seconds from launching ``fieldkit-cli ARGS`` until it has exited (successfully)."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "fieldkit.cli.main", *args],
        env=_env(folder),
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def _written_rows(folder: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The rows an import wrote, read back from the vault."""
    from fieldkit.services import vaults

    vault = vaults.unlock_vault(folder, PASSPHRASE)
    try:
        with vault.read() as session:
            conn = session.connection()
            return {
                "form": [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM form")],
                "record": [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM record")],
                "record_fts": [
                    tuple(r)
                    for r in conn.exec_driver_sql("SELECT rowid, title, body FROM record_fts")
                ],
                "audit": [
                    tuple(r)
                    for r in conn.exec_driver_sql(
                        "SELECT * FROM audit WHERE action = 'record_created'"
                    )
                ],
            }
    finally:
        vault.close()


def _plain_insert(path: Path, rows: dict[str, list[tuple[Any, ...]]]) -> float:
    conn = plain_database(path)
    try:
        record = ", ".join("?" for _ in rows["record"][0])
        audit = ", ".join("?" for _ in rows["audit"][0])
        form = ", ".join("?" for _ in rows["form"][0])
        conn.executemany(f"INSERT OR IGNORE INTO form VALUES ({form})", rows["form"])
        start = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(f"INSERT INTO record VALUES ({record})", rows["record"])
        conn.executemany(
            "INSERT INTO record_fts (rowid, title, body) VALUES (?, ?, ?)", rows["record_fts"]
        )
        conn.executemany(f"INSERT INTO audit VALUES ({audit})", rows["audit"])
        conn.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        conn.close()


def _interpreter_start(folder: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], env=_env(folder), check=True)
    return time.perf_counter() - start


def _key_derivation(folder: Path) -> float:
    from fieldkit.vault import keyfile

    start = time.perf_counter()
    keyfile.read_key_file(folder).unwrap(PASSPHRASE)
    return time.perf_counter() - start


IMPORTS = "import fieldkit.cli.main, fieldkit.cli.context, fieldkit.services.records"


def _imports(folder: Path) -> float:
    """Seconds for a fresh interpreter to import what `record import` needs."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", IMPORTS], env=_env(folder), check=True, cwd=ROOT)
    return time.perf_counter() - start


def _stages(folder: Path, lines: Path, n: int) -> dict[str, float]:
    """Seconds per record of each stage of an import, in this process, on a copy of the vault:
    reading and parsing the lines, checking each record by its form, the list summary and
    search text, and storing them (records, search index, audit chain) with the commit."""
    from fieldkit.domain import validation
    from fieldkit.domain.records import searchable_text
    from fieldkit.services import forms as form_service
    from fieldkit.services import vaults
    from fieldkit.services.datafiles import read_json_lines
    from fieldkit.services.records import _prepare, _summary_values, _write_new

    vault = vaults.unlock_vault(folder, PASSPHRASE)
    try:
        with vault.read() as session:
            form = form_service.current(session, FORM_ID)
        start = time.perf_counter()
        answers = [data for _n, data in read_json_lines(lines)]
        parse = time.perf_counter() - start
        start = time.perf_counter()
        checked = [validation.check(form, data, language="en").data for data in answers]
        check = time.perf_counter() - start
        start = time.perf_counter()
        for data in checked:
            _summary_values(form, data)
            searchable_text(form, data, "en")
        texts = time.perf_counter() - start
        start = time.perf_counter()
        prepared = [_prepare(form, a, seal_with=None, language="en", clock=_clock) for a in answers]
        whole = time.perf_counter() - start
        start = time.perf_counter()
        with vault.write() as session:
            for first in range(0, n, 1000):
                _write_new(session, prepared[first : first + 1000])
        store = time.perf_counter() - start
    finally:
        vault.close()
    return {
        "read and parse the JSON lines": parse / n,
        "check each record by its form": check / n,
        "list summary (every language) and search text": texts / n,
        "all of preparing a record (the two above, defaults, id, draft text)": whole / n,
        "store: record, search index, audit entry, commit": store / n,
    }


def _clock() -> Any:
    import datetime as dt

    return dt.datetime(2026, 12, 7, tzinfo=dt.UTC)


def bench_cli_import(temp: Path, n: int, runs: int) -> list[Result]:
    template = temp / "template"
    (temp / "form.yaml").write_text(SMALL_FORM, encoding="utf-8")
    lines = temp / "records.jsonl"
    with lines.open("w", encoding="utf-8") as handle:
        for i in range(n):
            handle.write(json.dumps(_answers(i)) + "\n")
    _cli(template, "init", "--device-name", "bench")
    _cli(template, "forms", "install", str(temp / "form.yaml"))

    cli_times: list[float] = []
    plain_times: list[float] = []
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for run in range(runs):
        target = temp / f"run{run}"
        shutil.copytree(template, target)
        os.sync()
        cli_times.append(_cli(target, "record", "import", FORM_ID, str(lines)))
        if not rows:
            rows = _written_rows(target)
            assert len(rows["record"]) == n, len(rows["record"])
        shutil.rmtree(target)
        plain = temp / f"plain{run}.db"
        os.sync()
        plain_times.append(_plain_insert(plain, rows))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{plain}{suffix}").unlink(missing_ok=True)

    help_times, bare_times = [], []
    for _ in range(runs * 2):
        help_times.append(_cli(template, "--help"))
        bare_times.append(_interpreter_start(template))
    kdf = statistics.median(_key_derivation(template) for _ in range(3))
    imports = statistics.median(_imports(template) for _ in range(runs))
    stage_copy = temp / "stages"
    shutil.copytree(template, stage_copy)
    stages = _stages(stage_copy, lines, n)
    cli = statistics.median(cli_times)
    plain = statistics.median(plain_times)
    size = lines.stat().st_size / n
    return [
        Result(
            f"`fieldkit-cli record import` of {n:,} small records ({size:.0f} bytes each, "
            "5-field form), process start-up included",
            f"{n / cli:,.0f} records/s ({cli:.2f} s, median of {runs})",
            f"{n / plain:,.0f} records/s plain SQLite insert of the same rows, one transaction "
            f"({plain:.2f} s)",
            plain / cli,
            "≥ 0.2x",
            plain / cli >= 0.2,
        ),
        Result(
            "`fieldkit-cli --help` (start-up: interpreter, imports, parser)",
            f"{statistics.median(help_times) * 1000:.0f} ms median",
            f"{statistics.median(bare_times) * 1000:.0f} ms `python -c pass`",
            statistics.median(bare_times) / statistics.median(help_times),
            "-",
            None,
        ),
        Result(
            "import stage: start a fresh interpreter and import what `record import` needs",
            f"{imports * 1000:.0f} ms median",
            "-",
            None,
            "-",
            None,
        ),
        Result(
            "import stage: unlock the vault's key (Argon2id, calibrated at `init` here)",
            f"{kdf * 1000:.0f} ms median",
            "-",
            None,
            "-",
            None,
        ),
        *(
            Result(
                f"import stage, per record: {name}",
                f"{seconds * 1e6:.1f} µs ({seconds * n:.2f} s for {n:,})",
                "-",
                None,
                "-",
                None,
            )
            for name, seconds in stages.items()
        ),
    ]


def run(quick: bool = False) -> None:
    n = 5_000 if quick else 50_000
    runs = 3 if quick else 5
    with tempfile.TemporaryDirectory() as temp:
        results = bench_cli_import(Path(temp), n, runs)
    report("Command line", results)
