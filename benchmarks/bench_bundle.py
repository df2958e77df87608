"""Bundle figures: encryption and decryption throughput against the `age` tool and
`gpg --sign --encrypt` on the same bytes, and peak memory while exporting and opening a large
bundle (1 GiB of attachments; 64 MiB with ``--quick``).

Baselines run in the same run, on the same file, in turn with fieldkit's own runs (the page
cache flushed to disk before each, so that no run pays for the writes of the one before):

- `age -r RECIPIENT` (and `age -d`), the standard tool, which a bundle is compatible with;
- `gpg --sign --encrypt` with its default compression, and with `-z 0`, a throwaway Ed25519 /
  Curve25519 key in a temporary GNUPGHOME;
- raw ChaCha20-Poly1305 of `cryptography` over 64 KiB chunks: the cipher alone, no I/O format.

fieldkit is measured twice: the bundle format alone (``write_bundle`` into a file, as `age`
writes one) and the whole export (``export_bundle_file``: temporary name, fsync, rename, fsync of
the folder, read-back and verification), which is what a user waits for.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from benchmarks.common import Result, alternated_medians, median_seconds, report
from fieldkit.bundle import AttachmentSource, export_bundle_file, open_bundle, write_bundle
from fieldkit.bundle.agefile import new_identity
from fieldkit.crypto.identity import SigningKey

MIB = 1 << 20
GIB = 1 << 30
READ = 1 * MIB
ROOT = Path(__file__).resolve().parents[1]


def make_source(path: Path, size: int) -> str:
    """A file of incompressible bytes (as photos and videos are); returns its SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        left = size
        while left:
            block = os.urandom(min(READ, left))
            digest.update(block)
            out.write(block)
            left -= len(block)
    return digest.hexdigest()


def file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while block := handle.read(READ):
            yield block


def mb_per_s(size: int, seconds: float) -> str:
    return f"{size / seconds / 1e6:,.0f} MB/s ({seconds:.2f} s)"


class Gpg:
    """A throwaway GnuPG home with one signing and encryption key."""

    def __init__(self, home: Path) -> None:
        self.home = home
        home.mkdir(mode=0o700)
        self.env = {**os.environ, "GNUPGHOME": str(home)}
        subprocess.run(
            ["gpg", "--batch", "--passphrase", "", "--quick-gen-key", "bench@fieldkit.invalid",
             "future-default", "default", "never"],
            env=self.env, check=True, capture_output=True,
        )  # fmt: skip

    def sign_encrypt(self, source: Path, out: Path, *, compress: bool) -> None:
        level = [] if compress else ["-z", "0"]
        subprocess.run(
            ["gpg", "--batch", "--yes", "--trust-model", "always", *level, "-r",
             "bench@fieldkit.invalid", "--sign", "--encrypt", "-o", str(out), str(source)],
            env=self.env, check=True, capture_output=True,
        )  # fmt: skip


def raw_chacha(source: Path) -> None:
    cipher = ChaCha20Poly1305(os.urandom(32))
    with source.open("rb") as handle:
        counter = 0
        while block := handle.read(64 * 1024):
            cipher.encrypt(counter.to_bytes(12, "big"), block, None)
            counter += 1


