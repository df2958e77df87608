"""Child process for the service-level export kill tests: it runs ``services.exporting.export``
on a vault and may SIGKILL itself at one step.

usage: vault_export_child.py VAULT PASSPHRASE FOLDER POINT
  POINT: none | before-write | mid-write | after-rename | after-read-back
    before-write     the sequence number is reserved, no byte of the bundle written yet
    mid-write        the temporary file holds part of the bundle
    after-rename     the complete file has its bundle name; it is not read back yet
    after-read-back  the file read back intact; no record is marked exported yet
Prints "done SEQUENCE PATH" at the end (for POINT none).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

from fieldkit.bundle import writer as bundle_writer
from fieldkit.services import exporting, vaults

POINTS = ("before-write", "mid-write", "after-rename", "after-read-back")


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm(point: str) -> None:
    if point == "before-write":

        def killed_before_writing(*args: Any, **kwargs: Any) -> Any:
            die()

        exporting.export_bundle_file = killed_before_writing  # type: ignore[assignment]
    elif point == "mid-write":
        real_write = bundle_writer._HashingWriter.write

        def killed_after_a_chunk(self: Any, data: bytes) -> int:
            written = real_write(self, data)
            self.flush()
            if self.count > 64 * 1024:  # some age chunks are in the temporary file
                die()
            return written

        bundle_writer._HashingWriter.write = killed_after_a_chunk  # type: ignore[method-assign]
    elif point == "after-rename":
        bundle_writer.verify_bundle_file = lambda path, info: die()
    elif point == "after-read-back":
        real_verify = bundle_writer.verify_bundle_file

        def killed_after_verifying(path: Path, info: Any) -> None:
            real_verify(path, info)
            die()

        bundle_writer.verify_bundle_file = killed_after_verifying
    elif point != "none":
        raise SystemExit(f"unknown point {point}")


def main(vault_dir: Path, passphrase: str, folder: Path, point: str) -> None:
    vault = vaults.unlock_vault(vault_dir, passphrase)
    arm(point)
    result = exporting.export(vault, folder)
    print(f"done {result.sequence} {result.path}", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4])
