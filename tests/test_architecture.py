"""The layer contract of ``make lint`` holds, and fails when a lower layer imports a higher one."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree / "src"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "src" / "fieldkit",
        tmp_path / "src" / "fieldkit",
        ignore=shutil.ignore_patterns("__pycache__", "locale", "shipped_forms"),
    )
    return tmp_path


def test_the_layers_hold(tree: Path) -> None:
    result = _lint(tree)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("module", "bad_import", "contract"),
    [
        ("domain/forms.py", "import fieldkit.vault.store", "Layers point one way"),
        ("vault/store.py", "import fieldkit.services.records", "Layers point one way"),
        ("services/records.py", "import fieldkit.cli.main", "Layers point one way"),
        ("services/records.py", "import PySide6.QtCore", "Only the GUI imports Qt"),
        ("domain/values.py", "import sqlalchemy", "The domain does no I/O and knows no storage"),
        ("hq/__init__.py", "import fieldkit.vault.store", "HQ uses only domain, crypto and bundle"),
    ],
)
def test_a_wrong_way_import_breaks_the_contract(
    tree: Path, module: str, bad_import: str, contract: str
) -> None:
    path = tree / "src" / "fieldkit" / module
    path.write_text(path.read_text() + f"\n{bad_import}  # planted by the test\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert f"{contract} BROKEN" in result.stdout
