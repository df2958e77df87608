"""security.md tests 2 and 3: a wrong passphrase changes nothing; content never lies in clear."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fieldkit.services import records, unlocking, vaults
from fieldkit.vault import attempts
from fieldkit.vault.keyfile import WrongPassphraseError
from tests.conftest import PASSPHRASE, all_types_answers, cli_env, snapshot


def test_wrong_passphrase_leaves_every_file_byte_identical(vault_dir: Path) -> None:
    """The promise covers the database, its -wal and -shm files and the key file. An unlock
    through ``services.unlocking`` (the GUI's) also counts the failure in ``unlock-attempts.json``
    beside them (a count and a time, nothing secret): ``tests/services/test_unlocking.py``."""
    vault = vaults.create_vault(vault_dir, PASSPHRASE)
    records.create(vault, "illicit-market-observation", {"narrative": "some words"})
    vault.close()
    before = snapshot(vault_dir)
    with pytest.raises(WrongPassphraseError) as caught:
        vaults.unlock_vault(vault_dir, "not the passphrase at all")
    assert caught.value.user_message == "The passphrase is not correct. Check it and try again."
    assert snapshot(vault_dir) == before


def test_wrong_passphrase_while_the_vault_is_open_elsewhere(vault_dir: Path) -> None:
    """With the app running, -wal and -shm exist; a failed unlock elsewhere must not touch them."""
    vault = vaults.create_vault(vault_dir, PASSPHRASE)
    try:
        records.create(vault, "illicit-market-observation", {"narrative": "open elsewhere"})
        before = snapshot(vault_dir)
        assert {"vault.db", "vault.db-wal", "vault.db-shm", "vault.key"} <= set(before)
        for attempt in ("wrong one", "", "x" * 5000, PASSPHRASE + " "):
            with pytest.raises(WrongPassphraseError):
                vaults.unlock_vault(vault_dir, attempt)
        assert snapshot(vault_dir) == before
    finally:
        vault.close()


def test_wrong_passphrase_through_the_cli(vault_dir: Path) -> None:
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    before = snapshot(vault_dir)
    result = subprocess.run(
        [sys.executable, "-m", "fieldkit.cli.main", "status"],
        env=cli_env(vault_dir, FIELDKIT_PASSPHRASE="wrong wrong wrong wrong"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == "fieldkit-cli: The passphrase is not correct. Check it and try again.\n"
    after = snapshot(vault_dir)
    # The count of wrong passphrases (for the growing wait) is the one file changed, beside the
    # lock that makes attempts take turns; the database, its -wal and -shm files and the key
    # file are byte-identical.
    assert after.pop(unlocking.ATTEMPTS_FILE) != before.pop(unlocking.ATTEMPTS_FILE)
    after.pop(attempts.LOCK_FILE)
    assert after == before
    assert unlocking.read_attempts(vault_dir).failures == 1

    right = subprocess.run(
        [sys.executable, "-m", "fieldkit.cli.main", "status"],
        env=cli_env(vault_dir),
        capture_output=True,
        text=True,
        check=False,
    )
    assert right.returncode == 0, right.stderr
    assert unlocking.read_attempts(vault_dir).failures == 0, "a right passphrase resets the count"


def test_files_are_owner_only(vault_dir: Path) -> None:
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    with pytest.raises(WrongPassphraseError):  # the count and the lock that makes turns
        unlocking.unlock(vault_dir, "not the passphrase at all", wait=None)
    vaults.change_passphrase(vault_dir, PASSPHRASE, NEW_PASSPHRASE, rotate_key=True)
    vaults.change_passphrase(vault_dir, NEW_PASSPHRASE, PASSPHRASE)
    vault = unlocking.unlock(vault_dir, PASSPHRASE)
    assert {"unlock-attempts.json", "unlock-attempts.lock", "vault.lock"} <= {
        p.name for p in vault_dir.iterdir()
    }
    try:
        records.create(vault, "illicit-market-observation", {"narrative": "permissions"})
        assert vault_dir.stat().st_mode & 0o777 == 0o700
        for path in vault_dir.iterdir():
            assert path.stat().st_mode & 0o077 == 0, path.name
    finally:
        vault.close()


CANARIES = {
    "subject": "CANARY-subject-7f3a",
    "story": "CANARY-story-91bc with more words",
    "place": "CANARY-place-22de",
    "witness_name": "CANARY-witness-5e01",
    "colour_other": "CANARY-colour-aa10",
}
ATTACHMENT_CANARY = b"CANARY-attachment-bytes-6c44"
NEW_PASSPHRASE = "CANARY-new-passphrase ember walrus 9c2e"


def _scan(folder: Path, needles: list[bytes]) -> list[str]:
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for needle in needles:
                if needle in data:
                    found.append(f"{path}: {needle!r}")
    return found


def test_canaries_never_appear_in_clear(tmp_path: Path) -> None:
    """Record content in every field and an attachment go through the CLI; afterwards no file in
    the vault, the temp folder, the config/state/cache folders or the logs holds any of it."""
    vault_dir = tmp_path / "vault"
    temp = tmp_path / "tmp"
    temp.mkdir()
    home = tmp_path / "home"
    attachment = tmp_path / "inbox" / "evidence.bin"
    attachment.parent.mkdir()
    attachment.write_bytes(b"\x89PNG" + ATTACHMENT_CANARY * 50)
    answers = all_types_answers(colour="other", **CANARIES)
    data_file = tmp_path / "inbox" / "answers.json"
    data_file.write_text(json.dumps(answers))
    env = cli_env(
        vault_dir,
        TMPDIR=str(temp),
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_DATA_HOME=str(home / "data"),
    )
    logs: list[str] = []

    def cli(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "fieldkit.cli.main", "--verbose", *args],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        logs.append(result.stderr)
        return result.stdout.strip()

    cli("init")
    from tests.conftest import DATA

    cli("forms", "install", str(DATA / "forms" / "all-types.yaml"))
    record_id = cli(
        "record", "new", "all-types", "--data", str(data_file), "--attach", str(attachment)
    )
    cli("record", "finalize", record_id)
    answers["story"] = "CANARY-story-91bc amended"
    data_file.write_text(json.dumps(answers))
    cli("record", "amend", record_id, "--data", str(data_file))
    cli("record", "list", "--search", "CANARY")
    cli("status")
    env["FIELDKIT_NEW_PASSPHRASE"] = NEW_PASSPHRASE
    cli("passphrase", "change")
    env["FIELDKIT_PASSPHRASE"] = NEW_PASSPHRASE
    del env["FIELDKIT_NEW_PASSPHRASE"]
    cli("record", "list", "--search", "CANARY")
    cli("audit", "verify")
    data_file.unlink()
    attachment.unlink()

    # The passphrases themselves are needles too: neither the old nor the new one may be
    # written anywhere (the key file holds only what Argon2id derived from them).
    secrets = [*CANARIES.values(), PASSPHRASE, NEW_PASSPHRASE]
    needles = [c.encode() for c in secrets] + [ATTACHMENT_CANARY]
    needles += [c.encode("utf-16-le") for c in secrets]
    for folder in (vault_dir, temp, home, tmp_path / "inbox"):
        assert _scan(folder, needles) == []
    assert any(home.rglob("*.log")), "the CLI log file was written and scanned"
    for log in logs:
        assert not any(c in log for c in secrets)
    assert list(temp.iterdir()) == []


def test_canaries_never_reach_the_log(vault: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    record_id = records.create(vault, "all-types", all_types_answers(colour="other", **CANARIES))
    records.finalize(vault, record_id)
    with pytest.raises(records.ValidationFailedError) as caught:
        records.amend(vault, record_id, {"subject": CANARIES["subject"], "count": "x"})
    assert ("count", "type") in {(p.path, p.rule) for p in caught.value.problems}
    vaults.change_passphrase(vault.folder, PASSPHRASE, NEW_PASSPHRASE, vault)
    with pytest.raises(WrongPassphraseError):
        vaults.unlock_vault(vault.folder, PASSPHRASE)
    vaults.unlock_vault(vault.folder, NEW_PASSPHRASE, failed_attempts=1).close()
    secrets = [*CANARIES.values(), PASSPHRASE, NEW_PASSPHRASE]
    assert not any(c in caplog.text for c in secrets)
