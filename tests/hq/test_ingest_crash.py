"""A killed ingest leaves no attachment plaintext on HQ's disk, and the next ingest removes what
the dead run left in ``spool/``, never a running ingest's (security.md: HQ at rest)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fieldkit.bundle.writer import new_bundle_file_name
from fieldkit.domain.records import sha256_hex
from fieldkit.hq import keys as hq_keys
from fieldkit.hq.ingest import Ingestor, Outcome
from fieldkit.hq.paths import HqPaths
from fieldkit.hq.repository import FakeRepository, open_repository, sqlite_url
from fieldkit.hq.spool import FOLDER_PREFIX, LOCK_NAME, run_folder
from tests.bundle.factory import Keys, forms_for, make_bundle
from tests.conftest import PASSPHRASE
from tests.hq.ingest_kill_child import STREAMING
from tests.hq.support import FORM_V1, Device, files_in, holds

CHILD = Path(__file__).with_name("ingest_kill_child.py")
ROOT = Path(__file__).resolve().parents[2]
CANARY_PHOTO = b"CANARY-PHOTO-Wx4kTj"
MIB = 1 << 20


def photo(size: int) -> bytes:
    """``size`` bytes of a "photograph" that carries the canary all through."""
    piece = CANARY_PHOTO + bytes(range(256)) * 4
    return (piece * (size // len(piece) + 1))[:size]


def spool_folders(paths: HqPaths) -> list[Path]:
    return sorted(paths.spool.glob(f"{FOLDER_PREFIX}*"))


@pytest.mark.skipif(sys.platform == "win32", reason="kills a process group with SIGKILL")
def test_a_killed_ingest_leaves_no_attachment_plaintext_and_the_next_one_removes_its_spool(
    tmp_path: Path,
) -> None:
    paths = HqPaths(tmp_path / "hq")
    config, secrets = hq_keys.create(paths, PASSPHRASE)
    device = Device()
    repository = open_repository(sqlite_url(paths.database))
    device.register(repository)
    attachment = photo(24 * MIB)
    revision = device.revision(attachments=[sha256_hex(attachment)])
    data, _ = make_bundle(
        Keys(),
        [revision],
        [attachment],
        recipients=config.recipients,
        device=device.key,
        forms=forms_for([revision], known=(FORM_V1,)),
    )
    stick = tmp_path / "stick"
    stick.mkdir()
    bundle = stick / new_bundle_file_name()
    bundle.write_bytes(data)
    del data, attachment
    env = {
        "PYTHONPATH": f"{ROOT / 'src'}:{ROOT}",
        "PATH": "/usr/bin:/bin",
        "FIELDKIT_HQ": str(paths.root),
        "FIELDKIT_HQ_PASSPHRASE": PASSPHRASE,
    }
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(bundle), str(12 * MIB)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        assert child.stdout is not None
        said = child.stdout.readline().decode().strip()
        assert said == STREAMING, child.stderr.read().decode() if child.stderr else said
        (live,) = spool_folders(paths)

        Ingestor(repository, paths, config, secrets)  # another ingest starts meanwhile

        assert spool_folders(paths) == [live], "a running ingest's folder is left alone"
    finally:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()

    assert any(p.is_file() and p.name != LOCK_NAME for p in files_in(live)), (
        "the killed run had written part of the attachment"
    )
    assert holds(paths.root, CANARY_PHOTO) == [], "no attachment plaintext on disk"
    assert repository.counts()["bundles"] == 0

    result = Ingestor(repository, paths, config, secrets).ingest_file(bundle)

    assert not live.exists(), "the dead run's folder is removed at the next start"
    assert result.outcome is Outcome.ACCEPTED and spool_folders(paths) == []
    assert holds(paths.root, CANARY_PHOTO) == []
    repository.close()


def test_an_ingest_removes_dead_runs_spool_folders_and_keeps_live_ones(tmp_path: Path) -> None:
    paths = HqPaths(tmp_path / "hq")
    paths.make_folders()
    dead = paths.spool / f"{FOLDER_PREFIX}dead"
    dead.mkdir(mode=0o700)
    (dead / LOCK_NAME).touch()
    (dead / "attachment-1.age").write_bytes(b"part of an attachment")
    older = paths.spool / f"{FOLDER_PREFIX}older"  # left by a fieldkit that took no lock
    older.mkdir(mode=0o700)
    (older / "attachment-2").write_bytes(CANARY_PHOTO)
    keys = Keys()
    config = hq_keys.HqConfig(
        name="Test HQ",
        address=None,
        ingest_recipient=keys.hq[1],
        escrow_recipient=None,
        signing_public_key=keys.hq_signing.public.public_key,
        created="2026-03-01T00:00:00Z",
    )
    secrets = hq_keys.HqKeys(ingest_identity=keys.hq[0], signing_key=keys.hq_signing)

    with run_folder(paths) as live:
        (live / "attachment-3.age").write_bytes(b"being written")
        Ingestor(FakeRepository(), paths, config, secrets)

        assert spool_folders(paths) == [live]
        assert (live / "attachment-3.age").exists()

    assert spool_folders(paths) == [], "a run removes its own folder when it ends"
