"""The vendored charting libraries are exactly what scripts/vendor_web_assets.py fetched: each
folder holds its LICENSE and a VENDORED.txt whose SHA-256 list matches every file in it."""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "vendor_web_assets.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("vendor_web_assets", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["vendor_web_assets"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


VENDORING = _script()


@pytest.mark.parametrize("package", VENDORING.PACKAGES, ids=lambda package: package.name)
def test_a_vendored_package_matches_its_record(package: Any) -> None:
    name, version = package.name, package.version
    folder: Path = VENDORING.VENDOR / name
    record = (folder / "VENDORED.txt").read_text()
    assert f"package: {name}\n" in record and f"version: {version}\n" in record
    assert f"source: npm, https://registry.npmjs.org/{name}/-/{name}-{version}.tgz" in record
    pairs = re.findall(r"^([0-9a-f]{64})  (\S+)$", record, re.M)
    listed = {file: digest for digest, file in pairs}
    present = {path.name for path in folder.iterdir() if path.is_file()}
    assert "LICENSE" in listed
    assert present == {*listed, "VENDORED.txt"}
    for file, digest in listed.items():
        assert hashlib.sha256((folder / file).read_bytes()).hexdigest() == digest, file
