"""Fetch axe-core, the accessibility checker of the workspace's browser tests, from npm.

    python scripts/vendor_axe_core.py           fetch the pinned package, check, write it
    python scripts/vendor_axe_core.py --check   check the files already vendored (no network)

axe-core is a test-only asset: it goes to ``tests/hq/web/vendor/axe-core/`` (with its licence,
MPL-2.0, as ``LICENSE`` and a ``VENDORED.txt``) and the tests inject it into the page with
Playwright; ``fieldkit-hq web`` never serves it. Fetched and checked as
``scripts/vendor_map_assets.py`` does (the tarball's integrity and every file's SHA-256 pinned).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "tests" / "hq" / "web" / "vendor" / "axe-core"


def _vendoring() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "vendor_map_assets", Path(__file__).with_name("vendor_map_assets.py")
    )
    if spec is None or spec.loader is None:
        raise SystemExit("scripts/vendor_map_assets.py is missing")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("vendor_map_assets", module)  # its dataclass looks its module up
    spec.loader.exec_module(module)
    return module


vendoring = _vendoring()
AXE = vendoring.Package(
    "axe-core",
    "4.14.1",
    "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
    (
        ("LICENSE", "LICENSE", "af175b9d96ee93c21a036152e1b905b0b95304d4ae8c2c921c7609100ba8df7e"),
        (
            "axe.min.js",
            "axe.min.js",
            "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c",
        ),
    ),
    folder=str(TARGET),  # absolute: outside the served static folder
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="check the vendored files only")
    args = parser.parse_args(argv)
    notes = vendoring.vendored_txt(AXE).replace(
        "scripts/vendor_map_assets.py", "scripts/vendor_axe_core.py"
    )
    if args.check:
        problems = [p for p in vendoring.check(AXE) if "VENDORED.txt" not in p]
        if (TARGET / "VENDORED.txt").read_text(encoding="utf-8") != notes:
            problems.append("tests/hq/web/vendor/axe-core/VENDORED.txt is stale")
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    try:
        with tempfile.TemporaryDirectory() as folder:
            tarball = vendoring.npm_pack(AXE.name, AXE.version, Path(folder)).read_bytes()
            files = vendoring.package_files(AXE, tarball)
        vendoring.write(AXE, files)
    except vendoring.VendorError as error:
        print(error, file=sys.stderr)
        return 1
    (TARGET / "VENDORED.txt").write_text(notes, encoding="utf-8")
    print(f"{AXE.name} {AXE.version}: {len(files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
