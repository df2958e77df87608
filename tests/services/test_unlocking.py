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
from fieldkit.vault import attempts
from fieldkit.vault.keyfile import WrongPassphraseError
from fieldkit.vault.models import AuditRow
from tests.conftest import PASSPHRASE, snapshot

WRONG = "not the passphrase at all"


def no_wait(_seconds: int) -> None:
    """The delays are the subject of other tests: these attempts go ahead at once."""


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
    body = json.loads(path.read_text())
    assert (body["failures"], body["last_failure"]) == (2, 200.0)
    assert len(body["seal"]) == 64  # the seal of the reset at creation stays
    if os.name == "posix":
        assert path.stat().st_mode & 0o777 == 0o600
    assert not [p for p in vault_dir.iterdir() if p.name.startswith(".fieldkit-tmp-")]
    vault = vaults.unlock_vault(vault_dir, PASSPHRASE)
    try:
        assert unlocking.reset(vault_dir, vault)
        assert unlocking.read_attempts(vault_dir) == Attempts()
        assert unlocking.reset(vault_dir, vault)  # twice is fine
    finally:
        vault.close()


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
            unlocking.unlock(vault_dir, WRONG, wait=no_wait)
        assert isinstance(caught.value, WrongPassphraseError)
        assert caught.value.attempts.failures == expected
        assert caught.value.attempts.delay == expected
    after = snapshot(vault_dir)
    assert after.pop(unlocking.ATTEMPTS_FILE) != before.pop(unlocking.ATTEMPTS_FILE)
    after.pop(attempts.LOCK_FILE)
    assert after == before


def test_success_audits_the_failures_and_resets_the_count(vault_dir: Path) -> None:
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    for _attempt in range(3):
        with pytest.raises(CountedWrongPassphraseError):
            unlocking.unlock(vault_dir, WRONG, wait=no_wait)
    vault = unlocking.unlock(vault_dir, PASSPHRASE)
    try:
        with vault.read() as session:
            rows = session.exec(select(AuditRow).where(AuditRow.action == "failed_unlocks")).all()
        assert [json.loads(r.detail) for r in rows] == [{"count": 3}]
    finally:
        vault.close()
    assert unlocking.read_attempts(vault_dir) == Attempts()
    with pytest.raises(CountedWrongPassphraseError) as caught:
        unlocking.unlock(vault_dir, WRONG, wait=no_wait)
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


@pytest.mark.parametrize("tamper", ["delete", "damage"])
def test_removing_the_count_does_not_reset_it_silently(vault_dir: Path, tamper: str) -> None:
    """The key file promises the count: a missing or damaged one means the longest wait, kept
    across restarts; the next successful unlock says so and writes it to the audit log."""
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    for _attempt in range(2):
        with pytest.raises(CountedWrongPassphraseError):
            unlocking.unlock(vault_dir, WRONG, wait=no_wait)
    path = unlocking.attempts_path(vault_dir)
    if tamper == "delete":
        path.unlink()
    else:
        path.write_bytes(b'{"failures": "none"}')
    counted = unlocking.read_attempts(vault_dir)
    assert counted.delay == unlocking.MAX_DELAY_SECONDS
    assert counted.last_failure is not None
    assert counted.wait_left(now=counted.last_failure) == unlocking.MAX_DELAY_SECONDS
    assert unlocking.read_attempts(vault_dir) == counted  # written down: a restart keeps it
    with pytest.raises(unlocking.WaitFirstError) as too_soon:
        unlocking.unlock(vault_dir, PASSPHRASE, wait=None)
    assert too_soon.value.user_message.startswith("Wait ")
    warnings: list[str] = []
    waited: list[int] = []
    vault = unlocking.unlock(vault_dir, PASSPHRASE, wait=waited.append, warn=warnings.append)
    try:
        assert waited and waited[0] > 50
        assert warnings == [unlocking.counter_tampered_warning()]
        assert "removed or altered" in warnings[0]
        with vault.read() as session:
            rows = session.exec(select(AuditRow).where(AuditRow.action == "failed_unlocks")).all()
        assert {"counter": "removed or altered"} in [json.loads(r.detail) for r in rows]
    finally:
        vault.close()
    again: list[str] = []
    unlocking.unlock(vault_dir, PASSPHRASE, warn=again.append).close()
    assert again == []  # sealed by fieldkit at the last unlock


def test_a_count_written_by_hand_is_found_at_the_next_unlock(vault_dir: Path) -> None:
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    for _attempt in range(3):
        with pytest.raises(CountedWrongPassphraseError):
            unlocking.unlock(vault_dir, WRONG, wait=no_wait)
    unlocking.attempts_path(vault_dir).write_text('{"failures": 0, "last_failure": null}')
    assert unlocking.read_attempts(vault_dir) == Attempts()  # the wait is skipped, but ...
    warnings: list[str] = []
    unlocking.unlock(vault_dir, PASSPHRASE, warn=warnings.append).close()
    assert warnings == [unlocking.counter_tampered_warning()]  # ... not silently


def test_a_vault_made_before_the_count_was_promised_is_not_alarmed(vault_dir: Path) -> None:
    from fieldkit.vault import keyfile

    vaults.create_vault(vault_dir, PASSPHRASE).close()
    database_key = keyfile.read_key_file(vault_dir).unwrap(PASSPHRASE)
    old = keyfile.KeyFile.wrap(database_key, PASSPHRASE, keyfile.TEST_PARAMS, counted=False)  # type: ignore[arg-type]
    keyfile.write_key_file(vault_dir, old)
    unlocking.attempts_path(vault_dir).unlink()
    assert unlocking.read_attempts(vault_dir) == Attempts()


def test_attempts_take_turns_and_each_sees_the_failure_before_it(vault_dir: Path) -> None:
    """Two runs started together: the second waits for the first's turn, then for the delay its
    failure earned (the parallel runs of fieldkit-cli, modelled with threads)."""
    import threading

    vaults.create_vault(vault_dir, PASSPHRASE).close()
    waited: list[int] = []
    errors: list[BaseException] = []

    def guess() -> None:
        try:
            unlocking.unlock(vault_dir, WRONG, wait=waited.append)
        except CountedWrongPassphraseError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guess) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(e.attempts.failures for e in errors) == [1, 2]  # type: ignore[attr-defined]
    assert waited == [1]  # the second one waited the second after the first failure
