"""Child process driven by the kill tests: it does vault work and reports progress on stdout.

usage: child.py saves VAULT RECORD_ID PASSPHRASE  save drafts, printing "ack N" after each commit
       child.py stream VAULT PASSPHRASE             create, save and finalize records, printing
                                                    "created|saved|final ID N" after each commit
       child.py change VAULT OLD NEW [POINT]       change the passphrase; SIGKILL itself at POINT
       child.py rotate VAULT OLD NEW [STEP]        change the passphrase and replace the database
                                                    key; SIGKILL itself after STEP (a step of
                                                    vault/rotation.py, or "export-fsync" and
                                                    "marker-rename" inside one)

``change`` prints "ready" once its imports are done and the change begins, "written" once the new
key file has replaced the old one, and "changed" at the end: a test that kills it knows where.
``rotate`` prints "ready", then each step of the rotation as it is done ("committed" among them),
and "rotated" at the end.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from fieldkit import files
from fieldkit.services import records, vaults
from fieldkit.vault import keyfile, rotation

FORM = "illicit-market-observation"
VALID = Path(__file__).parents[1] / "data" / "records" / "v2" / f"{FORM}.valid.json"


def saves(folder: Path, record_id: str, passphrase: str) -> None:
    vault = vaults.unlock_vault(folder, passphrase)
    n = 0
    while True:
        n += 1
        records.save_draft(vault, record_id, {"narrative": f"save {n}"})
        print(f"ack {n}", flush=True)


def stream(folder: Path, passphrase: str) -> None:
    """Each round: a new draft, a save over it, and every other round a finalize."""
    answers = json.loads(VALID.read_text(encoding="utf-8"))
    answers.pop("attachments", None)
    vault = vaults.unlock_vault(folder, passphrase)
    n = 0
    while True:
        n += 1
        record_id = records.create(vault, FORM, answers | {"narrative": f"record {n}"})
        print(f"created {record_id} {n}", flush=True)
        records.save_draft(vault, record_id, answers | {"narrative": f"record {n} saved"})
        print(f"saved {record_id} {n}", flush=True)
        if n % 2 == 0:
            records.finalize(vault, record_id)
            print(f"final {record_id} {n}", flush=True)


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
    real_write = keyfile.write_key_file

    def reporting_write(target: Path, key_file: keyfile.KeyFile) -> None:
        real_write(target, key_file)
        print("written", flush=True)

    keyfile.write_key_file = reporting_write  # type: ignore[assignment]
    print("ready", flush=True)
    vaults.change_passphrase(folder, old, new)
    print("changed", flush=True)


def rotate(folder: Path, old: str, new: str, point: str | None) -> None:
    def step(name: str) -> None:
        print(name, flush=True)
        if name == point:
            die()

    rotation._step = step  # type: ignore[assignment]
    if point == "export-fsync":
        rotation._fsync_file = lambda path: die()  # type: ignore[assignment]
    elif point == "marker-rename":
        real_replace = os.replace

        def killing_replace(src: object, dst: object) -> None:
            if str(dst).endswith(rotation.MARKER_FILE):
                die()
            real_replace(src, dst)  # type: ignore[arg-type]

        files.os.replace = killing_replace  # type: ignore[attr-defined]
    print("ready", flush=True)
    vaults.change_passphrase(folder, old, new, rotate_key=True)
    print("rotated", flush=True)


if __name__ == "__main__":
    command, folder = sys.argv[1], Path(sys.argv[2])
    if command == "saves":
        saves(folder, sys.argv[3], sys.argv[4])
    elif command == "stream":
        stream(folder, sys.argv[3])
    elif command == "change":
        change(folder, sys.argv[3], sys.argv[4], sys.argv[5] if len(sys.argv) > 5 else None)
    elif command == "rotate":
        rotate(folder, sys.argv[3], sys.argv[4], sys.argv[5] if len(sys.argv) > 5 else None)
