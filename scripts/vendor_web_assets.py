"""Fetch the workspace's charting libraries from the npm registry at pinned versions.

    python scripts/vendor_web_assets.py          fetch, check, write static/vendor/<package>/
    python scripts/vendor_web_assets.py --check  fetch, check, and compare with what is committed
                                                 (exit 1 on any difference)

Each package is fetched with ``npm pack NAME@VERSION`` (npm's own client, into a temporary
folder); the tarball must match the pinned ``sha512`` integrity, then only its minified build
and its LICENSE are copied to ``src/fieldkit/hq/web/static/vendor/<package>/`` with a
``VENDORED.txt`` naming the package, version, source and the SHA-256 of every file.

vega-embed's minified build carries vega-interpreter (its dependency), the expression
interpreter that ``ast: true`` uses instead of ``eval`` under the workspace's CSP; the
vega-interpreter folder therefore holds its LICENSE and the record of that version.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "src" / "fieldkit" / "hq" / "web" / "static" / "vendor"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str
    """npm's ``sha512-...`` integrity of the tarball."""
    files: tuple[str, ...]
    """Paths inside the tarball's ``package/`` folder to copy (flattened into the folder)."""
    note: str = ""


PACKAGES = (
    Package(
        "vega",
        "6.4.0",
        "sha512-rHXCq2LpEWCLMjXBEj7hocY9G0/i5TGYRayGGSj06VTF4+l2IG2Z7"
        "oeZKCjWbUh/7hTE/mVhbaOPB72wCElh6g==",
        ("build/vega.min.js", "LICENSE"),
    ),
    Package(
        "vega-lite",
        "6.5.0",
        "sha512-fMXF6s0MrIg0UTWnLIfeFtgSLzVhyzSKobzGrh5rhS+mL6FOYFG3m"
        "7ouJ4U23gj65EK+gl9FIIT5w7wLNaAzkA==",
        ("build/vega-lite.min.js", "LICENSE"),
    ),
    Package(
        "vega-embed",
        "7.3.0",
        "sha512-wQ8s5GaSzqoKgmRfbRolgBrjE2CP7ZKHXqH7NijxMqPjpdWxSs4Dn"
        "8tvp9g0giQvh2cK+3p56sxjWWM0wNngGw==",
        ("build/vega-embed.min.js", "LICENSE"),
        "vega-embed.min.js bundles vega-interpreter 2.3.2, vega-tooltip and vega-themes.",
    ),
    Package(
        "vega-interpreter",
        "2.3.2",
        "sha512-JDAoi3taFcCDLujZG84TNNUXdkAZ5WsSHssx8lWVYaxb9Slsjk7v7"
        "PtRIYXpSlUwLaKGRBqoJ9KDs36Z0eMEIw==",
        ("LICENSE",),
        "Its code ships inside vega-embed.min.js (vega-embed 7.3.0 depends on vega-interpreter "
        "^2.3.2); the package publishes no minified build of its own.",
    ),
)


def fetch(package: Package, into: Path) -> Path:
    """The package's tarball from the npm registry, checked against the pinned integrity."""
    spec = f"{package.name}@{package.version}"
    subprocess.run(
        ["npm", "pack", spec, "--silent", "--pack-destination", str(into)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    tarball = into / f"{package.name}-{package.version}.tgz"
    digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if f"sha512-{digest}" != package.integrity:
        raise SystemExit(f"{spec}: the tarball's integrity is not the pinned one; stopping.")
    return tarball


def contents(package: Package, tarball: Path) -> dict[str, bytes]:
    """The files to vendor, by their name in the vendor folder."""
    out: dict[str, bytes] = {}
    with tarfile.open(tarball) as archive:
        for path in package.files:
            member = archive.extractfile(f"package/{path}")
            if member is None:
                raise SystemExit(f"{package.name}: {path} is missing from the tarball.")
            out[Path(path).name] = member.read()
    return out


def record(package: Package, files: dict[str, bytes]) -> str:
    lines = [
        f"package: {package.name}",
        f"version: {package.version}",
        f"source: npm, https://registry.npmjs.org/{package.name}/-/"
        f"{package.name}-{package.version}.tgz",
        f"integrity: {package.integrity}",
    ]
    if package.note:
        lines.append(f"note: {package.note}")
    lines.append("sha256 (as sha256sum -c reads it):")
    for name in sorted(files):
        lines.append(f"{hashlib.sha256(files[name]).hexdigest()}  {name}")
    return "\n".join(lines) + "\n"


def expected(package: Package, tarball: Path) -> dict[str, bytes]:
    files = contents(package, tarball)
    files["VENDORED.txt"] = record(package, files).encode()
    return files


def committed(folder: Path) -> dict[str, bytes]:
    if not folder.is_dir():
        return {}
    return {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="compare with the committed files, write nothing"
    )
    args = parser.parse_args(argv)
    differences = 0
    with tempfile.TemporaryDirectory() as temp:
        for package in PACKAGES:
            files = expected(package, fetch(package, Path(temp)))
            folder = VENDOR / package.name
            if args.check:
                if committed(folder) != files:
                    print(f"{package.name}: differs from {package.name}@{package.version}")
                    differences += 1
                continue
            folder.mkdir(parents=True, exist_ok=True)
            for stale in set(committed(folder)) - set(files):
                (folder / stale).unlink()
            for name, data in files.items():
                (folder / name).write_bytes(data)
            print(f"{package.name} {package.version}: {', '.join(sorted(files))}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
