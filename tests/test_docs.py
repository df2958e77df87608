"""The tests that docs/security.md names as holding each promise exist: a renamed or removed test
cannot leave a promise pointing at nothing."""

from __future__ import annotations

import argparse
import ast
import fnmatch
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

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


def _readme_entries(program: str) -> list[str]:
    """The README's command lines for ``program``: each starts with its name; indented lines
    below one continue it."""
    entries: list[str] = []
    for block in re.findall(r"```text\n(.*?)```", (ROOT / "README.md").read_text("utf-8"), re.S):
        for line in block.splitlines():
            if line.startswith(program + " "):
                entries.append(line)
            elif line.startswith(" ") and entries and entries[-1].startswith(program + " "):
                entries[-1] += " " + line.strip()
    return entries


def _leaves(
    parser: argparse.ArgumentParser, words: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    subcommands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subcommands:
        yield words, parser
    for action in subcommands:
        for name, sub in action.choices.items():
            yield from _leaves(sub, (*words, name))


def _names(parser: argparse.ArgumentParser) -> list[tuple[str, ...]]:
    """What the README must show of a command: each option (by any of its names) and argument."""
    shown: list[tuple[str, ...]] = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        shown.append(tuple(action.option_strings) or (str(action.metavar or action.dest.upper()),))
    return shown


@pytest.mark.parametrize("program", ["fieldkit-cli", "fieldkit-hq"])
def test_the_readme_shows_every_command_with_its_options(program: str) -> None:
    from fieldkit.cli.main import _parser as cli_parser
    from fieldkit.hq.cli.main import _parser as hq_parser

    parser = {"fieldkit-cli": cli_parser, "fieldkit-hq": hq_parser}[program]()
    entries = _readme_entries(program)
    readme = (ROOT / "README.md").read_text("utf-8")
    for names in _names(parser):  # the options every command takes
        assert any(name in readme for name in names), (program, names)
    for (first, *rest), command in _leaves(parser):
        found = [
            entry
            for entry in entries
            if entry.split()[1] == first and all(word in entry.split() for word in rest)
        ]
        assert found, f"{program} {first} {' '.join(rest)} is not in the README"
        for names in _names(command):
            assert any(name in entry for entry in found for name in names), (program, first, names)
