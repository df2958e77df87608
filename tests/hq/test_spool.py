"""HQ's spool sink: attachments are encrypted to HQ's keys as they stream, never kept in clear,
and a disk that fails while they are written rejects the bundle with its reason, storing nothing."""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from fieldkit.bundle.agefile import new_identity
from fieldkit.domain.records import sha256_hex
from fieldkit.hq import sealing, spool
from fieldkit.hq.ingest import Outcome
from fieldkit.hq.sealing import read_attachment
from fieldkit.hq.spool import EncryptingSink
from tests.bundle.factory import decrypt
from tests.hq.support import Device, Hq, files_in, holds, hq

__all__ = ["hq"]

PHOTO = b"CANARY-PHOTO-Jd82Lq " * 100_000  # 2 MB: several reads and chunks


def test_an_attachment_streams_into_a_private_age_file_of_hq(tmp_path: Path) -> None:
    identity, recipient = new_identity()
    writer = EncryptingSink(tmp_path, [recipient])(sha256_hex(PHOTO), len(PHOTO))
    for start in range(0, len(PHOTO), 1 << 20):
        writer.write(PHOTO[start : start + (1 << 20)])

    path = writer.finish()

    assert path.parent == tmp_path and path.name.startswith("attachment-")
    assert path.suffix == ".age" and (os.name != "posix" or path.stat().st_mode & 0o077 == 0)
    data = path.read_bytes()
    assert b"CANARY-PHOTO" not in data
    assert decrypt(data, identity) == PHOTO


def test_an_aborted_attachment_leaves_nothing(tmp_path: Path) -> None:
    writer = EncryptingSink(tmp_path, [new_identity()[1]])(sha256_hex(PHOTO), len(PHOTO))
    writer.write(PHOTO[:1000])

    writer.abort()

    assert files_in(tmp_path) == []


def test_a_disk_failing_under_an_attachment_rejects_the_bundle_and_stores_nothing(
    hq: Hq, monkeypatch: pytest.MonkeyPatch
) -> None:
    device = Device()
    device.register(hq.repository)
    path = hq.bundle(device, [device.revision(attachments=[sha256_hex(PHOTO)])], [PHOTO])
    ingestor = hq.ingestor()

    def disk_full(source: Any, out: BinaryIO, recipients: Any) -> None:
        out.write(source.read(8192))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(spool.pyrage, "encrypt_io", disk_full)
    result = ingestor.ingest_file(path)

    assert result.outcome is Outcome.REJECTED
    assert result.reason == (
        "Headquarters could not store it (No space left on device); nothing stored."
    )
    assert hq.repository.counts()["bundles"] == 0
    assert files_in(hq.paths.spool) == [] and files_in(hq.paths.attachments) == []


def test_attachments_on_another_file_system_are_copied_in_their_encrypted_form(
    hq: Hq, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``attachments/`` mounted elsewhere: no hard link across file systems, so the encrypted
    file is copied; the attachment is stored, readable with HQ's key, never in clear."""
    device = Device()
    device.register(hq.repository)
    path = hq.bundle(device, [device.revision(attachments=[sha256_hex(PHOTO)])], [PHOTO])

    def other_file_system(source: Any, target: Any) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(sealing.os, "link", other_file_system)
    result = hq.ingestor().ingest_file(path)

    assert result.outcome is Outcome.ACCEPTED, result.reason
    stored = b"".join(read_attachment(hq.paths.attachments, sha256_hex(PHOTO), hq.keys.hq[0]))
    assert stored == PHOTO
    assert holds(hq.paths.root, b"CANARY-PHOTO") == []
    assert files_in(hq.paths.spool) == []
