"""The CLI's passphrase and unlock: replacing the database key, parallel runs that take turns
and wait after wrong passphrases, the warning about a weak key file, the forms updated with
fieldkit."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fieldkit.services import unlocking, vaults
from fieldkit.vault import keyfile
from tests.cli.conftest import Run
from tests.conftest import PASSPHRASE, cli_env


def test_passphrase_change_with_rotate_key_replaces_the_database_key(
    run: Run, env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_key_file = (env / "vault.key").read_bytes()
    new = "lantern orchard basalt quiver 9"
    monkeypatch.setenv("FIELDKIT_NEW_PASSPHRASE", new)
    out = run("passphrase", "change", "--rotate-key")
    assert out == "Passphrase changed and database key replaced.\n"
    monkeypatch.setenv("FIELDKIT_PASSPHRASE", new)
    assert "field laptop 7" in run("status")
    (env / "vault.key").write_bytes(old_key_file)
    monkeypatch.setenv("FIELDKIT_PASSPHRASE", PASSPHRASE)
    run("status", code=1)
    assert "does not open with this vault's key" in run.err


def test_parallel_runs_with_wrong_passphrases_take_turns_and_wait(vault_dir: Path) -> None:
    """Three runs started together: each waits for the turn of the one before and then for the
    delay its failure earned (1 s, then 2 s), so none skips the wait and no failure is lost."""
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    env = cli_env(vault_dir, FIELDKIT_PASSPHRASE="not the passphrase at all")
    start = time.monotonic()
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "fieldkit.cli.main", "status"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _n in range(3)
    ]
    errors = [run.communicate(timeout=120)[1] for run in runs]
    elapsed = time.monotonic() - start
    assert all(
        e.endswith("The passphrase is not correct. Check it and try again.\n") for e in errors
    )
    assert unlocking.read_attempts(vault_dir).failures == 3
    assert elapsed >= 1 + 2  # the waits after the first and the second failure, one after another


def test_an_import_with_a_wrong_passphrase_still_waits_and_is_counted(
    vault_dir: Path, tmp_path: Path
) -> None:
    """The import derives the key while it loads, yet opens it only after the wait."""
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    unlocking.record_failure(vault_dir)
    lines = tmp_path / "notes.jsonl"
    lines.write_text('{"subject": "x"}\n', encoding="utf-8")
    env = cli_env(vault_dir, FIELDKIT_PASSPHRASE="not the passphrase at all")
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "fieldkit.cli.main", "record", "import", "all-types", str(lines)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert done.stderr.endswith("The passphrase is not correct. Check it and try again.\n")
    assert unlocking.read_attempts(vault_dir).failures == 2
    assert time.monotonic() - start >= 1  # the wait after the first failure


def test_an_unlock_warns_of_a_weak_key_derivation_on_stderr(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("status")
    assert run.err == ""  # the test suite's own cheap parameters are not warned about
    monkeypatch.setattr(keyfile, "TEST_PARAMS", None)
    assert "Device key id" in run("status")
    assert len(run.err.splitlines()) == 1, run.err
    (line,) = run.err.splitlines()
    assert line.startswith("Warning: this vault's passphrase is protected by a weak key derivation")


def test_a_key_file_asking_for_hours_of_work_is_refused_in_one_line(run: Run, env: Path) -> None:
    import json

    body = json.loads((env / "vault.key").read_bytes())
    body["kdf"]["memory_kib"] = 64 * 1024 * 1024  # 64 GiB
    (env / "vault.key").write_text(json.dumps(body))
    run("status", code=1)
    assert "above fieldkit's limits (1024 MiB, 24 passes, 8 lanes at most)" in run.err


def test_the_first_command_after_an_update_says_which_forms_were_updated(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fieldkit.services import forms as form_service
    from fieldkit.services.vaults import create_vault

    previous = sorted((form_service.shipped_forms_dir() / "previous").glob("*-1.yaml"))
    with monkeypatch.context() as patched:
        patched.setattr(form_service, "shipped_form_paths", lambda: previous)
        create_vault(env, PASSPHRASE).close()
    run = Run(capsys)
    listed = run("forms", "list", "--json")
    assert "Forms updated with fieldkit: Attack on an activist (version 2)" in run.err
    assert run.err.count("\n") == 1
    offered = {(f["id"], f["version"]) for f in json.loads(listed) if f["current"]}
    assert offered == {("attack-on-activist", "2"), ("illicit-market-observation", "2")}
    run("forms", "list")
    assert run.err == ""
