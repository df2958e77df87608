"""A TCP proxy for tests that puts a bad network between a device and HQ's server.

It listens on 127.0.0.1 and forwards every byte to the real ``fieldkit-hq serve`` behind it,
untouched (TLS passes through: the device still sees, and pins, HQ's own certificate). On the
way it can, as :class:`Faults` says:

- cut a connection at a byte offset drawn at random (from a seeded generator) in either
  direction: the bytes before the offset are forwarded, then both sides are reset;
- stall a connection: hold its bytes at a random offset for a while, then go on;
- throttle: forward at most so many bytes per second in each direction (shared by every
  connection, as one slow link would be);
- cut once, when the bytes forwarded one way reach a given total (:meth:`FaultProxy.cut_once`),
  for a cut at a known point of an upload; or lose the first answer that follows a given
  number of bytes sent (:meth:`FaultProxy.lose_answer_after`).

Each connection's fate is drawn when it is accepted, from ``random.Random(seed)``, so a run
with the same seed and the same sequence of connections meets the same faults. The proxy counts
the bytes it forwarded each way, the connections, the cuts and the stalls.
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum
from types import TracebackType

BLOCK = 64 * 1024


class Direction(StrEnum):
    UP = "up"
    """From the device to the server."""
    DOWN = "down"
    """From the server to the device."""


@dataclass(frozen=True)
class Faults:
    seed: int = 0
    cut: float = 0.0
    """The chance that a connection is cut (once, in a direction drawn at random)."""
    cut_up_within: int = 256 * 1024
    """A cut towards the server falls at a byte offset drawn from 0 to this."""
    cut_down_within: int = 4 * 1024
    """A cut towards the device falls at a byte offset drawn from 0 to this (answers are small)."""
    stall: float = 0.0
    """The chance that a connection stalls (once, in a direction drawn at random)."""
    stall_seconds: float = 1.0
    stall_within: int = 64 * 1024
    """A stall falls at a byte offset drawn from 0 to this, in its direction."""
    rate: int | None = None
    """Bytes per second in each direction, for all connections together; None: no limit."""


@dataclass(frozen=True)
class Plan:
    """What the proxy does to one connection: byte offsets within that connection's stream."""

    cut: tuple[Direction, int] | None = None
    stall: tuple[Direction, int, float] | None = None


@dataclass
class Counters:
    forwarded: dict[Direction, int] = field(
        default_factory=lambda: {Direction.UP: 0, Direction.DOWN: 0}
    )
    connections: int = 0
    cuts: int = 0
    stalls: int = 0
    cut_directions: set[Direction] = field(default_factory=set)


class _Throttle:
    """A shared pace: ``take(n)`` returns once ``n`` more bytes fit in the rate."""

    def __init__(self, rate: int, stopping: threading.Event) -> None:
        self.rate = rate
        self._next = time.monotonic()
        self._lock = threading.Lock()
        self._stopping = stopping

    def take(self, n: int) -> None:
        with self._lock:
            now = time.monotonic()
            self._next = max(self._next, now) + n / self.rate
            due = self._next
        self._stopping.wait(max(0.0, due - time.monotonic()))