def throughput(folder: Path, size: int, repeat: int) -> list[Result]:
    source = folder / "attachment.bin"
    sha256 = make_source(source, size)
    device = SigningKey.generate()
    identity, recipient = new_identity()
    key_file = folder / "hq.agekey"
    key_file.write_text(identity + "\n")
    key_file.chmod(0o600)
    attachment = AttachmentSource(sha256, size, lambda: file_chunks(source))
    out_dir = folder / "out"
    out_dir.mkdir()
    spool = folder / "spool"
    spool.mkdir(mode=0o700)
    fieldkit_file = folder / "fieldkit.fkb"

    def fieldkit_format() -> None:
        with fieldkit_file.open("wb") as out:
            write_bundle(
                out, device_key=device, sequence=1, previous=None, recipients=[recipient],
                revisions=[], attachments=[attachment],
            )  # fmt: skip

    def fieldkit_export() -> None:
        exported = export_bundle_file(
            out_dir, device_key=device, sequence=1, previous=None, recipients=[recipient],
            revisions=[], attachments=[attachment],
        )  # fmt: skip
        exported.path.unlink()

    def fieldkit_open() -> None:
        with fieldkit_file.open("rb") as handle:
            opened = open_bundle(
                handle, [identity], lambda _k, p: p == device.public.public_key, spool
            )
        opened.discard()

    age_file = folder / "age.age"

    def age_encrypt() -> None:
        subprocess.run(["age", "-r", recipient, "-o", str(age_file), str(source)], check=True)

    def age_durable() -> None:
        """What a user would do for the same guarantee: age, fsync, read back and hash."""
        age_encrypt()
        fd = os.open(age_file, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
        subprocess.run(["sha256sum", str(age_file)], check=True, capture_output=True)

    def age_decrypt() -> None:
        subprocess.run(
            ["age", "-d", "-i", str(key_file), "-o", str(folder / "age.out"), str(age_file)],
            check=True,
        )

    fieldkit_format()  # the file fieldkit_open reads; warms the page cache with the source
    has_age = shutil.which("age") is not None
    actions = {
        "format": fieldkit_format,
        "export": fieldkit_export,
        "open": fieldkit_open,
        "chacha": lambda: raw_chacha(source),
    }
    if has_age:
        age_encrypt()  # the file age_decrypt reads
        actions |= {"age": age_encrypt, "age_d": age_decrypt, "age_durable": age_durable}
    t = alternated_medians(actions, repeat)
    t_format, t_export, t_open, t_chacha = t["format"], t["export"], t["open"], t["chacha"]
    results: list[Result] = []
    label = f"{size // MIB} MiB attachment"
    if has_age:
        t_age, t_age_d, t_age_durable = t["age"], t["age_d"], t["age_durable"]
        results += [
            Result(f"write a bundle, {label} (format only)", mb_per_s(size, t_format),
                   f"`age` {mb_per_s(size, t_age)}", t_age / t_format, "≥ 0.5x `age`",
                   t_age / t_format >= 0.5),
            Result(f"export a bundle, {label} (fsync, read back, verify)",
                   mb_per_s(size, t_export), f"`age` {mb_per_s(size, t_age)}",
                   t_age / t_export, "≥ 0.5x `age`", t_age / t_export >= 0.5),
            Result(f"export a bundle, {label}, against the same durable steps with `age`",
                   mb_per_s(size, t_export),
                   f"`age`, fsync, `sha256sum` {mb_per_s(size, t_age_durable)}",
                   t_age_durable / t_export, "-", None),
            Result(f"open and verify a bundle, {label}", mb_per_s(size, t_open),
                   f"`age -d` {mb_per_s(size, t_age_d)}", t_age_d / t_open, "-", None),
        ]  # fmt: skip
    else:
        print("`age` is not installed: its baseline is skipped", file=sys.stderr)
    if shutil.which("gpg"):
        gpg = Gpg(folder / "gnupg")
        gpg_out = folder / "gpg.out"
        gpg_repeat = 1 if size >= GIB else repeat
        t_gpg = median_seconds(lambda: gpg.sign_encrypt(source, gpg_out, compress=True), gpg_repeat)
        t_gpg0 = median_seconds(
            lambda: gpg.sign_encrypt(source, gpg_out, compress=False), gpg_repeat
        )
        results += [
            Result(f"export a bundle, {label}, against gpg", mb_per_s(size, t_export),
                   f"`gpg --sign --encrypt` {mb_per_s(size, t_gpg)}", t_gpg / t_export,
                   "≥ 3x faster", t_gpg / t_export >= 3),
            Result(f"export a bundle, {label}, against gpg without compression",
                   mb_per_s(size, t_export),
                   f"`gpg -z 0 --sign --encrypt` {mb_per_s(size, t_gpg0)}",
                   t_gpg0 / t_export, "-", None),
        ]  # fmt: skip
    else:
        print("`gpg` is not installed: its baseline is skipped", file=sys.stderr)
    results.append(
        Result("raw ChaCha20-Poly1305, 64 KiB chunks (the cipher alone)",
               mb_per_s(size, t_chacha), "-", None, "-", None)
    )  # fmt: skip
    return results


def memory(folder: Path, size: int) -> list[Result]:
    """Peak resident memory growth in a child process (ru_maxrss is per process)."""
    child = subprocess.run(
        [sys.executable, "-m", "benchmarks.bundle_memory_child", str(folder), str(size)],
        capture_output=True, text=True, check=True, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "tests" / "fast_kdf_site")},
    )  # fmt: skip
    figures = json.loads(child.stdout)
    label = f"{size // MIB} MiB"
    results = []
    for step, name in (
        ("vault_export", f"peak memory growth, exporting {label} of attachments from a vault"),
        ("write", f"peak memory growth, writing a bundle of {label}"),
        ("read", f"peak memory growth, opening and verifying a bundle of {label}"),
    ):
        growth = figures[step] / 1024
        results.append(
            Result(name, f"{growth:.1f} MiB", f"{figures['baseline'] / 1024:.0f} MiB at start",
                   None, "< 64 MiB", growth < 64)
        )  # fmt: skip
    seconds = figures["vault_export_seconds"]
    results.append(
        Result(f"export {label} of attachments from a vault (end to end)",
               mb_per_s(size, seconds), "-", None, "-", None,
               ["reads the attachment out of the SQLCipher vault, then writes, fsyncs, reads "
                "back and verifies the bundle"])
    )  # fmt: skip
    return results


def run(quick: bool = False) -> None:
    size = 64 * MIB if quick else GIB
    repeat = 3
    with tempfile.TemporaryDirectory(prefix="fieldkit-bench-bundle-") as tmp:
        folder = Path(tmp)
        (folder / "speed").mkdir()
        results = throughput(folder / "speed", size, repeat)
        shutil.rmtree(folder / "speed")
        (folder / "memory").mkdir()
        results += memory(folder / "memory", size)
    report("Bundles", results)
