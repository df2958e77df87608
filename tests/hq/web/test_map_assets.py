"""The map's shipped assets: the vendored libraries and the basemap are the pinned files, the
basemap carries the codes fieldkit counts by, and nothing is loaded from outside."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fieldkit.domain.places import all_first_level

ROOT = Path(__file__).resolve().parents[3]
STATIC = ROOT / "src" / "fieldkit" / "hq" / "web" / "static"
BASEMAP = STATIC / "basemap" / "basemap.topojson"


@pytest.mark.parametrize("script", ["vendor_map_assets.py", "make_basemap.py"])
def test_the_shipped_files_are_the_pinned_ones(script: str) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / script), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("package", ["leaflet", "leaflet.markercluster", "topojson-client"])
def test_each_vendored_package_has_its_licence_and_record(package: str) -> None:
    folder = STATIC / "vendor" / package
    assert (folder / "LICENSE").read_text("utf-8").strip()
    record = (folder / "VENDORED.txt").read_text("utf-8")
    assert f"package: {package}\n" in record and "source: npm registry" in record
    for path in folder.rglob("*"):
        if path.is_file() and path.name != "VENDORED.txt":
            assert str(path.relative_to(folder)) in record, path


def test_the_basemap_is_small_and_coded() -> None:
    assert BASEMAP.stat().st_size < 3_000_000
    topology = json.loads(BASEMAP.read_text("utf-8"))
    places = topology["objects"]["admin1"]["geometries"]
    countries = topology["objects"]["countries"]["geometries"]
    codes = {shape["properties"]["code"] for shape in places} - {""}
    assert {"ML-7", "ML-6", "NE-8", "BF-01", "FR-ARA"} <= codes  # FR-ARA: departments merged
    assert all(isinstance(shape["properties"]["x"], float | int) for shape in places)
    assert {"MLI", "NER", "BFA", "FRA"} <= {c["properties"]["country"] for c in countries}
    first_level = {place.code for place in all_first_level()}
    assert codes <= first_level
    assert len(codes) > 0.8 * len(first_level)


def test_the_map_page_and_script_load_nothing_from_outside() -> None:
    texts = [
        (STATIC / "js" / "map.js").read_text("utf-8"),
        (STATIC / "css" / "map.css").read_text("utf-8"),
        (ROOT / "src/fieldkit/hq/web/templates/map/map.html").read_text("utf-8"),
    ]
    for text in texts:
        assert not re.search(r"https?://", text)
