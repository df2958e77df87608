"""Every migration upgrades and downgrades, keeps data, and the tables match the models."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from fieldkit.vault import migrate
from fieldkit.vault.store import Vault

KEY = bytes(range(32))


def _tables(vault: Vault) -> set[str]:
    with vault.read() as session:
        rows = session.connection().exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')"
        )
        return {name for (name,) in rows}


def test_upgrade_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    vault = Vault(tmp_path, KEY, database=tmp_path / "m.db")
    try:
        assert migrate.current_revision(vault.engine) is None
        migrate.upgrade(vault.engine)
        assert migrate.current_revision(vault.engine) == migrate.head_revision()
        assert {
            "form",
            "record",
            "revision",
            "audit",
            "record_fts",
            "revision_sealed_no_update",
        } <= _tables(vault)
        migrate.downgrade(vault.engine, "base")
        assert _tables(vault) <= {"alembic_version"}
        migrate.upgrade(vault.engine)
        assert migrate.ensure_current(vault.engine) is False
    finally:
        vault.close()


def test_models_match_the_migrations(tmp_path: Path) -> None:
    vault = Vault(tmp_path, KEY, database=tmp_path / "m.db")
    try:
        migrate.upgrade(vault.engine)
        with vault.engine.connect() as connection:
            context = MigrationContext.configure(connection)
            differences = [
                d
                for d in compare_metadata(context, SQLModel.metadata)
                if not (d[0] == "remove_table" and d[1].name.startswith("record_fts"))
            ]
        assert differences == []
    finally:
        vault.close()


def test_each_migration_step_keeps_existing_rows(tmp_path: Path) -> None:
    """Walk the chain one revision at a time with a row in place; it must survive each step."""
    vault = Vault(tmp_path, KEY, database=tmp_path / "m.db")
    try:
        script_revisions = migrate.all_revisions()
        migrate.upgrade(vault.engine, script_revisions[0])
        with vault.write() as session:
            session.connection().exec_driver_sql(
                "INSERT INTO setting (key, value) VALUES ('probe', '\"kept\"')"
            )
        for revision in script_revisions[1:]:
            migrate.upgrade(vault.engine, revision)
        with vault.read() as session:
            value = (
                session.connection()
                .exec_driver_sql("SELECT value FROM setting WHERE key = 'probe'")
                .scalar()
            )
        assert value == '"kept"'
    finally:
        vault.close()


def test_upgrading_gives_an_existing_device_its_age_identity(tmp_path: Path) -> None:
    import pyrage

    vault = Vault(tmp_path, KEY, database=tmp_path / "m.db")
    try:
        migrate.upgrade(vault.engine, "0001")
        with vault.write() as session:
            session.connection().exec_driver_sql(
                "INSERT INTO device_identity (key_id, private_key, public_key, created_at, active) "
                "VALUES ('k1', x'00', x'00', '2026-01-01T00:00:00Z', 1)"
            )
        migrate.upgrade(vault.engine)
        with vault.read() as session:
            secret = (
                session.connection()
                .exec_driver_sql("SELECT age_identity FROM device_identity WHERE key_id = 'k1'")
                .scalar()
            )
        assert isinstance(secret, str) and secret.startswith("AGE-SECRET-KEY-1")
        assert str(pyrage.x25519.Identity.from_str(secret).to_public()).startswith("age1")
        migrate.downgrade(vault.engine, "0001")
        migrate.upgrade(vault.engine)
    finally:
        vault.close()


def test_upgrading_records_the_audit_head_of_an_existing_log(tmp_path: Path) -> None:
    """A vault made before 0003 gets its chain head from its log, so that it verifies, and a
    tail cut off after the upgrade is found."""
    from fieldkit.vault import audit

    vault = Vault(tmp_path, KEY, database=tmp_path / "m.db")
    try:
        migrate.upgrade(vault.engine, "0002")
        with vault.write() as session:
            audit.append_many(session, [(audit.Action.PASSPHRASE_CHANGED, None, None)] * 3)
            session.connection().exec_driver_sql(
                "DELETE FROM setting WHERE key = ?", (audit.HEAD_SETTING,)
            )  # as 0002 code left it: no head
        migrate.upgrade(vault.engine)
        with vault.read() as session:
            value = (
                session.connection()
                .exec_driver_sql("SELECT value FROM setting WHERE key = ?", (audit.HEAD_SETTING,))
                .scalar()
            )
            last = (
                session.connection()
                .exec_driver_sql("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
                .one()
            )
            assert value == audit.head_value(last[0], last[1])
            assert audit.verify(session).ok
        migrate.downgrade(vault.engine, "0002")
        with vault.read() as session:
            assert (
                session.connection()
                .exec_driver_sql(
                    "SELECT count(*) FROM setting WHERE key = ?", (audit.HEAD_SETTING,)
                )
                .scalar()
                == 0
            )
        migrate.upgrade(vault.engine)
    finally:
        vault.close()


def test_upgrading_an_empty_log_records_no_head(tmp_path: Path) -> None:
    from fieldkit.vault import audit

    vault = Vault(tmp_path, KEY, database=tmp_path / "m.db")
    try:
        migrate.upgrade(vault.engine)
        with vault.read() as session:
            assert audit.verify(session).ok
            assert (
                session.connection().exec_driver_sql("SELECT count(*) FROM setting").scalar() == 0
            )
    finally:
        vault.close()


def test_forms_installed_before_0004_are_local_forms_after_it(tmp_path: Path) -> None:
    """0004 adds where a form came from; a form installed before it is a local one, and it keeps
    its definition both ways."""
    vault = Vault(tmp_path, KEY, database=tmp_path / "m.db")
    row = ("local-form", "1", '{"id":"local-form"}', "ab" * 32, "2026-01-01T00:00:00Z")
    try:
        migrate.upgrade(vault.engine, "0003")
        with vault.write() as session:
            session.connection().exec_driver_sql(
                "INSERT INTO form (form_id, version, definition, sha256, installed_at, active) "
                "VALUES (?, ?, ?, ?, ?, 1)",
                row,
            )
        migrate.upgrade(vault.engine, "0004")
        select_row = (
            "SELECT form_id, version, definition, sha256, installed_at, signed_by, published_at "
            "FROM form"
        )
        with vault.read() as session:
            assert session.connection().exec_driver_sql(select_row).one() == (*row, None, None)
        migrate.downgrade(vault.engine, "0003")
        with vault.read() as session:
            kept = session.connection().exec_driver_sql(
                "SELECT form_id, version, definition, sha256, installed_at FROM form"
            )
            assert kept.one() == row
    finally:
        vault.close()
