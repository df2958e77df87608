"""Checksums and detached signatures of the installers.

Each installer gets a line in ``dist/SHA256SUMS`` (the format ``sha256sum -c`` reads) and, when
``FIELDKIT_MINISIGN_KEY`` names a minisign secret key, a detached signature ``FILE.minisig``
beside it, made by ``minisign -S``. A key protected by a password (the release key) asks for it on
the terminal; the throw-away key of ``make package-test`` has none. Anyone verifies with
``minisign -Vm FILE -P PUBLIC_KEY`` (docs/packaging.md).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

KEY_ENV = "FIELDKIT_MINISIGN_KEY"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums_and_signatures(installers: list[Path], dist: Path) -> Path:
    """Write ``dist/SHA256SUMS`` for ``installers`` (keeping the lines of other files already
    listed there) and sign each installer when a key is given. Returns SHA256SUMS."""
    sums = dist / "SHA256SUMS"
    lines: dict[str, str] = {}
    if sums.exists():
        for line in sums.read_text(encoding="utf-8").splitlines():
            digest, _, name = line.partition("  ")
            if name and (dist / name).exists():
                lines[name] = digest
    for path in installers:
        lines[path.name] = sha256(path)
    sums.write_text(
        "".join(f"{digest}  {name}\n" for name, digest in sorted(lines.items())), encoding="utf-8"
    )
    key = os.environ.get(KEY_ENV)
    if key:
        minisign = shutil.which("minisign")
        if minisign is None:
            raise SystemExit(f"{KEY_ENV} is set but minisign is not installed")
        for path in [*installers, sums]:
            subprocess.run(
                [minisign, "-S", "-s", key, "-m", str(path), "-t", f"fieldkit {path.name}"],
                check=True,
            )
    return sums
