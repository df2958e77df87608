"""security.md tests 1 and 5: SIGKILL during saves (draft saves, and a stream of creates, saves and
finalizes) loses nothing acknowledged and leaves the database, the audit chain and the search index
whole; a passphrase change killed at any point leaves exactly one working passphrase, and the next
unlock removes what the killed change left behind."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fieldkit import files
from fieldkit.services import records, vaults
from fieldkit.vault import audit
from fieldkit.vault.keyfile import WrongPassphraseError
from tests.conftest import PASSPHRASE

CHILD = Path(__file__).with_name("child.py")
FORM = "illicit-market-observation"
VALID = Path(__file__).parents[1] / "data" / "records" / "v2" / f"{FORM}.valid.json"
NEW_PASSPHRASE = "harbour quilt meridian falcon 77"


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _check_vault_integrity(vault: vaults.Vault) -> None:
    """The database, the audit chain and the search index are whole and agree with each other."""
    with vault.read() as session:
        conn = session.connection()
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        unindexed = conn.exec_driver_sql(
            "SELECT count(*) FROM record LEFT JOIN record_fts ON record_fts.rowid = record.num "
            "WHERE record_fts.rowid IS NULL"
        ).scalar()
        orphans = conn.exec_driver_sql(
            "SELECT count(*) FROM record_fts WHERE rowid NOT IN (SELECT num FROM record)"
        ).scalar()
        assert (unindexed, orphans) == (0, 0)
        report = audit.verify(session)
        assert report.ok, report.problems
    with vault.write() as session:  # FTS5 raises "database disk image is malformed" if not
        session.connection().exec_driver_sql(
            "INSERT INTO record_fts(record_fts) VALUES ('integrity-check')"
        )


def _read_acks(child: subprocess.Popen[str], target: int) -> list[str]:
    assert child.stdout is not None
    acks: list[str] = []
    deadline = time.monotonic() + 120
    while len(acks) < target and time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        acks.append(line.strip())
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert len(acks) >= target, child.stderr.read() if child.stderr else ""
    return acks


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(5))
def test_sigkill_during_saves_loses_nothing_acknowledged(vault_dir: Path, round_: int) -> None:
    vault = vaults.create_vault(vault_dir, PASSPHRASE, install_forms=True)
    record_id = records.create(vault, "illicit-market-observation", {})
    vault.close()

    child = _spawn("saves", str(vault_dir), record_id, PASSPHRASE)
    acks = _read_acks(child, random.Random(round_).randint(5, 60))
    last_ack = int(acks[-1].split()[1])

    reopened = vaults.unlock_vault(vault_dir, PASSPHRASE)
    try:
        _check_vault_integrity(reopened)
        draft = records.detail(reopened, record_id).draft
        assert draft is not None
        # The kill may land after a commit that was not yet acknowledged: never before the last ack.
        saved = int(draft["narrative"].removeprefix("save "))
        assert saved >= last_ack
    finally:
        reopened.close()


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(4))
def test_sigkill_during_creates_saves_and_finalizes_loses_nothing_acknowledged(
    vault_dir: Path, round_: int
) -> None:
    vaults.create_vault(vault_dir, PASSPHRASE, install_forms=True).close()
    child = _spawn("stream", str(vault_dir), PASSPHRASE)
    acks = _read_acks(child, random.Random(100 + round_).randint(6, 45))

    reopened = vaults.unlock_vault(vault_dir, PASSPHRASE)
    try:
        _check_vault_integrity(reopened)
        known = {item.id for item in records.list_items(reopened, records.RecordFilter())}
        for ack in acks:
            what, record_id, n = ack.split()
            assert record_id in known, ack
            detail = records.detail(reopened, record_id)
            if what == "final":
                assert detail.item.revision_count == 1 and detail.draft is None, ack
                assert detail.sealed is not None
                assert detail.sealed["narrative"] == f"record {n} saved"
                assert detail.chain_valid and all(r.signature_valid for r in detail.revisions)
            elif what == "saved" and detail.draft is not None:
                assert detail.draft["narrative"] == f"record {n} saved", ack
            elif what == "saved":  # sealed after the ack, before the kill
                assert detail.sealed is not None
                assert detail.sealed["narrative"] == f"record {n} saved", ack
        # Nothing appears that the child did not at least start: one unacknowledged create at most.
        created = {ack.split()[1] for ack in acks if ack.startswith("created")}
        assert len(known - created) <= 1
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


def _killed_change(folder: Path, old: str, new: str, delay: float | None) -> set[str]:
    """Run a passphrase change in a child; SIGKILL it ``delay`` seconds after it said "ready"
    (None: let it finish). Returns the progress markers it printed before it died."""
    child = _spawn("change", str(folder), old, new)
    assert child.stdout is not None
    first = child.stdout.readline().strip()
    assert first == "ready", (first, child.stderr.read() if child.stderr else "")
    if delay is not None:
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
    out, _err = child.communicate(timeout=60)
    return {"ready", *out.split()}


def _change_timeline(folder: Path) -> tuple[float, float]:
    """Seconds from "ready" to "written" and to "changed" of a change that is not killed (where to
    aim the kills); the vault ends with the passphrase it started with."""
    child = _spawn("change", str(folder), PASSPHRASE, NEW_PASSPHRASE)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    start = time.monotonic()
    assert child.stdout.readline().strip() == "written"
    written = time.monotonic() - start
    assert child.stdout.readline().strip() == "changed"
    changed = time.monotonic() - start
    child.wait(timeout=60)
    vaults.change_passphrase(folder, NEW_PASSPHRASE, PASSPHRASE)
    return written, changed


@pytest.mark.slow
def test_passphrase_change_killed_at_random_moments(vault_dir: Path) -> None:
    """Kills land at random moments of the change itself (after the child's imports), aimed in
    turn before and after the moment the new key file replaces the old one. Each leaves exactly one
    passphrase working, the one the child's progress says; both outcomes must occur."""
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    written, changed = _change_timeline(vault_dir)
    current = PASSPHRASE
    rng = random.Random(7)
    before_rename = after_rename = 0
    for round_ in range(40):
        other = NEW_PASSPHRASE if current == PASSPHRASE else PASSPHRASE
        delay = rng.uniform(0.0, written) if round_ % 2 else rng.uniform(written, changed)
        said = _killed_change(vault_dir, current, other, delay)
        old_works, new_works = _works(vault_dir, current), _works(vault_dir, other)
        assert old_works != new_works, (round_, said)
        if "written" in said:
            assert new_works, (round_, said)  # the rename and the folder flush were done
        if "changed" not in said:  # killed while the change ran
            before_rename += old_works
            after_rename += new_works
        if new_works:
            current = other
        if round_ >= 11 and before_rename and after_rename:
            break
    assert before_rename and after_rename, (before_rename, after_rename, written, changed)


def _temporaries(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"{files.TEMP_PREFIX}*"))


