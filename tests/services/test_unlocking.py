"""The count of wrong passphrases: the growing wait, kept beside the key file across restarts,
reset by a successful unlock; the vault's own files stay byte-identical after a wrong one."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlmodel import select

from fieldkit.services import unlocking, vaults
from fieldkit.services.unlocking import Attempts, CountedWrongPassphraseError, retry_delay
from fieldkit.vault.keyfile import WrongPassphraseError
from fieldkit.vault.models import AuditRow
from tests.conftest import PASSPHRASE, snapshot

WRONG = "not the passphrase at all"


def test_the_delay_doubles_and_stops_at_a_minute() -> None:
    assert [retry_delay(n) for n in range(0, 9)] == [0, 1, 2, 4, 8, 16, 32, 60, 60]
    assert retry_delay(-1) == 0
    assert retry_delay(10**9) == 60


def test_the_wait_left_counts_from_the_last_failure() -> None:
    assert Attempts().wait_left(1000.0) == 0
    attempts = Attempts(3, 1000.0)
    assert attempts.delay == 4
    assert attempts.wait_left(1000.0) == 4
    assert attempts.wait_left(1001.5) == 3
    assert attempts.wait_left(1004.0) == 0
    assert attempts.wait_left(5000.0) == 0
    assert attempts.wait_left(10.0) == 4  # a clock set back: never more than the delay


def test_failures_are_kept_on_disk_and_reset(vault_dir: Path) -> None:
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    assert unlocking.read_attempts(vault_dir) == Attempts()
    assert unlocking.record_failure(vault_dir, now=100.0) == Attempts(1, 100.0)
    assert unlocking.record_failure(vault_dir, now=200.0) == Attempts(2, 200.0)
    path = unlocking.attempts_path(vault_dir)
    assert path.parent == vault_dir and path.name == "unlock-attempts.json"
    assert json.loads(path.read_text()) == {"failures": 2, "last_failure": 200.0}
    if os.name == "posix":
        assert path.stat().st_mode & 0o777 == 0o600
    assert not [p for p in vault_dir.iterdir() if p.name.startswith(".fieldkit-tmp-")]
    unlocking.reset(vault_dir)
    assert not path.exists()
    assert unlocking.read_attempts(vault_dir) == Attempts()
    unlocking.reset(vault_dir)  # twice is fine


@pytest.mark.parametrize(
    "content",
    [b"", b"{", b"[]", b'{"failures": -1, "last_failure": 1}', b'{"failures": true}', b"x" * 300],
)
def test_a_damaged_file_counts_as_none(vault_dir: Path, content: bytes) -> None:
    vault_dir.mkdir()
    unlocking.attempts_path(vault_dir).write_bytes(content)
    assert unlocking.read_attempts(vault_dir) == Attempts()


def test_a_wrong_passphrase_is_counted_and_changes_no_vault_file(vault_dir: Path) -> None:
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    before = snapshot(vault_dir)
    for expected in (1, 2):
        with pytest.raises(CountedWrongPassphraseError) as caught:
            unlocking.unlock(vault_dir, WRONG)
        assert isinstance(caught.value, WrongPassphraseError)
        assert caught.value.attempts.failures == expected
        assert caught.value.attempts.delay == expected
    after = snapshot(vault_dir)
    assert after.pop(unlocking.ATTEMPTS_FILE)
    assert after == before


def test_success_audits_the_failures_and_resets_the_count(vault_dir: Path) -> None:
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    for _attempt in range(3):
        with pytest.raises(CountedWrongPassphraseError):
            unlocking.unlock(vault_dir, WRONG)
    vault = unlocking.unlock(vault_dir, PASSPHRASE)
    try:
        with vault.read() as session:
            rows = session.exec(select(AuditRow).where(AuditRow.action == "failed_unlocks")).all()
        assert [json.loads(r.detail) for r in rows] == [{"count": 3}]
    finally:
        vault.close()
    assert unlocking.read_attempts(vault_dir) == Attempts()
    assert not unlocking.attempts_path(vault_dir).exists()
    with pytest.raises(CountedWrongPassphraseError) as caught:
        unlocking.unlock(vault_dir, WRONG)
    assert caught.value.attempts.delay == 1


def test_a_stale_remembered_passphrase_is_not_counted(
    vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    monkeypatch.setattr(unlocking.passphrases, "recall", lambda _folder: "an old passphrase")
    with pytest.raises(WrongPassphraseError) as caught:
        unlocking.unlock_remembered(vault_dir)
    assert not isinstance(caught.value, CountedWrongPassphraseError)
    assert unlocking.read_attempts(vault_dir) == Attempts()
    monkeypatch.setattr(unlocking.passphrases, "recall", lambda _folder: None)
    assert unlocking.unlock_remembered(vault_dir) is None
