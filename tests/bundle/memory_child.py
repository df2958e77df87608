"""Child process for the memory test: writes and reads a bundle with a large attachment made on
the fly, and reports its peak resident memory (KiB) before and after each step as JSON.

usage: memory_child.py FOLDER ATTACHMENT_BYTES [encrypted]

With ``encrypted``, the bundle is read as HQ reads it: each attachment streamed into age
encryption to HQ's keys (:class:`fieldkit.hq.spool.EncryptingSink`), then decrypted, streamed,
to check it.
"""

from __future__ import annotations

import hashlib
import json
import resource
import sys
from pathlib import Path
from typing import Any

import pyrage

from fieldkit.bundle import AttachmentSink, AttachmentSource, export_bundle_file, open_bundle
from fieldkit.bundle.agefile import new_identity, parse_identity
from fieldkit.crypto.identity import SigningKey
from fieldkit.hq.spool import EncryptingSink
from tests.bundle.export_child import generated, generated_sha256


def peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class _Hashing:
    def __init__(self) -> None:
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return len(data)

    def flush(self) -> None:
        pass


def main(folder: Path, size: int, encrypted: bool) -> None:
    device = SigningKey.generate()
    hq_identity, hq_recipient = new_identity()
    out_dir, spool = folder / "out", folder / "spool"
    out_dir.mkdir()
    spool.mkdir(mode=0o700)
    sink: Path | AttachmentSink = EncryptingSink(spool, [hq_recipient]) if encrypted else spool

    def round_trip(n: int) -> str:
        source = AttachmentSource(generated_sha256(n), n, lambda: generated(n))
        exported = export_bundle_file(
            out_dir,
            device_key=device,
            sequence=1,
            previous=None,
            recipients=[hq_recipient],
            revisions=[],
            attachments=[source],
        )
        report["after_write"] = peak_kib()
        with exported.path.open("rb") as handle:
            opened = open_bundle(
                handle, [hq_identity], lambda _k, p: p == device.public.public_key, sink
            )
        report["after_read"] = peak_kib()
        hashing = _Hashing()
        with opened.attachments[0].path.open("rb") as handle:
            if encrypted:
                pyrage.decrypt_io(handle, hashing, [parse_identity(hq_identity)])
            else:
                while block := handle.read(1 << 20):
                    hashing.write(block)
        opened.discard()
        exported.path.unlink()
        return hashing.digest.hexdigest()

    report: dict[str, Any] = {}
    round_trip(3 << 20)  # warm up: imports, pyrage, first allocations
    report["baseline"] = peak_kib()
    report["intact"] = round_trip(size) == generated_sha256(size)
    print(json.dumps(report))


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:] == ["encrypted"])
