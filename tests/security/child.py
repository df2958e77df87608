"""Child process driven by the kill tests: it does vault work and reports progress on stdout.

usage: child.py saves VAULT RECORD_ID PASSPHRASE  save drafts, printing "ack N" after each commit
       child.py change VAULT OLD NEW [POINT]       change the passphrase; SIGKILL itself at POINT
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

os.environ.setdefault("FIELDKIT_TEST_FAST_KDF", "1")

from fieldkit import files
from fieldkit.services import records, vaults


def saves(folder: Path, record_id: str, passphrase: str) -> None:
    vault = vaults.unlock_vault(folder, passphrase)
    n = 0
    while True:
        n += 1
        records.save_draft(vault, record_id, {"narrative": f"save {n}"})
        print(f"ack {n}", flush=True)


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def change(folder: Path, old: str, new: str, point: str | None) -> None:
    if point == "before-rename":
        real_replace = os.replace

        def killing_replace(src: object, dst: object) -> None:
            die()
            real_replace(src, dst)  # type: ignore[arg-type]

        files.os.replace = killing_replace  # type: ignore[attr-defined]
    elif point == "before-dir-fsync":
        files.fsync_dir = lambda folder: die()  # type: ignore[assignment]
    elif point == "mid-write":
        real_fsync = os.fsync

        def killing_fsync(fd: int) -> None:
            die()
            real_fsync(fd)

        files.os.fsync = killing_fsync  # type: ignore[attr-defined]
    vaults.change_passphrase(folder, old, new)
    print("changed", flush=True)


if __name__ == "__main__":
    command, folder = sys.argv[1], Path(sys.argv[2])
    if command == "saves":
        saves(folder, sys.argv[3], sys.argv[4])
    elif command == "change":
        change(folder, sys.argv[3], sys.argv[4], sys.argv[5] if len(sys.argv) > 5 else None)
