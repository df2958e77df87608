"""Child processes of the bundle memory benchmark.

``python -m benchmarks.bundle_memory_child FOLDER SIZE`` runs each step in a fresh process of its
own (peak resident memory, ``ru_maxrss``, only ever grows, so one step would hide another) and
prints, as JSON, the growth of the peak over a warmed-up baseline for each step, in KiB:

- ``vault_export``: a vault holding one sealed record with a SIZE-byte attachment is exported to
  a bundle (the vault is prepared in another process first);
- ``write``: a bundle holding a SIZE-byte attachment is written from a file;
- ``read``: that bundle is opened and verified, the attachment spooled to a file.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from fieldkit.bundle import AttachmentSource, export_bundle_file, make_enrolment, open_bundle
from fieldkit.bundle.agefile import new_identity
from fieldkit.crypto.identity import SigningKey

PASSPHRASE = "benchmark passphrase kestrel obsidian"  # noqa: S105 - a throwaway vault
SMALL = 3 << 20


def peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def prepare_vault(folder: Path, source: Path) -> None:
    from benchmarks.bench_vault import sample_answers
    from fieldkit.services import attachments, records, vaults
    from fieldkit.services import enrolment as enrolment_service

    vault = vaults.create_vault(folder / "vault", PASSPHRASE, device_name="benchmark")
    attachments.set_max_bytes(vault, 64 << 30)
    _identity, recipient = new_identity()
    enrolment = folder / "enrolment.fke"
    enrolment.write_bytes(
        make_enrolment(hq_key=SigningKey.generate(), hq_name="HQ", ingest_recipient=recipient)
    )
    enrolment_service.enroll(vault, enrolment)
    records.create(
        vault,
        "illicit-market-observation",
        sample_answers(),
        attachments=[("attachments", source)],
        final=True,
    )
    vault.close()


def vault_export(folder: Path) -> dict[str, float]:
    from fieldkit.services import exporting, vaults

    vault = vaults.unlock_vault(folder / "vault", PASSPHRASE)
    exporting.pending_count(vault)
    baseline = peak_kib()
    out = folder / "stick"
    out.mkdir(exist_ok=True)
    start = time.perf_counter()
    exported = exporting.export(vault, out)
    seconds = time.perf_counter() - start
    growth = peak_kib() - baseline
    exported.path.unlink()
    vault.close()
    return {"growth": growth, "baseline": baseline, "seconds": seconds}


def _chunks(path: Path, limit: int | None = None) -> Iterator[bytes]:
    with path.open("rb") as handle:
        left = limit if limit is not None else -1
        while left != 0:
            block = handle.read(1 << 20 if left < 0 else min(1 << 20, left))
            if not block:
                return
            left -= len(block)
            yield block


def _sha256(path: Path, limit: int | None = None) -> str:
    import hashlib

    digest = hashlib.sha256()
    for block in _chunks(path, limit):
        digest.update(block)
    return digest.hexdigest()


def write_and_read(folder: Path, source: Path, step: str) -> dict[str, float]:
    keys = json.loads((folder / "keys.json").read_text())
    device = SigningKey.from_private_bytes(bytes.fromhex(keys["device"]))
    out = folder / "bundles"
    out.mkdir(exist_ok=True)
    spool = folder / f"spool-{step}"
    spool.mkdir(mode=0o700, exist_ok=True)

    def write(size: int) -> Path:
        sha = keys["sha256"] if size == source.stat().st_size else _sha256(source, size)
        attachment = AttachmentSource(sha, size, lambda: _chunks(source, size))
        exported = export_bundle_file(
            out, device_key=device, sequence=1, previous=None,
            recipients=[keys["recipient"]], revisions=[], attachments=[attachment],
        )  # fmt: skip
        return exported.path

    def read(path: Path) -> None:
        with path.open("rb") as handle:
            opened = open_bundle(
                handle, [keys["identity"]], lambda _k, p: p == device.public.public_key, spool
            )
        opened.discard()

    warm = write(SMALL)
    read(warm)
    warm.unlink()
    baseline = peak_kib()
    if step == "write":
        path = write(source.stat().st_size)
        path.rename(folder / "big.fkb")
    else:
        read(folder / "big.fkb")
    return {"growth": peak_kib() - baseline, "baseline": baseline}


def child(folder: Path, step: str) -> None:
    source = folder / "attachment.bin"
    if step == "prepare":
        prepare_vault(folder, source)
        return
    if step == "vault_export":
        result = vault_export(folder)
    else:
        result = write_and_read(folder, source, step)
    print(json.dumps(result))


def run_step(folder: Path, step: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bundle_memory_child", "--step", step, str(folder)],
        capture_output=True, text=True, check=True, env=os.environ.copy(),
    )  # fmt: skip
    return json.loads(done.stdout) if done.stdout.strip() else {}


def main(folder: Path, size: int) -> None:
    from benchmarks.bench_bundle import make_source

    source = folder / "attachment.bin"
    sha256 = make_source(source, size)
    identity, recipient = new_identity()
    keys = {
        "device": SigningKey.generate().private_bytes().hex(),
        "identity": identity,
        "recipient": recipient,
        "sha256": sha256,
    }
    (folder / "keys.json").write_text(json.dumps(keys))
    run_step(folder, "prepare")
    exported = run_step(folder, "vault_export")
    written = run_step(folder, "write")
    read = run_step(folder, "read")
    print(
        json.dumps(
            {
                "baseline": exported["baseline"],
                "vault_export": exported["growth"],
                "vault_export_seconds": exported["seconds"],
                "write": written["growth"],
                "read": read["growth"],
            }
        )
    )


if __name__ == "__main__":
    if sys.argv[1] == "--step":
        child(Path(sys.argv[3]), sys.argv[2])
    else:
        main(Path(sys.argv[1]), int(sys.argv[2]))
