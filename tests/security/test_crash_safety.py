"""security.md tests 1 and 5: SIGKILL during saves loses nothing acknowledged; a passphrase change
killed at any point leaves exactly one working passphrase."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fieldkit.services import records, vaults
from fieldkit.vault.keyfile import WrongPassphraseError
from tests.conftest import PASSPHRASE

CHILD = Path(__file__).with_name("child.py")
NEW_PASSPHRASE = "harbour quilt meridian falcon 77"


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(5))
def test_sigkill_during_saves_loses_nothing_acknowledged(vault_dir: Path, round_: int) -> None:
    vault = vaults.create_vault(vault_dir, PASSPHRASE, install_forms=True)
    record_id = records.create(vault, "illicit-market-observation", {})
    vault.close()

    child = _spawn("saves", str(vault_dir), record_id, PASSPHRASE)
    assert child.stdout is not None
    target = random.Random(round_).randint(5, 60)
    last_ack = 0
    deadline = time.monotonic() + 60
    while last_ack < target and time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        last_ack = int(line.split()[1])
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert last_ack >= target, child.stderr.read() if child.stderr else ""

    reopened = vaults.unlock_vault(vault_dir, PASSPHRASE)
    try:
        with reopened.read() as session:
            check = session.connection().exec_driver_sql("PRAGMA integrity_check").scalar()
        assert check == "ok"
        draft = records.detail(reopened, record_id).draft
        assert draft is not None
        # The kill may land after a commit that was not yet acknowledged: never before the last ack.
        saved = int(draft["narrative"].removeprefix("save "))
        assert saved >= last_ack
    finally:
        reopened.close()


def _works(folder: Path, passphrase: str) -> bool:
    try:
        vaults.unlock_vault(folder, passphrase).close()
    except WrongPassphraseError:
        return False
    return True


@pytest.mark.parametrize("point", ["mid-write", "before-rename", "before-dir-fsync", None])
def test_passphrase_change_killed_at_each_step(vault_dir: Path, point: str | None) -> None:
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    child = _spawn(
        "change", str(vault_dir), PASSPHRASE, NEW_PASSPHRASE, *([point] if point else [])
    )
    out, err = child.communicate(timeout=60)
    old_works, new_works = _works(vault_dir, PASSPHRASE), _works(vault_dir, NEW_PASSPHRASE)
    assert old_works != new_works, (point, err)
    if point is None:
        assert child.returncode == 0 and "changed" in out and new_works
    else:
        assert child.returncode == -signal.SIGKILL
    if point in ("mid-write", "before-rename"):
        assert old_works
    if point == "before-dir-fsync":
        assert new_works  # the rename had happened; only the folder flush was missing
    key = json.loads((vault_dir / "vault.key").read_bytes())
    assert key["fieldkit_vault_key"] == 1


@pytest.mark.slow
def test_passphrase_change_killed_at_random_moments(vault_dir: Path) -> None:
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    current = PASSPHRASE
    rng = random.Random(7)
    for _round in range(12):
        other = NEW_PASSPHRASE if current == PASSPHRASE else PASSPHRASE
        child = _spawn("change", str(vault_dir), current, other)
        time.sleep(rng.uniform(0.0, 0.35))
        child.send_signal(signal.SIGKILL)
        child.wait()
        old_works, new_works = _works(vault_dir, current), _works(vault_dir, other)
        assert old_works != new_works
        if new_works:
            current = other
