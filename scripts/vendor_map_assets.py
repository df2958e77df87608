"""Fetch the map's third-party assets from the npm registry into the workspace's static folder.

    python scripts/vendor_map_assets.py           fetch the pinned packages, check, write them
    python scripts/vendor_map_assets.py --check   check the files already vendored (no network)

Each package is fetched with ``npm pack NAME@VERSION`` (the registry's tarball), its integrity
(SHA-512) compared with the pinned one, and each file taken is compared with its pinned SHA-256
before anything is written. The files go to ``src/fieldkit/hq/web/static/vendor/<package>/``
with the package's licence as ``LICENSE`` and a ``VENDORED.txt`` naming the package, its
version, where it came from and the SHA-256 of every file. Nothing is extracted to disk but the
pinned files; a package or file that does not match its pin stops the script with a one-line
error and changes nothing.

To move to a new version: change the version, the integrity (``npm view NAME@VERSION
dist.integrity``) and the hashes, run the script, and look at the change before committing it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import shutil
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
    """The registry's ``dist.integrity`` of the tarball (``sha512-<base64>``)."""
    files: tuple[tuple[str, str, str], ...]
    """(path in the tarball, path in the vendor folder, SHA-256)."""
    folder: str = ""

    @property
    def target(self) -> Path:
        return VENDOR / (self.folder or self.name)


PACKAGES = (
    Package(
        "leaflet",
        "1.9.4",
        "sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA==",
        (
            (
                "LICENSE",
                "LICENSE",
                "53e8dc25862014e4324741ca18fbe3611e11d42ef69f59f86ea8c5389647d4cb",
            ),
            (
                "dist/leaflet.js",
                "leaflet.js",
                "db49d009c841f5ca34a888c96511ae936fd9f5533e90d8b2c4d57596f4e5641a",
            ),
            (
                "dist/leaflet.css",
                "leaflet.css",
                "a7837102824184820dfa198d1ebcd109ff6d0ff9a2672a074b9a1b4d147d04c6",
            ),
            (
                "dist/images/layers.png",
                "images/layers.png",
                "1dbbe9d028e292f36fcba8f8b3a28d5e8932754fc2215b9ac69e4cdecf5107c6",
            ),
            (
                "dist/images/layers-2x.png",
                "images/layers-2x.png",
                "066daca850d8ffbef007af00b06eac0015728dee279c51f3cb6c716df7c42edf",
            ),
            (
                "dist/images/marker-icon.png",
                "images/marker-icon.png",
                "574c3a5cca85f4114085b6841596d62f00d7c892c7b03f28cbfa301deb1dc437",
            ),
            (
                "dist/images/marker-icon-2x.png",
                "images/marker-icon-2x.png",
                "00179c4c1ee830d3a108412ae0d294f55776cfeb085c60129a39aa6fc4ae2528",
            ),
            (
                "dist/images/marker-shadow.png",
                "images/marker-shadow.png",
                "264f5c640339f042dd729062cfc04c17f8ea0f29882b538e3848ed8f10edb4da",
            ),
        ),
    ),
    Package(
        "leaflet.markercluster",
        "1.5.3",
        "sha512-vPTw/Bndq7eQHjLBVlWpnGeLa3t+3zGiuM7fJwCkiMFq+nmRuG3RI3f7f4N4TDX7T4NpbAXpR2+NTRSEGfCSeA==",
        (
            (
                "MIT-LICENCE.txt",
                "LICENSE",
                "3133dacd38250bd1f524d8166cc60a016a382522e062fce143691c65bf5e4b3d",
            ),
            (
                "dist/leaflet.markercluster.js",
                "leaflet.markercluster.js",
                "1e4e1d22972a3926f48598e0caf14e3fe7049835d428a344fed4f9e3665b3508",
            ),
            (
                "dist/MarkerCluster.css",
                "MarkerCluster.css",
                "614dea0a98ff3f4ead74f04918f6b1d1b9ba435c25b5fc23b21a394d1e3e4d87",
            ),
            (
                "dist/MarkerCluster.Default.css",
                "MarkerCluster.Default.css",
                "61258232d98d64dc2a7b1e02130d67421bc5b9bda5994eef70228ff97570c170",
            ),
        ),
    ),
    Package(
        "topojson-client",
        "3.1.0",
        "sha512-605uxS6bcYxGXw9qi62XyrV6Q3xwbndjachmNxu8HWTtVPxZfEJN9fd/SZS1Q54Sn2y0TMyMxFj/cJINqGHrKw==",
        (
            (
                "LICENSE",
                "LICENSE",
                "4c4d15b635e04e691825a76db7d33f7f2033b55669a7430011694f31e6c65999",
            ),
            (
                "dist/topojson-client.min.js",
                "topojson-client.min.js",
                "25cd02ae486cc5063e0215a4e4cfb15de83700c87ac48bac4d57dc6aaf3ebb89",
            ),
        ),
    ),
)


