"""Installer figures: the size of each Linux installer and of the installed folder, and the start
of the packaged app against the same app started from the virtual environment, in the same run.

Uses the build of ``make package`` (``build/package/dist/fieldkit`` and ``dist/``), building it
first when there is none. Start-up is measured two ways, alternated run by run (A, B, A, B, ...):

- to the first window: from launching the program until the unlock window is on screen (the app
  prints a marker when ``FIELDKIT_BENCH_MARKER`` is set, then quits; offscreen platform);
- to an early exit: ``fieldkit-cli --version`` (the interpreter and fieldkit's command-line
  modules loaded, nothing opened).

The very first start of the packaged app after the build is also given: its files were just
written, so the page cache is warm, but nothing of it has run before.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_gui import _isolated_env, _until_line
from benchmarks.common import Result, report

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build" / "package" / "dist" / "fieldkit"
DIST = ROOT / "dist"


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _installers() -> list[Path]:
    return sorted([*DIST.glob("fieldkit_*.deb"), *DIST.glob("fieldkit-*-linux-*.tar.gz")])


def _ensure_build() -> None:
    if not (BUILD / "fieldkit").exists() or len(_installers()) < 2:
        subprocess.run([sys.executable, str(ROOT / "packaging" / "build.py")], check=True)


def _exit_seconds(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - start


def run(quick: bool = False) -> None:
    from fieldkit.app import BENCH_MARKER

    _ensure_build()
    runs = 3 if quick else 9
    results: list[Result] = []
    for installer in _installers():
        results.append(
            Result(f"installer size, {installer.name}", f"{installer.stat().st_size / 1e6:.1f} MB",
                   f"{_folder_size(BUILD) / 1e6:.0f} MB installed", None, "-", None)
        )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="fieldkit-bench-") as tmp:
        home = Path(tmp)
        env = _isolated_env(home) | {"QT_QPA_PLATFORM": "offscreen"}
        vault = str(home / "vault")
        packaged = [str(BUILD / "fieldkit"), "--vault", vault]
        from_venv = [sys.executable, "-m", "fieldkit.app", "--vault", vault]
        first = _until_line(packaged, env, BENCH_MARKER)
        _until_line(from_venv, env, BENCH_MARKER)
        window: dict[str, list[float]] = {"packaged": [], "venv": []}
        version: dict[str, list[float]] = {"packaged": [], "venv": []}
        cli_packaged = [str(BUILD / "fieldkit-cli"), "--version"]
        cli_venv = [str(Path(sys.executable).parent / "fieldkit-cli"), "--version"]
        for _ in range(runs):
            os.sync()
            window["packaged"].append(_until_line(packaged, env, BENCH_MARKER))
            os.sync()
            window["venv"].append(_until_line(from_venv, env, BENCH_MARKER))
            version["packaged"].append(_exit_seconds(cli_packaged, env))
            version["venv"].append(_exit_seconds(cli_venv, env))
    packaged_s, venv_s = statistics.median(window["packaged"]), statistics.median(window["venv"])
    results.append(
        Result(
            "start to the unlock window, packaged app (offscreen)",
            f"{packaged_s:.2f} s median of {runs}; first start {first:.2f} s",
            f"{venv_s:.2f} s from the virtual environment",
            venv_s / packaged_s,
            "≤ 1.5 s",
            packaged_s <= 1.5,
        )
    )
    cli_p, cli_v = statistics.median(version["packaged"]), statistics.median(version["venv"])
    results.append(
        Result(
            "fieldkit-cli --version, packaged",
            f"{cli_p * 1000:.0f} ms median of {runs}",
            f"{cli_v * 1000:.0f} ms from the virtual environment",
            cli_v / cli_p,
            "-",
            None,
        )
    )
    report("Installers", results)


if __name__ == "__main__":
    run()
