"""Desktop app figures: cold start to the unlock window, and unlock to a usable list of 100,000.

(a) Cold start: from launching ``python -m fieldkit.app --vault DIR`` (offscreen) until the unlock
window is on screen (the app prints a marker line when ``FIELDKIT_BENCH_MARKER`` is set, then
quits), against a bare PySide6 program that shows one label, in the same run. Medians of several
runs, alternating the two.

(b) Unlock to a usable list: in this process, through the real unlock page, from the moment the
key derivation ends (the key file unwrapped) until the first page of the record list is in the
view and the number of records is known. The baseline is the floor under it: the same two
queries (count and first page) through the services, without the GUI.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.bench_vault import FORM, PASSPHRASE, _clock, sample_answers
from benchmarks.common import Result, median_seconds, report

os.environ["QT_QPA_PLATFORM"] = "offscreen"
ROOT = Path(__file__).resolve().parents[1]
MARKER_ENV = "FIELDKIT_BENCH_MARKER"

BASELINE_PROGRAM = (
    "import sys\n"
    "from PySide6.QtCore import QTimer\n"
    "from PySide6.QtWidgets import QApplication, QLabel\n"
    "app = QApplication(sys.argv)\n"
    "label = QLabel('fieldkit'); label.resize(1100, 720); label.show()\n"
    "QTimer.singleShot(0, lambda: (print('shown', flush=True), app.quit()))\n"
    "app.exec()\n"
)


def _isolated_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_STATE_HOME": str(home / "state"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            MARKER_ENV: "1",
        }
    )
    return env


def _until_line(command: list[str], env: dict[str, str], marker: str) -> float:
    """Seconds from launching ``command`` until it prints a line containing ``marker``."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT
    )
    assert process.stdout is not None
    for line in process.stdout:
        if marker in line:
            elapsed = time.perf_counter() - start
            break
    else:
        raise RuntimeError(f"{command[:3]} ended without printing {marker!r}")
    process.wait(timeout=60)
    return elapsed


def bench_cold_start(folder: Path, home: Path, runs: int) -> list[Result]:
    from fieldkit.app import BENCH_MARKER

    env = _isolated_env(home)
    app = [sys.executable, "-m", "fieldkit.app", "--vault", str(folder)]
    bare = [sys.executable, "-c", BASELINE_PROGRAM]
    _until_line(app, env, BENCH_MARKER)  # warm the file cache for both
    _until_line(bare, env, "shown")
    app_times, bare_times = [], []
    for _ in range(runs):
        app_times.append(_until_line(app, env, BENCH_MARKER))
        bare_times.append(_until_line(bare, env, "shown"))
    fieldkit_s, bare_s = statistics.median(app_times), statistics.median(bare_times)
    return [
        Result(
            "cold start to the unlock window (offscreen)",
            f"{fieldkit_s:.2f} s median of {runs}",
            f"{bare_s:.2f} s bare PySide6 program showing a label",
            bare_s / fieldkit_s,
            "≤ 1.5 s",
            fieldkit_s <= 1.5,
        )
    ]


def build_records(folder: Path, total: int) -> None:
    """``total`` drafts of the market form, written in batches as bench_vault does."""
    from fieldkit.services import forms as form_service
    from fieldkit.services import vaults
    from fieldkit.services.records import _prepare, _write_new

    vault = vaults.create_vault(folder, PASSPHRASE)
    answers = sample_answers()
    try:
        for start in range(0, total, 10_000):
            with vault.write() as session:
                form = form_service.current(session, FORM)
                prepared = [
                    _prepare(
                        form,
                        answers | {"narrative": f"Observation {start + i}."},
                        seal_with=None,
                        language="en",
                        clock=_clock,
                    )
                    for i in range(min(10_000, total - start))
                ]
                _write_new(session, prepared)
    finally:
        vault.close()


def _wait(condition: Callable[[], bool], seconds: float = 60) -> None:
    from PySide6.QtCore import QCoreApplication

    deadline = time.perf_counter() + seconds
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the window did not get there")
        QCoreApplication.processEvents()


def _list_ready(window: Any) -> bool:
    """The workspace shows, the forms are known and the first page with the count is in."""
    workspace = window.workspace
    return (
        workspace is not None
        and bool(workspace.offered_forms())
        and not workspace.records.model.loading
    )


def bench_unlock_to_list(folder: Path, total: int, runs: int) -> list[Result]:
    from PySide6.QtWidgets import QApplication

    from fieldkit.app import build
    from fieldkit.gui.unlock import UnlockPage
    from fieldkit.services import preferences, records, vaults
    from fieldkit.services.records import RecordFilter
    from fieldkit.vault import keyfile

    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    desktop = build(app, folder, preferences.load())
    window = desktop.window
    window.resize(1100, 720)
    window.start()
    window.show()
    derived: list[float] = []
    real_unwrap = keyfile.KeyFile.unwrap

    def timed_unwrap(self: Any, passphrase: str) -> bytes:
        key = real_unwrap(self, passphrase)
        derived.append(time.perf_counter())
        return key

    keyfile.KeyFile.unwrap = timed_unwrap  # type: ignore[method-assign]
    samples = []
    try:
        for _ in range(runs):
            page = window.page
            assert isinstance(page, UnlockPage)
            _wait(lambda page=page: not page.working)
            page.passphrase.setText(PASSPHRASE)
            page.submit()
            _wait(lambda: _list_ready(window))
            app.processEvents()  # paint the first page
            samples.append(time.perf_counter() - derived[-1])
            workspace = window.workspace
            assert workspace is not None
            assert workspace.records.model.total == total
            assert workspace.records.model.rowCount() == 200
            window.lock()
    finally:
        keyfile.KeyFile.unwrap = real_unwrap  # type: ignore[method-assign]
        window.close()
        desktop.session.close()
    vault = vaults.unlock_vault(folder, PASSPHRASE)
    try:
        floor = median_seconds(
            lambda: (
                records.count(vault, RecordFilter()),
                records.list_items(vault, RecordFilter(), 200, 0),
            ),
            max(runs, 5),
        )
    finally:
        vault.close()
    first, warm = samples[0], statistics.median(samples[1:] or samples)
    return [
        Result(
            f"unlock to a usable list of {total:,} records (after key derivation)",
            f"{warm * 1000:.0f} ms median of {max(1, runs - 1)}; first {first * 1000:.0f} ms",
            f"{floor * 1000:.0f} ms: count and first 200 through the services, no GUI",
            floor / warm,
            "≤ 1 s",
            first <= 1.0 and warm <= 1.0,
            [
                "measured from the end of the key derivation (key file unwrapped) to the first "
                "page of 200 rows in the view with the count known; includes opening the "
                "database, the form list, building the workspace and painting."
            ],
        )
    ]


def run(quick: bool = False) -> None:
    total = 10_000 if quick else 100_000
    runs = 3 if quick else 7
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp)
        folder = root / "vault"
        build_records(folder, total)
        results = bench_cold_start(folder, root / "home", runs)
        results += bench_unlock_to_list(folder, total, runs)
    report("Desktop app", results)


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