class _Connection:
    def __init__(self, proxy: FaultProxy, device: socket.socket, plan: Plan) -> None:
        self.proxy = proxy
        self.device = device
        self.plan = plan
        self.server: socket.socket | None = None
        self.offsets = {Direction.UP: 0, Direction.DOWN: 0}
        self._closed = threading.Event()
        self._lock = threading.Lock()

    def run(self) -> None:
        try:
            self.server = socket.create_connection(self.proxy.upstream, timeout=10)
            self.server.settimeout(None)
        except OSError:
            self.close(reset=True)
            return
        pumps = [
            threading.Thread(target=self._pump, args=(d,), daemon=True)
            for d in (Direction.UP, Direction.DOWN)
        ]
        for pump in pumps:
            pump.start()
        for pump in pumps:
            pump.join()
        self.close(reset=False)

    def _pump(self, direction: Direction) -> None:
        source, target = (
            (self.device, self.server) if direction is Direction.UP else (self.server, self.device)
        )
        assert target is not None and source is not None
        throttle = self.proxy.throttles.get(direction)
        block = BLOCK if throttle is None else max(1024, min(BLOCK, throttle.rate // 20))
        try:
            while not self._closed.is_set():
                data = source.recv(block)
                if not data:
                    with contextlib.suppress(OSError):
                        target.shutdown(socket.SHUT_WR)
                    return
                if throttle is not None:
                    throttle.take(len(data))
                if not self._forward(direction, data, target):
                    return
        except OSError:
            self.close(reset=True)

    def _forward(self, direction: Direction, data: bytes, target: socket.socket) -> bool:
        """Send ``data`` on, meeting this connection's stall and cut on the way; False once the
        connection is cut."""
        start = self.offsets[direction]
        end = start + len(data)
        stall = self.plan.stall
        if stall is not None and stall[0] is direction and start <= stall[1] < end:
            before = stall[1] - start
            self._send(direction, data[:before], target)
            self.proxy.count(stalls=1)
            self.proxy.stopping.wait(stall[2])
            data, start = data[before:], stall[1]
        cut_at = self._cut_offset(direction, start, start + len(data))
        if cut_at is not None:
            self._send(direction, data[: cut_at - start], target)
            self.proxy.count(cut=direction)
            self.close(reset=True)
            return False
        self._send(direction, data, target)
        return True

    def _cut_offset(self, direction: Direction, start: int, end: int) -> int | None:
        cut = self.plan.cut
        if cut is not None and cut[0] is direction and start <= cut[1] < end:
            return cut[1]
        total = self.proxy.take_cut_once(direction, end - start)
        return None if total is None else start + total

    def _send(self, direction: Direction, data: bytes, target: socket.socket) -> None:
        if data:
            # Counted before they leave: an answer to these bytes, coming back the other way,
            # must find them counted (lose_answer_after).
            self.offsets[direction] += len(data)
            self.proxy.count(direction=direction, forwarded=len(data))
            target.sendall(data)

    def close(self, *, reset: bool) -> None:
        with self._lock:
            if self._closed.is_set():
                return
            self._closed.set()
        for sock in (self.device, self.server):
            if sock is None:
                continue
            with contextlib.suppress(OSError):
                if reset:  # RST, as a dropped link looks to the peer, not a polite FIN
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
        self.proxy.forget(self)


class FaultProxy:
    """``with FaultProxy(("127.0.0.1", port), Faults(cut=0.3, seed=7)) as proxy:`` and point
    the device at ``proxy.url``."""

    def __init__(self, upstream: tuple[str, int], faults: Faults | None = None) -> None:
        self.upstream = upstream
        self.stopping = threading.Event()
        self.counters = Counters()
        self.plans: list[Plan] = []
        self.throttles: dict[Direction, _Throttle] = {}
        self._lock = threading.Lock()
        self._connections: set[_Connection] = set()
        self._cut_once: dict[Direction, int] = {}
        self._lose_answer: int | None = None
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self.set_faults(faults or Faults())

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def set_faults(self, faults: Faults) -> None:
        """Faults for the connections accepted from now on (the generator starts afresh)."""
        with self._lock:
            self.faults = faults
            self._random = random.Random(faults.seed)
            self.throttles = (
                {}
                if faults.rate is None
                else {d: _Throttle(faults.rate, self.stopping) for d in Direction}
            )

    def cut_once(self, direction: Direction, total: int) -> None:
        """Cut the connection that carries the byte number ``total`` (counted from now) in
        ``direction``; once."""
        with self._lock:
            self._cut_once[direction] = self.counters.forwarded[direction] + total

    def lose_answer_after(self, total: int) -> None:
        """Once ``total`` more bytes went towards the server, cut the connection that next
        carries bytes towards the device, before they pass (an answer lost); once."""
        with self._lock:
            self._lose_answer = self.counters.forwarded[Direction.UP] + total

    def take_cut_once(self, direction: Direction, pending: int) -> int | None:
        """If a one-time cut falls within the next ``pending`` bytes: how many of them pass."""
        with self._lock:
            lose = self._lose_answer
            if (
                direction is Direction.DOWN
                and lose is not None
                and self.counters.forwarded[Direction.UP] >= lose
            ):
                self._lose_answer = None
                return 0
            due = self._cut_once.get(direction)
            if due is None:
                return None
            room = due - self.counters.forwarded[direction]
            if room >= pending:
                return None
            del self._cut_once[direction]
            return max(0, room)

    def count(
        self,
        *,
        direction: Direction | None = None,
        forwarded: int = 0,
        cut: Direction | None = None,
        stalls: int = 0,
    ) -> None:
        with self._lock:
            if direction is not None:
                self.counters.forwarded[direction] += forwarded
            if cut is not None:
                self.counters.cuts += 1
                self.counters.cut_directions.add(cut)
            self.counters.stalls += stalls

    def forget(self, connection: _Connection) -> None:
        with self._lock:
            self._connections.discard(connection)

    def _plan(self) -> Plan:
        faults, draw = self.faults, self._random
        cut = stall = None
        if faults.cut and draw.random() < faults.cut:
            direction = draw.choice([Direction.UP, Direction.DOWN])
            within = faults.cut_up_within if direction is Direction.UP else faults.cut_down_within
            cut = (direction, draw.randint(0, within))
        if faults.stall and draw.random() < faults.stall:
            direction = draw.choice([Direction.UP, Direction.DOWN])
            stall = (direction, draw.randint(0, faults.stall_within), faults.stall_seconds)
        return Plan(cut, stall)

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                device, _address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            device.settimeout(None)
            with self._lock:
                plan = self._plan()
                self.plans.append(plan)
                self.counters.connections += 1
                connection = _Connection(self, device, plan)
                self._connections.add(connection)
            threading.Thread(target=connection.run, daemon=True).start()

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self._listener.close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            connection.close(reset=True)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()
