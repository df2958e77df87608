"""Run the benchmarks: ``python -m benchmarks [NAME ...] [--quick]``.

Each prints a Markdown table (figure, fieldkit, baseline, ratio, target) with the date and the
machine, for ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import importlib

SUITES = {
    "vault": "benchmarks.bench_vault",
    "gui": "benchmarks.bench_gui",
    "bundle": "benchmarks.bench_bundle",
    "hq": "benchmarks.bench_hq",
    "cli": "benchmarks.bench_cli",
    "sync": "benchmarks.bench_sync",
    "export": "benchmarks.bench_export",
    "indicators": "benchmarks.bench_indicators",
    "records": "benchmarks.bench_records",
    "workspace": "benchmarks.bench_workspace",
    "package": "benchmarks.bench_package",
}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"suites: {', '.join(SUITES)}")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    args = parser.parse_args()
    unknown = set(args.names) - set(SUITES)
    if unknown:
        parser.error(f"unknown suite: {', '.join(sorted(unknown))}")
    for name in args.names or list(SUITES):
        importlib.import_module(SUITES[name]).run(quick=args.quick)


if __name__ == "__main__":
    main()
