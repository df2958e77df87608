"""The task runner: work off the main thread, results and failures back on it, cancellation."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from PySide6.QtCore import QObject

from fieldkit.errors import InvalidInputError
from fieldkit.gui.tasks import TaskRunner


@pytest.fixture
def runner() -> Any:
    made = TaskRunner()
    yield made
    made.cancel_all()
    made.wait()


def test_work_runs_in_a_worker_and_the_result_comes_back_on_the_main_thread(
    qtbot: Any, runner: TaskRunner
) -> None:
    seen: dict[str, Any] = {}

    def work() -> int:
        seen["worker"] = threading.current_thread()
        return 42

    def done(value: int) -> None:
        seen["value"] = value
        seen["callback"] = threading.current_thread()

    with qtbot.waitSignal(runner.busy_changed, timeout=5000, check_params_cb=lambda b: not b):
        runner.run("answer", work, done)
    assert seen["value"] == 42
    assert seen["worker"] is not threading.main_thread()
    assert seen["callback"] is threading.main_thread()
    assert not runner.busy


def test_a_failure_reaches_on_error_or_the_failed_signal(qtbot: Any, runner: TaskRunner) -> None:
    errors: list[BaseException] = []

    def broken() -> None:
        raise InvalidInputError("nope")

    runner.run("broken", broken, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert isinstance(errors[0], InvalidInputError)
    with qtbot.waitSignal(runner.failed, timeout=5000) as caught:
        runner.run("broken again", broken)
    assert caught.args[0] == "broken again"
    assert isinstance(caught.args[1], InvalidInputError)


def test_cancelled_results_are_dropped_and_orphaned_ones_discarded(
    qtbot: Any, runner: TaskRunner
) -> None:
    release = threading.Event()
    delivered: list[object] = []
    discarded: list[object] = []
    runner.run(
        "slow", lambda: release.wait(5) and "late", delivered.append, discard=discarded.append
    )
    runner.cancel_all()
    assert not runner.busy
    release.set()
    qtbot.waitUntil(lambda: bool(discarded), timeout=5000)
    assert delivered == []
    assert discarded == ["late"]


def test_callbacks_of_a_deleted_owner_are_not_called(qtbot: Any, runner: TaskRunner) -> None:
    release = threading.Event()
    owner = QObject()
    delivered: list[object] = []
    discarded: list[object] = []
    runner.run(
        "slow",
        lambda: release.wait(5) and 1,
        delivered.append,
        owner=owner,
        discard=discarded.append,
    )
    import shiboken6

    shiboken6.delete(owner)
    release.set()
    qtbot.waitUntil(lambda: not runner.busy, timeout=5000)
    assert delivered == []
    assert discarded == [1]


def test_progress_reaches_the_main_thread_throttled_and_always_ends_at_the_total(
    qtbot: Any, runner: TaskRunner
) -> None:
    heard: list[tuple[int, int, threading.Thread]] = []
    results: list[str] = []

    def work(report: Any) -> str:
        for done in range(1, 100_001):
            report(done, 100_000)
        return "written"

    runner.run_with_progress(
        "export",
        work,
        lambda done, total: heard.append((done, total, threading.current_thread())),
        results.append,
    )
    qtbot.waitUntil(lambda: results == ["written"], timeout=5000)
    assert 1 <= len(heard) < 1000  # 100,000 reports, throttled to a few signals
    assert heard[-1][:2] == (100_000, 100_000)
    assert all(thread is threading.main_thread() for _d, _t, thread in heard)
    assert [done for done, _t, _th in heard] == sorted(done for done, _t, _th in heard)


def test_progress_of_a_deleted_owner_is_not_delivered(qtbot: Any, runner: TaskRunner) -> None:
    import shiboken6

    release = threading.Event()
    owner = QObject()
    heard: list[int] = []

    def work(report: Any) -> None:
        release.wait(5)
        report(1, 1)

    runner.run_with_progress("slow", work, lambda done, _total: heard.append(done), owner=owner)
    shiboken6.delete(owner)
    release.set()
    qtbot.waitUntil(lambda: not runner.busy, timeout=5000)
    assert heard == []
