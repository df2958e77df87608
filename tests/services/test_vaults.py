"""Vault creation, unlocking, passphrase change, device identity, where the vault lives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import col, select

from fieldkit.errors import ConflictError, InvalidInputError
from fieldkit.services import locations, vaults
from fieldkit.vault import audit, keyfile, rotation
from fieldkit.vault.engine import DATABASE_FILE, DatabaseKeyError
from fieldkit.vault.keyfile import WrongPassphraseError
from fieldkit.vault.models import AuditRow
from tests.conftest import PASSPHRASE

NEW = "copper wren glacier ninety lamp"


def test_create_makes_a_complete_vault(vault_dir: Path) -> None:
    vault = vaults.create_vault(vault_dir, PASSPHRASE, device_name="  laptop 4  ")
    try:
        identity = vaults.device_identity(vault)
        assert identity.device_name == "laptop 4"
        assert len(identity.key_id) == 32
        with vault.read() as session:
            report = audit.verify(session)
            actions = [row.action for row in session.exec(select(AuditRow))]
        assert report.ok
        assert actions[0] == "vault_created"
        assert actions.count("form_installed") == 2
    finally:
        vault.close()
    assert sorted(p.name for p in vault_dir.iterdir()) == [
        "unlock-attempts.json",
        DATABASE_FILE,
        "vault.key",
    ]


def test_create_refuses_an_existing_vault_and_weak_passphrases(vault_dir: Path) -> None:
    with pytest.raises(InvalidInputError, match="Use at least"):
        vaults.create_vault(vault_dir, "short")
    assert not vault_dir.exists() or not any(vault_dir.iterdir())
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    with pytest.raises(ConflictError, match="already exists"):
        vaults.create_vault(vault_dir, PASSPHRASE)


def test_a_folder_that_cannot_be_made_is_named_with_the_reason(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"not a folder")
    with pytest.raises(InvalidInputError) as caught:
        vaults.create_vault(blocker / "sub", PASSPHRASE)
    message = caught.value.user_message
    assert message.startswith(f"Cannot create the vault folder {blocker / 'sub'}:")
    assert "a part of the path is a file, not a folder" in message
    with pytest.raises(InvalidInputError, match="it is a file, not a folder"):
        vaults.create_vault(blocker, PASSPHRASE)
    assert blocker.read_bytes() == b"not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_a_database_without_its_key_file_is_not_overwritten(vault_dir: Path) -> None:
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    (vault_dir / "vault.key").rename(vault_dir.parent / "vault.key.moved")
    before = (vault_dir / DATABASE_FILE).read_bytes()
    with pytest.raises(ConflictError, match="without its key file"):
        vaults.create_vault(vault_dir, PASSPHRASE)
    assert (vault_dir / DATABASE_FILE).read_bytes() == before


def test_leftovers_of_an_interrupted_creation_are_cleared(vault_dir: Path) -> None:
    vault_dir.mkdir()
    (vault_dir / (DATABASE_FILE + vaults.CREATING_SUFFIX)).write_bytes(b"half-built")
    (vault_dir / ".fieldkit-tmp-0123").write_bytes(b"half-written key")
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    assert sorted(p.name for p in vault_dir.iterdir()) == [
        "unlock-attempts.json",
        DATABASE_FILE,
        "vault.key",
    ]


def test_unlock_and_wrong_passphrase(vault_dir: Path) -> None:
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    vaults.unlock_vault(vault_dir, PASSPHRASE).close()
    with pytest.raises(WrongPassphraseError):
        vaults.unlock_vault(vault_dir, PASSPHRASE.upper())


def test_failed_attempts_are_recorded_at_the_next_unlock(vault_dir: Path) -> None:
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    vault = vaults.unlock_vault(vault_dir, PASSPHRASE, failed_attempts=3)
    try:
        with vault.read() as session:
            last = session.exec(select(AuditRow).order_by(col(AuditRow.seq).desc())).first()
        assert last is not None and last.action == "failed_unlocks"
        assert json.loads(last.detail) == {"count": 3}
    finally:
        vault.close()


def test_change_passphrase_rewraps_without_touching_the_database(vault_dir: Path) -> None:
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    old_key = keyfile.read_key_file(vault_dir)
    database_key = old_key.unwrap(PASSPHRASE)
    vaults.change_passphrase(vault_dir, PASSPHRASE, NEW)
    new_key = keyfile.read_key_file(vault_dir)
    assert new_key.unwrap(NEW) == database_key
    assert new_key.salt != old_key.salt
    with pytest.raises(WrongPassphraseError):
        vaults.unlock_vault(vault_dir, PASSPHRASE)
    vault = vaults.unlock_vault(vault_dir, NEW)
    try:
        with vault.read() as session:
            assert audit.verify(session).ok
    finally:
        vault.close()


def test_a_passphrase_change_never_weakens_the_key_derivation(vault_dir: Path) -> None:
    """The key file was made with costlier parameters than this process would calibrate (the
    test suite's cheap ones here, a slower device in the field): the rewrap keeps the cost."""
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    database_key = keyfile.read_key_file(vault_dir).unwrap(PASSPHRASE)
    strong = keyfile.KdfParams(memory_kib=16 * 1024, iterations=3, lanes=1)
    keyfile.write_key_file(vault_dir, keyfile.KeyFile.wrap(database_key, PASSPHRASE, strong))
    vaults.change_passphrase(vault_dir, PASSPHRASE, NEW)
    params = keyfile.read_key_file(vault_dir).params
    assert (params.memory_kib, params.iterations) == (16 * 1024, 3)


def test_a_weak_key_derivation_is_warned_about(
    vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vaults.create_vault(vault_dir, PASSPHRASE).close()  # the tests' cheap parameters
    assert vaults.weak_key_derivation_warning(vault_dir) is None  # the test hook's own
    monkeypatch.setattr(keyfile, "TEST_PARAMS", None)
    warning = vaults.weak_key_derivation_warning(vault_dir)
    assert warning is not None
    assert "weak key derivation (8 MiB, 1 passes; fieldkit uses at least 256 MiB" in warning
    assert "Change the passphrase" in warning


def test_an_old_key_file_and_the_old_passphrase_no_longer_open_a_rotated_vault(
    vault_dir: Path,
) -> None:
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    old_key_file = (vault_dir / "vault.key").read_bytes()
    old_database_key = keyfile.read_key_file(vault_dir).unwrap(PASSPHRASE)
    assert vaults.change_passphrase(vault_dir, PASSPHRASE, NEW, rotate_key=True) is None
    assert keyfile.read_key_file(vault_dir).unwrap(NEW) != old_database_key
    (vault_dir / "vault.key").write_bytes(old_key_file)  # a copy kept from before
    with pytest.raises(DatabaseKeyError) as caught:
        vaults.unlock_vault(vault_dir, PASSPHRASE)
    assert "does not open with this vault's key" in caught.value.user_message


def test_a_plain_passphrase_change_leaves_an_old_key_file_working(vault_dir: Path) -> None:
    """Why the rotation exists: without it, the old key file and passphrase still open."""
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    old_key_file = (vault_dir / "vault.key").read_bytes()
    vaults.change_passphrase(vault_dir, PASSPHRASE, NEW)
    (vault_dir / "vault.key").write_bytes(old_key_file)
    vaults.unlock_vault(vault_dir, PASSPHRASE).close()


def test_a_rotation_returns_the_callers_vault_reopened_and_audits_it(vault_dir: Path) -> None:
    vault = vaults.create_vault(vault_dir, PASSPHRASE)
    reopened = vaults.change_passphrase(vault_dir, PASSPHRASE, NEW, vault, rotate_key=True)
    assert reopened is not None and not vault.is_open
    try:
        with reopened.read() as session:
            assert audit.verify(session).ok
            last = session.exec(select(AuditRow).order_by(col(AuditRow.seq).desc())).first()
        assert last is not None and last.action == audit.Action.PASSPHRASE_CHANGED
        assert json.loads(last.detail) == {"database_key": "replaced"}
    finally:
        reopened.close()


def test_a_rotation_is_refused_while_the_vault_is_open_elsewhere(vault_dir: Path) -> None:
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    elsewhere = vaults.unlock_vault(vault_dir, PASSPHRASE)  # another window or command
    try:
        with elsewhere.read() as session:
            session.connection()  # a connection is open, as in the other program
            before = (vault_dir / "vault.key").read_bytes()
            with pytest.raises(rotation.VaultInUseError) as caught:
                vaults.change_passphrase(vault_dir, PASSPHRASE, NEW, rotate_key=True)
        assert "open in another fieldkit window" in caught.value.user_message
        assert (vault_dir / "vault.key").read_bytes() == before
        assert not rotation.pending(vault_dir)
    finally:
        elsewhere.close()
    vaults.unlock_vault(vault_dir, PASSPHRASE).close()


def test_nothing_can_write_to_the_old_database_while_the_key_is_replaced(
    vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From the copy to the swap, the rotation keeps SQLite's exclusive lock: a write that
    would land in the old database, and be lost with it, is refused instead."""
    import sqlcipher3

    vaults.create_vault(vault_dir, PASSPHRASE).close()
    old_key = keyfile.read_key_file(vault_dir).unwrap(PASSPHRASE)
    refused: dict[str, str] = {}

    def try_to_write(step: str) -> None:
        if step not in ("exported", "key-file-written", "committed"):
            return
        other = sqlcipher3.connect(str(vault_dir / DATABASE_FILE), timeout=0.1)
        try:
            other.execute(f"PRAGMA key = \"x'{old_key.hex()}'\"")
            other.execute("CREATE TABLE lost (x)")
        except sqlcipher3.OperationalError as exc:
            refused[step] = str(exc)
        finally:
            other.close()

    monkeypatch.setattr(rotation, "_step", try_to_write)
    vaults.change_passphrase(vault_dir, PASSPHRASE, NEW, rotate_key=True)
    assert refused == dict.fromkeys(
        ("exported", "key-file-written", "committed"), "database is locked"
    )


def test_change_passphrase_refusals_change_nothing(vault_dir: Path) -> None:
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    before = (vault_dir / "vault.key").read_bytes()
    with pytest.raises(WrongPassphraseError):
        vaults.change_passphrase(vault_dir, "not it at all", NEW)
    with pytest.raises(InvalidInputError, match="Use at least"):
        vaults.change_passphrase(vault_dir, PASSPHRASE, "weak")
    with pytest.raises(ConflictError, match="same as the old one"):
        vaults.change_passphrase(vault_dir, PASSPHRASE, PASSPHRASE)
    assert (vault_dir / "vault.key").read_bytes() == before


def test_vault_location_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert locations.resolve_vault_dir(None) == locations.default_vault_dir()
    assert str(locations.default_vault_dir()).startswith(str(Path.home()))
    monkeypatch.setenv("FIELDKIT_VAULT", str(tmp_path / "from-env"))
    assert locations.resolve_vault_dir(None) == tmp_path / "from-env"
    assert locations.resolve_vault_dir(str(tmp_path / "given")) == tmp_path / "given"
