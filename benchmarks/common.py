"""Timing helpers, machine description and result printing shared by the benchmarks."""

from __future__ import annotations

import datetime as dt
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:  # noqa: PTH123
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{cpu}, {os.cpu_count()} cores, {system}, Python {platform.python_version()}"


def today() -> str:
    return dt.date.today().isoformat()


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def alternated_medians(
    actions: dict[str, Callable[[], object]], repeat: int, settle: Callable[[], object] = os.sync
) -> dict[str, float]:
    """The median time of each action, run in turn (A, B, C, A, B, C, ...) so that a slow or
    busy moment of a shared machine falls on all of them alike. ``settle`` runs, untimed, before
    each action: by default it flushes the page cache to disk, so that no action pays for the
    writes of the one before."""
    samples: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repeat):
        for name, action in actions.items():
            settle()
            start = time.perf_counter()
            action()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def each_seconds(actions: list[Callable[[], object]]) -> list[float]:
    samples = []
    for action in actions:
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return samples


@dataclass
class Result:
    name: str
    measured: str
    baseline: str
    ratio: float | None
    target: str
    met: bool | None
    notes: list[str] = field(default_factory=list)

    def row(self) -> str:
        ratio = f"{self.ratio:.2f}x" if self.ratio is not None else "-"
        verdict = {True: "met", False: "NOT met", None: "-"}[self.met]
        cells = [self.name, self.measured, self.baseline, ratio, self.target, verdict]
        return "| " + " | ".join(cells) + " |"


def report(title: str, results: list[Result]) -> None:
    print(f"\n### {title} ({today()})\n")
    print(f"Machine: {machine()}\n")
    print("| figure | fieldkit | baseline | ratio | target | |")
    print("|---|---|---|---|---|---|")
    for result in results:
        print(result.row())
    for result in results:
        for note in result.notes:
            print(f"\n- {result.name}: {note}")
