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


def _import_cycles(package: str) -> list[tuple[str, str]]:
    """Pairs of modules of ``package`` that each import the other, directly or through others
    (imports inside functions count: they are cycles all the same)."""
    import grimp

    graph = grimp.build_graph("fieldkit", cache_dir=None)
    modules = sorted(m for m in graph.modules if m.startswith(package + "."))
    cycles = []
    for importer in modules:
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if imported.startswith(package + ".") and graph.chain_exists(imported, importer):
                cycles.append((importer, imported))
    return cycles


def test_the_services_import_one_another_without_cycles() -> None:
    assert _import_cycles("fieldkit.services") == []


def test_a_cycle_between_services_is_found(tree: Path) -> None:
    path = tree / "src" / "fieldkit" / "services" / "vaults.py"
    path.write_text(path.read_text() + "\nfrom fieldkit.services import passphrases  # planted\n")
    found = subprocess.run(
        [sys.executable, "-c", "from tests.test_architecture import _import_cycles as c; "
         "print(c('fieldkit.services'))"],
        cwd=ROOT, env={"PYTHONPATH": f"{tree / 'src'}:{ROOT}", "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "('fieldkit.services.passphrases', 'fieldkit.services.vaults')" in found
