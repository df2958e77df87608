"""The help and usage errors of fieldkit-cli and fieldkit-hq: every command, subcommand and
argument is described, in the user's language; a mistyped command, choice or form id gets the
closest valid one."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fieldkit.cli.main import _parser as cli_parser
from fieldkit.hq.cli.main import _parser as hq_parser
from fieldkit.i18n import set_language
from tests.cli.conftest import Run

PROGRAMS: dict[str, Callable[[], argparse.ArgumentParser]] = {
    "fieldkit-cli": cli_parser,
    "fieldkit-hq": hq_parser,
}
ARGPARSE_OWN = (argparse._HelpAction, argparse._VersionAction)
"""Actions argparse describes itself (-h, --version)."""


def _described(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, str | None]]:
    """``(where, help)`` for every argument, option, command and subcommand under ``parser``."""
    for action in parser._actions:
        where = f"{path} {'/'.join(action.option_strings) or action.metavar or action.dest}"
        if not isinstance(action, ARGPARSE_OWN):
            yield where, action.help
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield f"{path} {name}", helps.get(name)
                yield from _described(sub, f"{path} {name}")


def _walk(program: str, language: str) -> dict[str, str | None]:
    set_language(language)
    try:
        return dict(_described(PROGRAMS[program](), program))
    finally:
        set_language("en")


@pytest.mark.parametrize("program", PROGRAMS)
def test_every_command_and_argument_has_a_help_text(program: str) -> None:
    described = _walk(program, "en")
    assert len(described) > 40 if program == "fieldkit-cli" else len(described) > 20
    missing = [where for where, text in described.items() if not text or text == argparse.SUPPRESS]
    assert missing == []


@pytest.mark.parametrize("program", PROGRAMS)
def test_every_help_text_is_translated(program: str) -> None:
    english, french = _walk(program, "en"), _walk(program, "fr")
    assert english.keys() == french.keys()
    same = [where for where in english if english[where] == french[where]]
    assert same == []


def test_the_walk_finds_an_argument_without_help() -> None:
    parser = argparse.ArgumentParser(prog="p")
    sub = parser.add_subparsers(dest="command", help="commands")
    sub.add_parser("go", help="go somewhere").add_argument("where")
    assert dict(_described(parser, "p"))["p go where"] is None


def test_a_mistyped_command_gets_the_closest_one_and_the_list(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from fieldkit.cli.main import main

    with pytest.raises(SystemExit) as exited:
        main(["enrol", "hq.fke"])
    assert exited.value.code == 2
    error = capsys.readouterr().err.splitlines()[-1]
    assert "invalid choice: 'enrol'. Did you mean 'enroll'?" in error
    assert "Choose from: init, status," in error and "receipt, sync." in error


def test_an_invalid_choice_lists_the_valid_codes(capsys: pytest.CaptureFixture[str]) -> None:
    from fieldkit.hq.cli.main import main

    with pytest.raises(SystemExit) as exited:
        main(["export", "--format", "pdf", "--out", "x"])
    assert exited.value.code == 2
    error = capsys.readouterr().err.splitlines()[-1]
    assert error.endswith("invalid choice: 'pdf'. Choose from: xlsx, csv, geojson, jsonl.")


def test_a_mistyped_form_id_gets_the_closest_installed_form(run: Run, tmp_path: Path) -> None:
    run("record", "new", "illicit-market-obs", code=1)
    assert "No form 'illicit-market-obs' in this vault." in run.err
    assert "Did you mean 'illicit-market-observation'?" in run.err
    run("record", "new", "zzzz", code=1)
    assert "Did you mean" not in run.err and "forms list" in run.err
