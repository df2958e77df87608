"""What the templates and static files may not hold, and what vendored libraries must carry.

The CSP already refuses inline script and style; these checks catch them before a browser does:
no ``<script>`` with code in it, no ``style=`` attribute, no ``on...=`` handler, no
``javascript:`` address, and nothing loaded from another site (``http://`` or ``https://``).
Each folder of ``static/vendor/`` names its package, version, source and the SHA-256 of every
file in ``VENDORED.txt``, next to the package's ``LICENSE``.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from fieldkit.hq.web.static import STATIC
from fieldkit.hq.web.templating import TEMPLATES

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.I)
STYLE_ELEMENT = re.compile(r"<style\b", re.I)
HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
JAVASCRIPT_URL = re.compile(r"javascript:", re.I)
REMOTE = re.compile(r"https?://", re.I)
NAMESPACE = re.compile(r"""\sxmlns(?::\w+)?\s*=\s*["']https?://[^"']*["']""", re.I)
"""An XML namespace (an SVG's ``xmlns="http://www.w3.org/2000/svg"``) is a name, not a load."""
OWN_TEXT = (".html", ".css", ".js", ".mjs", ".svg", ".json")


def template_problems(text: str) -> list[str]:
    text = NAMESPACE.sub(" ", text)
    found = []
    for name, pattern in (
        ("inline <script>", INLINE_SCRIPT),
        ("style attribute", STYLE_ATTRIBUTE),
        ("<style> element", STYLE_ELEMENT),
        ("on...= handler", HANDLER),
        ("javascript: address", JAVASCRIPT_URL),
        ("http(s):// address", REMOTE),
    ):
        if pattern.search(text):
            found.append(name)
    return found


def vendor_problems(vendor: Path) -> list[str]:
    """What the vendored folders under ``vendor`` lack (an empty list when all is well)."""
    problems: list[str] = []
    if not vendor.is_dir():
        return problems
    for folder in sorted(p for p in vendor.iterdir() if p.is_dir()):
        licence = [p for p in folder.iterdir() if p.name.upper().startswith(("LICENSE", "LICENCE"))]
        if not licence:
            problems.append(f"{folder.name}: no LICENSE file")
        record = folder / "VENDORED.txt"
        if not record.is_file():
            problems.append(f"{folder.name}: no VENDORED.txt")
            continue
        text = record.read_text("utf-8")
        for field in ("package", "version", "source"):
            if not re.search(rf"^{field}\s*:\s*\S", text, re.I | re.M):
                problems.append(f"{folder.name}: VENDORED.txt gives no {field}")
        listed = {
            name: digest
            for digest, name in re.findall(r"^([0-9a-f]{64})\s+\*?(\S+)\s*$", text, re.M)
        }
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            relative = path.relative_to(folder).as_posix()
            if relative == "VENDORED.txt":
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if listed.get(relative) != digest:
                problems.append(f"{folder.name}: {relative} is not listed with its SHA-256")
    return problems


def _own_files() -> list[Path]:
    vendor = STATIC / "vendor"
    files = list(TEMPLATES.rglob("*.html"))
    files += [
        p
        for p in STATIC.rglob("*")
        if p.is_file() and p.suffix in OWN_TEXT and vendor not in p.parents
    ]
    return sorted(files)


def test_templates_and_own_assets_have_no_inline_code_nor_remote_addresses() -> None:
    files = _own_files()
    assert any(p.name == "base.html" for p in files)
    problems = {
        str(p.relative_to(TEMPLATES.parent)): template_problems(p.read_text("utf-8")) for p in files
    }
    assert {name: found for name, found in problems.items() if found} == {}


def test_vendored_assets_load_nothing_remote() -> None:
    vendor = STATIC / "vendor"
    loads = re.compile(r"""(?:import\s*\(?|from\s|url\()\s*["']?https?://""", re.I)
    for path in sorted(vendor.rglob("*")) if vendor.is_dir() else []:
        if path.is_file() and path.suffix in (".js", ".mjs", ".css"):
            assert not loads.search(path.read_text("utf-8", "replace")), path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('<script src="/static/js/a.js"></script>', []),
        ("<script>alert(1)</script>", ["inline <script>"]),
        ('<p style="color: red">', ["style attribute"]),
        ('<button onclick="go()">', ["on...= handler"]),
        ('<a href="https://example.org/">', ["http(s):// address"]),
        ("<style>p {}</style>", ["<style> element"]),
        ('<svg xmlns="http://www.w3.org/2000/svg">', []),
    ],
)
def test_the_template_check_finds_each_kind(text: str, expected: list[str]) -> None:
    assert template_problems(text) == expected


def test_the_vendored_folders_are_complete() -> None:
    assert vendor_problems(STATIC / "vendor") == []


def test_the_vendor_check_passes_empty_and_fails_incomplete(tmp_path: Path) -> None:
    vendor = tmp_path / "vendor"
    assert vendor_problems(vendor) == []
    vendor.mkdir()
    assert vendor_problems(vendor) == []
    library = vendor / "library"
    library.mkdir()
    (library / "library.js").write_text("export const x = 1;\n")
    assert vendor_problems(vendor) == ["library: no LICENSE file", "library: no VENDORED.txt"]
    (library / "LICENSE").write_text("MIT\n")
    lines = ["package: library", "version: 1.0.0", "source: npm"]
    (library / "VENDORED.txt").write_text("\n".join(lines) + "\n")
    assert vendor_problems(vendor) == [
        "library: LICENSE is not listed with its SHA-256",
        "library: library.js is not listed with its SHA-256",
    ]
    for name in ("LICENSE", "library.js"):
        digest = hashlib.sha256((library / name).read_bytes()).hexdigest()
        lines.append(f"{digest}  {name}")
    (library / "VENDORED.txt").write_text("\n".join(lines) + "\n")
    assert vendor_problems(vendor) == []
    (library / "library.js").write_text("export const x = 2;\n")  # changed since
    assert vendor_problems(vendor) == ["library: library.js is not listed with its SHA-256"]
