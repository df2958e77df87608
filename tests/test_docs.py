"""The tests that docs/security.md names as holding each promise exist: a renamed or removed test
cannot leave a promise pointing at nothing."""

from __future__ import annotations

import ast
import fnmatch
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)?(?:::([\w*]+))?`")


def _references(text: str) -> list[tuple[str, str | None]]:
    """``(file, test name or pattern)`` for each `tests/...py::name` and each `::name` that
    follows one in the same paragraph or table row."""
    found: list[tuple[str, str | None]] = []
    for block in re.split(r"\n\s*\n|\n\|", text):
        current: str | None = None
        for match in REFERENCE.finditer(block):
            path, name = match.groups()
            if path is None and name is None:
                continue
            current = path or current
            assert current is not None, f"'::{name}' names no file before it"
            found.append((current, name))
    return found


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test")
    }


def test_every_test_named_in_the_security_page_exists() -> None:
    references = _references((ROOT / "docs" / "security.md").read_text(encoding="utf-8"))
    assert len(references) > 30
    for file, name in references:
        path = ROOT / file
        assert path.is_file(), file
        if name is not None:
            assert fnmatch.filter(_test_names(path), name), f"{file}::{name}"


def test_a_missing_test_would_be_found() -> None:
    refs = _references("`tests/test_docs.py::test_nothing_like_this`, `::test_every_*`")
    names = _test_names(ROOT / "tests" / "test_docs.py")
    assert refs == [
        ("tests/test_docs.py", "test_nothing_like_this"),
        ("tests/test_docs.py", "test_every_*"),
    ]
    assert not fnmatch.filter(names, "test_nothing_like_this")
    assert fnmatch.filter(names, "test_every_*")
