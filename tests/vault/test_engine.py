"""The SQLCipher engine: key first on every connection, plain SQLite refused, wrong key refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlcipher3

from fieldkit.vault import engine as engine_module
from fieldkit.vault.engine import DatabaseKeyError, PlainSQLiteError, create_vault_engine
from fieldkit.vault.keyfile import new_database_key
from fieldkit.vault.store import Vault

KEY = bytes(range(32))


def test_key_pragma_is_the_first_statement_on_every_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    traces: list[list[str]] = []

    def traced_connect(path: str) -> Any:
        conn = sqlcipher3.connect(path, check_same_thread=False)
        statements: list[str] = []
        traces.append(statements)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(engine_module, "_raw_connect", traced_connect)
    vault = Vault(tmp_path, KEY, database=tmp_path / "t.db")
    try:
        # Several connections at once, so that the pool opens more than one.
        with vault.read() as a, vault.read() as b, vault.write() as c:
            for session in (a, b, c):
                session.connection().exec_driver_sql("SELECT 1").fetchall()
    finally:
        vault.close()
    assert len(traces) >= 3
    for statements in traces:
        # Exactly one key pragma, first, with the vault's key: the sqlite+pysqlcipher dialect
        # would send a second, empty "PRAGMA key" after a custom creator.
        keyed = [s for s in statements if s.lstrip().upper().startswith("PRAGMA KEY")]
        assert keyed == [f"PRAGMA key = \"x'{KEY.hex()}'\""], keyed
        assert statements[0] == keyed[0]
        assert statements[1] == "SELECT count(*) FROM sqlite_master"
        assert statements[2] == "PRAGMA cipher_version"
        assert statements[3 : 3 + len(engine_module.PRAGMAS_AFTER_KEY)] == list(
            engine_module.PRAGMAS_AFTER_KEY
        )


def test_the_engine_is_plain_sqlite_over_the_sqlcipher3_module(tmp_path: Path) -> None:
    """security.md's dialect traps: a plain ``sqlite://`` URL whose DB-API module is sqlcipher3,
    with a queue pool (``sqlite+pysqlcipher`` would mean a singleton-per-thread pool and its own
    key handling)."""
    from sqlalchemy.pool import QueuePool

    engine = create_vault_engine(tmp_path / "t.db", KEY)
    try:
        assert engine.url.drivername == "sqlite"
        assert "pysqlcipher" not in engine.url.drivername
        assert engine.dialect.name == "sqlite"
        assert "pysqlcipher" not in type(engine.dialect).__module__
        assert engine.dialect.dbapi is sqlcipher3.dbapi2
        assert isinstance(engine.pool, QueuePool)
        raw = engine.raw_connection()
        try:
            assert isinstance(raw.driver_connection, sqlcipher3.dbapi2.Connection)
            assert not isinstance(raw.driver_connection, sqlite3.Connection)
        finally:
            raw.close()
    finally:
        engine.dispose()


def test_pragmas_are_in_effect(tmp_path: Path) -> None:
    vault = Vault(tmp_path, KEY, database=tmp_path / "t.db")
    try:
        with vault.read() as session:
            conn = session.connection()
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA temp_store").scalar() == 2  # MEMORY
            assert conn.exec_driver_sql("PRAGMA cipher_version").scalar()
    finally:
        vault.close()


def test_memory_security_is_off_on_every_connection(tmp_path: Path) -> None:
    """security.md: cipher_memory_security is set OFF explicitly (it halves write speed and
    cannot wipe the Python objects holding the same plaintext), on each pooled connection."""
    vault = Vault(tmp_path, KEY, database=tmp_path / "t.db")
    try:
        with vault.read() as a, vault.read() as b, vault.write() as c:
            settings = [
                s.connection().exec_driver_sql("PRAGMA cipher_memory_security").scalar()
                for s in (a, b, c)
            ]
            raws = {id(s.connection().connection.driver_connection) for s in (a, b, c)}
    finally:
        vault.close()
    assert len(raws) == 3
    assert settings == ["0", "0", "0"]
    assert "PRAGMA cipher_memory_security = OFF" in engine_module.PRAGMAS_AFTER_KEY


def test_a_sqlite_library_without_encryption_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain SQLite silently ignores PRAGMA key; fieldkit notices and refuses."""
    monkeypatch.setattr(
        engine_module, "_raw_connect", lambda path: sqlite3.connect(path, check_same_thread=False)
    )
    with pytest.raises(PlainSQLiteError):
        create_vault_engine(tmp_path / "plain.db", KEY)


def test_an_unencrypted_database_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "vault.db"
    plain = sqlite3.connect(path)
    plain.execute("CREATE TABLE t (x)")
    plain.commit()
    plain.close()
    before = path.read_bytes()
    with pytest.raises(PlainSQLiteError) as caught:
        create_vault_engine(path, KEY)
    assert "not encrypted" in caught.value.user_message
    assert path.read_bytes() == before


def test_a_database_with_another_key_is_refused(tmp_path: Path) -> None:
    vault = Vault(tmp_path, KEY, database=tmp_path / "t.db")
    with vault.write() as session:
        session.connection().exec_driver_sql("CREATE TABLE t (x)")
    vault.close()
    with pytest.raises(DatabaseKeyError, match="does not open with this vault's key"):
        create_vault_engine(tmp_path / "t.db", new_database_key())


def test_the_database_file_is_not_plain_sqlite(tmp_path: Path) -> None:
    vault = Vault(tmp_path, KEY, database=tmp_path / "t.db")
    with vault.write() as session:
        session.connection().exec_driver_sql("CREATE TABLE t (x)")
        session.connection().exec_driver_sql("INSERT INTO t VALUES ('canary-engine-test')")
    vault.close()
    data = (tmp_path / "t.db").read_bytes()
    assert not data.startswith(b"SQLite format 3")
    assert b"canary-engine-test" not in data


def test_a_locked_vault_refuses_sessions(tmp_path: Path) -> None:
    vault = Vault(tmp_path, KEY, database=tmp_path / "t.db")
    vault.close()
    assert not vault.is_open
    with pytest.raises(RuntimeError, match="The vault is locked"), vault.read():
        pass


def test_writers_take_the_write_lock_at_begin_and_a_locked_database_fails_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy.exc

    monkeypatch.setattr(
        engine_module,
        "_raw_connect",
        lambda path: sqlcipher3.connect(path, check_same_thread=False, timeout=0.1),
    )
    first = Vault(tmp_path, KEY, database=tmp_path / "t.db")
    second = Vault(tmp_path, KEY, database=tmp_path / "t.db")
    try:
        with first.write() as session:
            session.connection().exec_driver_sql("CREATE TABLE t (x)")
        with first.write() as session:
            session.connection().exec_driver_sql("INSERT INTO t VALUES (1)")
            with (
                pytest.raises(sqlalchemy.exc.OperationalError, match="locked"),
                second.write() as other,
            ):
                other.connection()
            with second.read() as reader:  # readers are not held up by a writer
                assert reader.connection().exec_driver_sql("SELECT count(*) FROM t").scalar() == 0
        with second.write() as other:  # the failed writer's vault works on
            other.connection().exec_driver_sql("INSERT INTO t VALUES (2)")
        with first.read() as reader:
            assert reader.connection().exec_driver_sql("SELECT count(*) FROM t").scalar() == 2
    finally:
        first.close()
        second.close()
