"""Closing the vault (lock, panic-lock) drops the key: nothing that still holds the vault, its
engine or a session can reconnect, and the key is no longer reachable from them."""

from __future__ import annotations

import gc
import os
import threading
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from fieldkit.errors import ConflictError
from fieldkit.vault import engine as engine_module
from fieldkit.vault.store import Vault, VaultLockedError


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every raw sqlcipher connection made, in order."""
    made: list[Any] = []

    def counted(path: str) -> Any:
        conn = sqlcipher3.connect(path, check_same_thread=False)
        made.append(conn)
        return conn

    monkeypatch.setattr(engine_module, "_raw_connect", counted)
    return made


def _reachable(*roots: object) -> Iterator[object]:
    """Every object reachable from ``roots`` through instances, containers, closures and bound
    methods; never through modules, classes or a function's globals (which reach everything)."""
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, type | types.ModuleType | types.FrameType):
            continue
        seen.add(id(obj))
        yield obj
        if isinstance(obj, types.FunctionType):
            stack.extend(cell.cell_contents for cell in obj.__closure__ or () if _filled(cell))
            stack.extend(obj.__defaults__ or ())
            continue
        stack.extend(gc.get_referents(obj))


def _filled(cell: Any) -> bool:
    try:
        cell.cell_contents  # noqa: B018
    except ValueError:
        return False
    return True


def _holds(obj: object, key: bytes) -> bool:
    if isinstance(obj, bytes | bytearray):
        return key in bytes(obj)
    if isinstance(obj, str):
        return key.hex() in obj
    return False


def test_after_close_nothing_reconnects_and_the_key_is_gone(
    tmp_path: Path, connects: list[Any]
) -> None:
    key = os.urandom(32)
    vault = Vault(tmp_path, key, database=tmp_path / "t.db")
    engine = vault.engine
    creator = engine.pool._creator  # type: ignore[attr-defined]
    factory = sessionmaker(bind=engine)
    with vault.write() as session:
        session.connection().exec_driver_sql("CREATE TABLE t (x)")
    early = Session(engine)  # opened before the lock, no connection yet
    used = Session(engine)
    used.execute(text("SELECT 1")).all()
    used.commit()  # gives its connection back: the next statement needs a new one
    # The test's own check finds the key while the vault is open.
    assert any(_holds(obj, key) for obj in _reachable(vault, engine))
    made = len(connects)

    vault.close()

    assert not vault.is_open
    attempts: list[Any] = [
        lambda: vault.engine,
        lambda: vault.read().__enter__(),
        lambda: vault.write().__enter__(),
        lambda: vault.signing_key(lambda: pytest.fail("loaded a signing key")),
        lambda: early.execute(text("SELECT 1")),
        lambda: used.execute(text("SELECT 1")),
        lambda: factory().execute(text("SELECT 1")),
        lambda: Session(engine).execute(text("SELECT 1")),
        engine.connect,
        engine.raw_connection,
        creator,
    ]
    for attempt in attempts:
        with pytest.raises(VaultLockedError) as caught:
            attempt()
        assert isinstance(caught.value, ConflictError)
        assert caught.value.user_message == "The vault is locked."
    assert len(connects) == made, "a locked vault opened a new connection"
    assert not any(_holds(obj, key) for obj in _reachable(vault, engine, creator, factory))
    vault.close()  # twice is harmless


def test_a_connection_in_use_at_close_finishes_its_work_and_is_closed_on_return(
    tmp_path: Path, connects: list[Any]
) -> None:
    key = os.urandom(32)
    vault = Vault(tmp_path, key, database=tmp_path / "t.db")
    with vault.write() as session:
        session.connection().exec_driver_sql("CREATE TABLE t (x)")
    inside, locked, done = threading.Event(), threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def save() -> None:
        try:
            with vault.write() as session:
                session.connection().exec_driver_sql("INSERT INTO t VALUES (1)")
                inside.set()
                assert locked.wait(10)
                session.connection().exec_driver_sql("INSERT INTO t VALUES (2)")
        except BaseException as exc:  # reported to the test thread
            failures.append(exc)
        finally:
            done.set()

    worker = threading.Thread(target=save)
    worker.start()
    assert inside.wait(10)
    vault.close()
    locked.set()
    assert done.wait(10)
    worker.join()
    assert failures == []
    # Every connection ever made is closed now, the one in use at the lock included.
    for conn in connects:
        with pytest.raises(sqlcipher3.ProgrammingError, match="closed database"):
            conn.execute("SELECT 1")
    reopened = Vault(tmp_path, key, database=tmp_path / "t.db")
    try:
        with reopened.read() as session:
            rows = session.connection().exec_driver_sql("SELECT x FROM t ORDER BY x").all()
    finally:
        reopened.close()
    assert [row[0] for row in rows] == [1, 2]  # the save in flight was not cut off
