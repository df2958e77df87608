"""The fault proxy itself, in front of a plain TCP echo server: it forwards bytes untouched and
counts them, cuts at its seeded offsets in either direction, stalls and throttles."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tests.sync.fault_proxy import Direction, FaultProxy, Faults, Plan


@pytest.fixture
def echo() -> Iterator[tuple[str, int]]:
    """A TCP server that sends every byte back; ``received`` holds what it got."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            while data := conn.recv(65536):
                conn.sendall(data)

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()
    stop.set()
    thread.join()
    listener.close()


def _exchange(port: int, data: bytes, timeout: float = 10.0) -> tuple[bytes, bool]:
    """Send ``data`` and read the echo; what came back and whether the link broke."""
    received = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sender = threading.Thread(target=_send_quietly, args=(sock, data), daemon=True)
            sender.start()
            while len(received) < len(data):
                chunk = sock.recv(65536)
                if not chunk:
                    return bytes(received), True
                received += chunk
            sender.join()
        except OSError:
            return bytes(received), True
    return bytes(received), False


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    with contextlib.suppress(OSError):
        sock.sendall(data)


def test_bytes_pass_untouched_and_are_counted(echo: tuple[str, int]) -> None:
    data = os.urandom(300_000)
    with FaultProxy(echo) as proxy:
        back, broken = _exchange(proxy.port, data)
        time.sleep(0.1)
    assert not broken and back == data
    assert proxy.counters.forwarded == {Direction.UP: len(data), Direction.DOWN: len(data)}
    assert proxy.counters.connections == 1 and proxy.counters.cuts == 0


def test_a_cut_falls_at_the_seeded_offset_in_either_direction(echo: tuple[str, int]) -> None:
    data = os.urandom(200_000)
    faults = Faults(seed=11, cut=1.0, cut_up_within=150_000, cut_down_within=150_000)
    with FaultProxy(echo, faults) as proxy:
        outcomes = [_exchange(proxy.port, data) for _ in range(8)]
    plans = proxy.plans
    assert len(plans) == 8 and all(plan.cut is not None for plan in plans)
    assert {plan.cut[0] for plan in plans if plan.cut} == {Direction.UP, Direction.DOWN}
    for plan, (back, broken) in zip(plans, outcomes, strict=True):
        assert plan.cut is not None and broken
        # The echo can only return what went up, and nothing past a downward cut.
        assert len(back) <= plan.cut[1] and back == data[: len(back)]
    assert proxy.counters.cuts == 8
    assert proxy.counters.cut_directions == {Direction.UP, Direction.DOWN}
    again = FaultProxy(echo, faults)  # the same seed draws the same fates
    try:
        assert [again._plan() for _ in range(8)] == plans
    finally:
        again.stop()


def test_a_cut_towards_the_server_lets_exactly_its_offset_through(
    echo: tuple[str, int],
) -> None:
    data = os.urandom(100_000)
    with FaultProxy(echo) as proxy:
        proxy.cut_once(Direction.UP, 12_345)
        back, broken = _exchange(proxy.port, data)
        time.sleep(0.1)
        assert broken and proxy.counters.forwarded[Direction.UP] == 12_345
        assert back == data[: len(back)] and len(back) <= 12_345
        back, broken = _exchange(proxy.port, data)  # once only: the next connection is whole
    assert not broken and back == data


def test_a_stall_holds_the_bytes_then_lets_them_go(echo: tuple[str, int]) -> None:
    data = os.urandom(50_000)
    faults = Faults(stall=1.0, stall_within=10_000, stall_seconds=1.0)
    with FaultProxy(echo, faults) as proxy:
        start = time.monotonic()
        back, broken = _exchange(proxy.port, data)
        elapsed = time.monotonic() - start
    assert not broken and back == data
    assert proxy.counters.stalls == 1 and elapsed >= 1.0
    assert proxy.plans[0] == Plan(stall=proxy.plans[0].stall)


def test_throttling_limits_the_bytes_per_second(echo: tuple[str, int]) -> None:
    data = os.urandom(64 * 1024)
    with FaultProxy(echo, Faults(rate=128 * 1024)) as proxy:
        start = time.monotonic()
        back, broken = _exchange(proxy.port, data)
        elapsed = time.monotonic() - start
    assert not broken and back == data
    assert elapsed >= 0.45  # 64 KiB up at 128 KiB/s, and down again alongside


def test_an_answer_after_a_given_number_of_bytes_is_lost(echo: tuple[str, int]) -> None:
    data = os.urandom(10_000)
    with FaultProxy(echo) as proxy:
        _exchange(proxy.port, b"hello")  # before: answered
        time.sleep(0.1)  # its bytes counted (after they were sent on)
        proxy.lose_answer_after(len(data))
        back, broken = _exchange(proxy.port, data)
        time.sleep(0.1)
        # All of it went up; what came back stops before the end (bytes echoed while the data
        # was still going up may pass, none after).
        assert broken and len(back) < len(data) and back == data[: len(back)]
        assert proxy.counters.forwarded[Direction.UP] == len(data) + 5
        back, broken = _exchange(proxy.port, data)  # once only
    assert not broken and back == data
    assert proxy.counters.cuts == 1 and proxy.counters.cut_directions == {Direction.DOWN}
