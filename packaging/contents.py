"""What a one-folder build of fieldkit must hold, checked on the built folder itself.

Used by ``build.py`` after PyInstaller and by ``package_test.py`` on the unpacked installer: a
build without SQLCipher's library, a translation or a shipped form is refused, whatever
PyInstaller said.
"""

from __future__ import annotations

import sys
from pathlib import Path

LANGUAGES = ("fr", "ar")
"""Languages whose compiled catalogue must ship (English is the source text)."""
PROGRAMS = ("fieldkit", "fieldkit-cli", "fieldkit-hq")


def internal_dir(root: Path) -> Path:
    """The folder holding the libraries: ``_internal`` beside the executables (one-folder
    build), or ``Contents/Frameworks`` in a macOS app bundle."""
    for candidate in (root / "_internal", root / "Contents" / "Frameworks"):
        if candidate.is_dir():
            return candidate
    return root / "_internal"


def source_forms(checkout: Path) -> list[str]:
    """The shipped forms and vocabularies of a source checkout, relative to ``forms/``."""
    forms = checkout / "forms"
    return sorted(
        str(path.relative_to(forms)).replace("\\", "/")
        for path in forms.rglob("*")
        if path.is_file()
    )


def problems(root: Path, checkout: Path, executables: Path | None = None) -> list[str]:
    """Everything missing from the build at ``root``, one line each (empty: complete).
    ``executables`` is where the programs are (default: ``root``)."""
    found: list[str] = []
    internal = internal_dir(root)
    package = internal / "fieldkit"
    bin_dir = executables or root
    suffix = ".exe" if sys.platform == "win32" else ""
    for program in PROGRAMS:
        if not (bin_dir / f"{program}{suffix}").exists():
            found.append(f"the program {program} is missing from {bin_dir}")
    extensions = [
        *internal.glob("sqlcipher3/_sqlite3*.so"),
        *internal.glob("sqlcipher3/_sqlite3*.pyd"),
    ]
    if not extensions:
        found.append(f"SQLCipher's library (sqlcipher3/_sqlite3) is missing from {internal}")
    elif not any(b"sqlcipher" in path.read_bytes() for path in extensions):
        found.append(f"{extensions[0]} is SQLite without SQLCipher")
    for language in LANGUAGES:
        catalogue = package / "locale" / language / "LC_MESSAGES" / "fieldkit.mo"
        if not catalogue.is_file() or catalogue.stat().st_size == 0:
            found.append(f"the {language} translation is missing: {catalogue}")
    shipped = package / "shipped_forms"
    for name in source_forms(checkout):
        if not (shipped / name).is_file():
            found.append(f"the shipped form file {name} is missing from {shipped}")
    if not (package / "resources" / "icons" / "fieldkit.svg").is_file():
        found.append(f"the icon is missing from {package / 'resources' / 'icons'}")
    for migrations in ("vault", "hq"):
        env = package / migrations / "migrations" / "env.py"
        if not env.is_file():
            found.append(f"the {migrations} database migrations are missing: {env}")
    return found
