"""The files under ``resources/``: the application icon, the desktop entry, their packaging."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from PySide6.QtGui import QIcon

from fieldkit.app import application_icon
from fieldkit.services.locations import resources_dir, shipped_dir

ROOT = Path(__file__).resolve().parents[2]
DESKTOP = ROOT / "resources" / "fieldkit.desktop"


def _entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def test_the_icon_loads_and_draws_something(qapp: object) -> None:
    icon = application_icon()
    assert not icon.isNull()
    image = icon.pixmap(64, 64).toImage()
    assert image.width() == 64
    centre = image.pixelColor(32, 40)
    corner = image.pixelColor(0, 0)
    assert centre.alpha() == 255 and corner.alpha() == 0  # the shield, on a transparent ground


def test_the_app_window_carries_the_icon(qapp: object) -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    before = app.windowIcon()
    try:
        app.setWindowIcon(application_icon())
        assert not app.windowIcon().isNull()
    finally:
        app.setWindowIcon(before if not before.isNull() else QIcon())


def test_the_desktop_entry_starts_fieldkit_with_its_icon_in_three_languages() -> None:
    entry = _entry()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert entry["Type"] == "Application"
    assert entry["Exec"] in scripts
    assert (resources_dir() / "icons" / f"{entry['Icon']}.svg").is_file()
    assert entry["StartupWMClass"] == "fieldkit"  # what app.setDesktopFileName gives the window
    for key in ("GenericName", "Comment"):
        for language in ("fr", "ar"):
            assert entry[f"{key}[{language}]"].strip() and entry[f"{key}[{language}]"] != entry[key]
    assert entry["Categories"].endswith(";")


@pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None,
    reason="desktop-file-validate is not installed (Debian: apt-get install desktop-file-utils)",
)
def test_the_desktop_entry_passes_the_freedesktop_validator() -> None:
    done = subprocess.run(
        ["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout


def test_every_shipped_folder_is_packaged_under_the_name_the_code_looks_for() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    included = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert included == {"forms": "fieldkit/shipped_forms", "resources": "fieldkit/resources"}
    for source, target in included.items():
        assert shipped_dir(source, target.removeprefix("fieldkit/")) == ROOT / source
        assert (ROOT / source).is_dir()
