"""Child process for the export kill tests: it exports one bundle and may SIGKILL itself.

usage: export_child.py FOLDER SETUP_JSON POINT
  POINT: none | mid-write:BYTES | pause-mid-write:BYTES | before-rename | before-dir-fsync
         | before-verify
Prints "progress DONE TOTAL" lines while writing and "done PATH" at the end. At
pause-mid-write:BYTES it prints "paused" and waits for a line on stdin before writing on.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

from fieldkit import files
from fieldkit.bundle import AttachmentSource, SealedRevision, export_bundle_file
from fieldkit.bundle import writer as bundle_writer
from fieldkit.crypto.identity import SigningKey
from tests.bundle.factory import form_source

CHUNK = 1024 * 1024


def generated(size: int) -> Iterator[bytes]:
    """Deterministic bytes made on the fly, never held whole in memory."""
    for index in range(0, size, CHUNK):
        block = index.to_bytes(8, "big") * (CHUNK // 8)
        yield block[: min(CHUNK, size - index)]


def generated_sha256(size: int) -> str:
    digest = hashlib.sha256()
    for block in generated(size):
        digest.update(block)
    return digest.hexdigest()


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main(folder: Path, setup_file: Path, point: str) -> None:
    setup = json.loads(setup_file.read_text())
    device = SigningKey.from_private_bytes(bytes.fromhex(setup["device"]))
    revision = SealedRevision(
        setup["record_id"],
        1,
        setup["revision_sha256"],
        bytes.fromhex(setup["revision_content"]),
        bytes.fromhex(setup["revision_signature"]),
    )
    size = setup["attachment_size"]
    attachment = AttachmentSource(setup["attachment_sha256"], size, lambda: generated(size))
    kill_at = int(point.split(":")[1]) if point.startswith("mid-write:") else None
    pause_at = int(point.split(":")[1]) if point.startswith("pause-mid-write:") else None

    def progress(done: int, total: int) -> None:
        nonlocal pause_at
        print(f"progress {done} {total}", flush=True)
        if kill_at is not None and done >= kill_at:
            die()
        if pause_at is not None and done >= pause_at:
            pause_at = None
            print("paused", flush=True)
            sys.stdin.readline()

    if point == "before-rename":
        real_replace = os.replace

        def killing_replace(src: object, dst: object) -> None:
            die()
            real_replace(src, dst)  # type: ignore[arg-type]

        os.replace = killing_replace  # type: ignore[assignment]
    elif point == "before-dir-fsync":
        files.fsync_dir = lambda folder: die()
    elif point == "before-verify":
        bundle_writer.verify_bundle_file = lambda path, info: die()

    exported = export_bundle_file(
        folder,
        device_key=device,
        sequence=1,
        previous=None,
        recipients=setup["recipients"],
        revisions=[revision],
        forms=[form_source()],
        attachments=[attachment],
        progress=progress,
    )
    print(f"done {exported.path}", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
