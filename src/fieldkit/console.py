"""What fieldkit's command-line programs share: exit codes, errors, passphrases, output.

``fieldkit-cli`` (the device) and ``fieldkit-hq`` (headquarters) behave alike: exit 0 on
success, 1 with one line on stderr when they refuse or fail, 2 for a usage error (argparse), and
never a traceback. A passphrase comes from an environment variable, a file, or a prompt. Untrusted
text is cleaned of control characters before it reaches a terminal.

This module sits low in the layers (beside ``files`` and ``errors``) so that both programs can use
it: headquarters code may not import the device's CLI.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import logging.handlers
import os
import sys
import traceback
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from fieldkit import __version__
from fieldkit.errors import FieldkitError, InvalidInputError, did_you_mean, reading_file
from fieldkit.files import make_private_dir
from fieldkit.hardening import no_crash_dumps
from fieldkit.i18n import _, set_language

MAX_PASSPHRASE_FILE = 4096
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
DETAIL = "fieldkit_detail"
"""Marks a log record (``extra={DETAIL: True}``) that holds where a failure happened: it goes to
the log file, and to stderr only with --verbose."""
LOG_MAX_BYTES = 1_000_000
_installed: list[logging.Handler] = []


# -- running a command ------------------------------------------------------------------------


class Context(Protocol):
    """What a program's commands share (a vault, a repository...); closed after the command."""

    def close(self) -> None: ...


class Parser(argparse.ArgumentParser):
    """argparse with fieldkit's usage messages: a value that is not one of the choices (a command,
    a status...) gets the closest valid one ("Did you mean ...?") and the list of all of them; a
    list of commands has a help text of its own."""

    def add_subparsers(self, **kwargs: Any) -> Any:
        kwargs.setdefault(
            "help", _("one of the commands below; add --help after it to read about it")
        )
        return super().add_subparsers(**kwargs)

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        # argparse calls this for each value of an argument with choices (commands too).
        if action.choices is None or value in action.choices:
            return
        known = [str(choice) for choice in action.choices]
        given = str(value)[:80]
        raise argparse.ArgumentError(
            action,
            _("invalid choice: '{value}'.").format(value=given)
            + did_you_mean(given, known)
            + " "
            + _("Choose from: {choices}.").format(choices=", ".join(known)),
        )


def new_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """A parser with the options every fieldkit program has: --version and --verbose."""
    parser = Parser(prog=prog, description=description)
    parser.add_argument("--version", action="version", version=f"fieldkit {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help=_("log progress to stderr (never content)")
    )
    return parser


def main(
    prog: str,
    parser: Callable[[], argparse.ArgumentParser],
    context: Callable[[argparse.Namespace], Context],
    argv: Sequence[str] | None,
    log: logging.Logger,
    log_file: Path | None = None,
) -> int:
    """Parse ``argv`` (exit 2 on a usage error), run the command's ``handler(context)``, and
    return its exit status (see :func:`run`). Details of unexpected failures go to
    ``log_file`` (see :func:`start`). Before anything, core and crash dumps are turned off."""
    no_crash_dumps()
    set_language()
    args = parser().parse_args(argv)
    details = start(args.verbose, log_file)
    opened = context(args)
    try:
        return run(prog, lambda: args.handler(opened), log, details)
    finally:
        opened.close()


def start(verbose: bool, log_file: Path | None = None) -> Path | None:
    """What every command does first: files private to the user; warnings (and with --verbose,
    progress) on stderr; and, when ``log_file`` can be written, everything from INFO on into that
    file (ids, counts and error types only: never content). Returns the log file, or None."""
    os.umask(0o077)
    root = logging.getLogger()
    for handler in _installed:  # a second start in the same process (tests) replaces the first
        root.removeHandler(handler)
        handler.close()
    _installed.clear()
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(logging.INFO if verbose else logging.WARNING)
    stderr.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    if not verbose:
        stderr.addFilter(lambda record: not getattr(record, DETAIL, False))
    _installed.append(stderr)
    written: Path | None = None
    if log_file is not None:
        try:
            make_private_dir(log_file.parent)
            to_file = logging.handlers.RotatingFileHandler(
                log_file, maxBytes=LOG_MAX_BYTES, backupCount=3, encoding="utf-8"
            )
        except OSError:
            pass  # no log file: details of a failure then show with --verbose only
        else:
            to_file.setLevel(logging.INFO)
            to_file.setFormatter(
                logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
            )
            _installed.append(to_file)
            written = log_file
    for handler in _installed:
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    return written