def test_a_successful_unlock_removes_a_killed_changes_temporary_key_file(vault_dir: Path) -> None:
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    child = _spawn("change", str(vault_dir), PASSPHRASE, NEW_PASSPHRASE, "mid-write")
    child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL
    (leftover,) = _temporaries(vault_dir)  # a second wrapped copy of the database key

    vaults.unlock_vault(vault_dir, PASSPHRASE).close()
    assert _temporaries(vault_dir) == [leftover]  # too fresh: it may be a change in progress

    stale = time.time() - vaults.STALE_TEMPORARY_S - 1
    os.utime(leftover, (stale, stale))
    with pytest.raises(WrongPassphraseError):
        vaults.unlock_vault(vault_dir, NEW_PASSPHRASE)
    assert _temporaries(vault_dir) == [leftover]  # a failed unlock changes nothing

    vaults.unlock_vault(vault_dir, PASSPHRASE).close()
    assert _temporaries(vault_dir) == []
    assert _works(vault_dir, PASSPHRASE) and not _works(vault_dir, NEW_PASSPHRASE)


# -- replacing the database key -----------------------------------------------------------------

ROTATION_STEPS = [
    "export-fsync",  # inside step 1: the new database written, not yet flushed
    "exported",
    "key-file-written",
    "marker-rename",  # the marker written under a temporary name, not yet renamed: no commit
    "committed",
    "database-replaced",
    "key-file-replaced",
    "finished",
]
COMMITTED = {"committed", "database-replaced", "key-file-replaced", "finished", None}