NO_NPM = "npm is not installed: install Node.js and npm (Debian: apt-get install npm)."


class VendorError(Exception):
    """A package or file that does not match its pin, or npm failing: one line."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def npm_pack(name: str, version: str, folder: Path) -> Path:
    """The registry's tarball of ``name@version``, fetched by npm into ``folder``."""
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError(NO_NPM)
    done = subprocess.run(
        [npm, "pack", f"{name}@{version}", "--json", "--pack-destination", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise VendorError(f"npm pack {name}@{version} failed: {last}")
    return folder / json.loads(done.stdout)[0]["filename"]


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def package_files(package: Package, tarball: bytes) -> dict[str, bytes]:
    """The pinned files of the tarball, each checked: {vendor path: bytes}."""
    if integrity(tarball) != package.integrity:
        raise VendorError(f"{package.name}@{package.version}: the tarball is not the pinned one.")
    found: dict[str, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for source, target, digest in package.files:
            member = archive.extractfile(f"package/{source}")
            if member is None:
                raise VendorError(f"{package.name}@{package.version}: {source} is not a file.")
            data = member.read()
            if sha256(data) != digest:
                raise VendorError(f"{package.name}@{package.version}: {source} is not pinned.")
            found[target] = data
    return found


def vendored_txt(package: Package) -> str:
    lines = [
        f"package: {package.name}",
        f"version: {package.version}",
        f"source: npm registry, {package.name}@{package.version} ({package.integrity})",
        "fetched by: scripts/vendor_map_assets.py",
        "taken from the package:",
    ]
    lines += [f"  {target} <- {source}" for source, target, _digest in package.files]
    lines.append("files (SHA-256, as sha256sum writes them):")
    lines += [f"{digest}  {target}" for _source, target, digest in package.files]
    return "\n".join(lines) + "\n"


def write(package: Package, files: dict[str, bytes]) -> None:
    target = package.target
    if target.exists():
        shutil.rmtree(target)
    for name, data in files.items():
        path = target / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (target / "VENDORED.txt").write_text(vendored_txt(package), encoding="utf-8")


def check(package: Package) -> list[str]:
    """What differs between the vendor folder and the pins (empty when all is well)."""
    problems = []
    for _source, target, digest in package.files:
        path = package.target / target
        if not path.is_file():
            problems.append(f"{path.relative_to(ROOT)} is missing")
        elif sha256(path.read_bytes()) != digest:
            problems.append(f"{path.relative_to(ROOT)} is not the pinned file")
    notes = package.target / "VENDORED.txt"
    if not notes.is_file() or notes.read_text(encoding="utf-8") != vendored_txt(package):
        problems.append(f"{notes.relative_to(ROOT)} is missing or stale")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="check the vendored files only")
    args = parser.parse_args(argv)
    if args.check:
        problems = [problem for package in PACKAGES for problem in check(package)]
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    try:
        with tempfile.TemporaryDirectory() as folder:
            fetched = []
            for package in PACKAGES:
                tarball = npm_pack(package.name, package.version, Path(folder)).read_bytes()
                fetched.append((package, package_files(package, tarball)))
        for package, files in fetched:  # all checked before anything is written
            write(package, files)
            print(f"{package.name} {package.version}: {len(files)} files")
    except VendorError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