def run(
    prog: str,
    work: Callable[[], int | None],
    log: logging.Logger,
    details: Path | None = None,
) -> int:
    """Run ``work`` and turn what it raises into an exit status and one line on stderr. Where an
    unexpected failure happened goes to the log (``details``, the log file, if there is one)."""
    try:
        return int(work() or EXIT_OK)
    except FieldkitError as exc:
        fail(prog, exc.user_message)
        return EXIT_FAILED
    except BrokenPipeError:
        # The reader went away (``... list | head``): not a failure of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        fail(prog, _("interrupted; nothing was changed by the unfinished step."))
        return EXIT_INTERRUPTED
    except Exception as exc:
        _log_unexpected(log, exc)
        kind = type(exc).__name__
        if details is not None:
            message = _(
                "unexpected failure ({kind}); nothing was changed by the unfinished step. "
                "Details are in {log}."
            ).format(kind=kind, log=details)
        else:
            message = _(
                "unexpected failure ({kind}); nothing was changed by the unfinished step. "
                "Run the command again with -v to see where it failed."
            ).format(kind=kind)
        fail(prog, message)
        return EXIT_FAILED


def fail(prog: str, message: str) -> None:
    print(f"{prog}: {' '.join(message.split())}", file=sys.stderr)


def _log_unexpected(log: logging.Logger, exc: BaseException) -> None:
    """Record where an unexpected failure happened, without its message (it might quote
    content): to the log file, and to stderr only with --verbose."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("unexpected %s\n%s", type(exc).__name__, frames, extra={DETAIL: True})


# -- files the user names ---------------------------------------------------------------------


def read_small_file(untrusted_path: Path, limit: int) -> bytes:
    """The bytes of a small file (a key, an enrolment, a receipt), refused beyond ``limit``."""
    with reading_file(untrusted_path), untrusted_path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise InvalidInputError(
            _("{name}: too large for this kind of file.").format(name=untrusted_path.name)
        )
    return data


# -- passphrases ------------------------------------------------------------------------------


def read_passphrase_file(path: Path) -> str:
    """The first line of ``path``, without its line ending."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_PASSPHRASE_FILE + 1)
    except OSError as exc:
        raise InvalidInputError(
            _("{path}: cannot read the passphrase file ({reason}).").format(
                path=path, reason=exc.strerror
            )
        ) from None
    if len(data) > MAX_PASSPHRASE_FILE:
        raise InvalidInputError(_("{path}: too large for a passphrase file.").format(path=path))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError(
            _("{path}: the passphrase file is not UTF-8 text.").format(path=path)
        ) from None
    line = text.splitlines()[0] if text else ""
    if not line:
        raise InvalidInputError(_("{path}: the passphrase file is empty.").format(path=path))
    return line


def given_passphrase(env: str, passphrase_file: str | None) -> str | None:
    """The passphrase from the environment variable ``env``, else from ``passphrase_file``."""
    from_env = os.environ.get(env)
    if from_env:
        return from_env
    if passphrase_file:
        return read_passphrase_file(Path(passphrase_file))
    return None


def prompt_passphrase(label: str, *, env: str, twice: bool = False) -> str:
    """Ask on the terminal; without one, say where else the passphrase can come from."""
    if not sys.stdin.isatty():
        raise InvalidInputError(
            _(
                "No passphrase given: set {env}, use --passphrase-file, or run in a terminal."
            ).format(env=env)
        )
    first = getpass.getpass(label)
    if twice:
        second = getpass.getpass(_("Repeat the passphrase: "))
        if first != second:
            raise InvalidInputError(
                _("The two passphrases differ. Type the same passphrase twice.")
            )
    return first


def can_ask() -> bool:
    """Whether a question can be put to a person: stdin and stderr are a terminal."""
    return sys.stdin.isatty() and sys.stderr.isatty()


def confirm(question: str) -> bool:
    """A yes/no question on the terminal (False without one, or for anything but yes)."""
    if not can_ask():
        return False
    print(question + " " + _("[y/N]"), end=" ", file=sys.stderr, flush=True)
    answer = sys.stdin.readline().strip().lower()
    return answer in {"y", "yes", _("y"), _("yes")}


# -- output -----------------------------------------------------------------------------------


def emit_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2, sort_keys=True)
    sys.stdout.write("\n")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def clean(text: Any) -> str:
    """Untrusted text for a terminal: control characters (escape sequences) become spaces."""
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cf") else ch for ch in str(text))


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[clean(h) for h in headers], *[[clean(c) for c in row] for row in rows]]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]
    for index, row in enumerate(cells):
        line = "  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row))
        print(line.rstrip())
        if index == 0:
            print("  ".join("-" * w for w in widths))


def pairs(items: Sequence[tuple[str, Any]]) -> None:
    width = max((_width(k) for k, _v in items), default=0)
    for key, value in items:
        print(f"{clean(key)}{' ' * (width - _width(key))}  {clean(value)}")