def _vault_with_records(folder: Path, count: int = 6) -> list[str]:
    answers = json.loads(VALID.read_text(encoding="utf-8"))
    answers.pop("attachments", None)
    vault = vaults.create_vault(folder, PASSPHRASE, install_forms=True)
    try:
        ids = [
            records.create(vault, FORM, answers | {"narrative": f"record {n}"})
            for n in range(count)
        ]
        records.finalize(vault, ids[0])
    finally:
        vault.close()
    return ids


def _whole_with_every_record(folder: Path, passphrase: str, ids: list[str]) -> None:
    vault = vaults.unlock_vault(folder, passphrase)
    try:
        _check_vault_integrity(vault)
        for n, record_id in enumerate(ids):
            detail = records.detail(vault, record_id)
            answers = detail.sealed if n == 0 else detail.draft
            assert answers is not None and answers["narrative"] == f"record {n}"
    finally:
        vault.close()


def _rotation_leftovers(folder: Path) -> list[str]:
    names = {p.name for p in folder.iterdir()}
    return sorted(n for n in names if n.endswith(".rotating") or n == "rotation.commit")


@pytest.mark.parametrize("step", [*ROTATION_STEPS, None])
def test_a_key_rotation_killed_at_each_step_leaves_exactly_one_working_vault(
    vault_dir: Path, step: str | None
) -> None:
    ids = _vault_with_records(vault_dir)
    child = _spawn("rotate", str(vault_dir), PASSPHRASE, NEW_PASSPHRASE, *([step] if step else []))
    out, err = child.communicate(timeout=120)
    assert child.returncode == (0 if step is None else -signal.SIGKILL), err
    old_works, new_works = _works(vault_dir, PASSPHRASE), _works(vault_dir, NEW_PASSPHRASE)
    assert old_works != new_works, (step, out, err)
    assert new_works == (step in COMMITTED), (step, out)
    _whole_with_every_record(vault_dir, NEW_PASSPHRASE if new_works else PASSPHRASE, ids)
    assert _rotation_leftovers(vault_dir) == []  # the unlock finished or undid the rotation


@pytest.mark.slow
def test_a_key_rotation_killed_at_random_moments(vault_dir: Path) -> None:
    """Kills at random moments of whole rotations, back and forth between two passphrases:
    each leaves exactly one working vault with every record, the one the child's progress says
    (new once "committed" was printed)."""
    ids = _vault_with_records(vault_dir)
    child = _spawn("rotate", str(vault_dir), PASSPHRASE, NEW_PASSPHRASE)
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    start = time.monotonic()
    child.communicate(timeout=120)
    whole = time.monotonic() - start
    current, other = NEW_PASSPHRASE, PASSPHRASE
    rng = random.Random(11)
    outcomes = {True: 0, False: 0}
    for round_ in range(24):
        child = _spawn("rotate", str(vault_dir), current, other)
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, whole * 1.2))
        child.send_signal(signal.SIGKILL)
        out, _err = child.communicate(timeout=120)
        old_works, new_works = _works(vault_dir, current), _works(vault_dir, other)
        assert old_works != new_works, (round_, out)
        if "committed" in out.split():
            assert new_works, (round_, out)
        _whole_with_every_record(vault_dir, other if new_works else current, ids)
        assert _rotation_leftovers(vault_dir) == []
        outcomes[new_works] += 1
        if new_works:
            current, other = other, current
    assert outcomes[True] and outcomes[False], outcomes
