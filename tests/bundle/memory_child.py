"""Child process for the memory test: writes and reads a bundle with a large attachment made on
the fly, and reports its peak resident memory (KiB) before and after each step as JSON.

usage: memory_child.py FOLDER ATTACHMENT_BYTES
"""

from __future__ import annotations

import hashlib
import json
import resource
import sys
from pathlib import Path

from fieldkit.bundle import AttachmentSource, export_bundle_file, open_bundle
from fieldkit.bundle.agefile import new_identity
from fieldkit.crypto.identity import SigningKey
from tests.bundle.export_child import generated, generated_sha256


def peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(folder: Path, size: int) -> None:
    device = SigningKey.generate()
    hq_identity, hq_recipient = new_identity()
    out_dir, spool = folder / "out", folder / "spool"
    out_dir.mkdir()
    spool.mkdir(mode=0o700)

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
                handle, [hq_identity], lambda _k, p: p == device.public.public_key, spool
            )
        report["after_read"] = peak_kib()
        digest = hashlib.sha256()
        with opened.attachments[0].path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
        opened.discard()
        exported.path.unlink()
        return digest.hexdigest()

    report: dict[str, int | bool] = {}
    round_trip(3 << 20)  # warm up: imports, pyrage, first allocations
    report["baseline"] = peak_kib()
    report["intact"] = round_trip(size) == generated_sha256(size)
    print(json.dumps(report))


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
