"""``fieldkit-cli``: exit 0 on success, 1 with one line on stderr when refused, 2 for usage."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from fieldkit import console
from fieldkit.i18n import _

PROG = "fieldkit-cli"
LOG_FILE = "fieldkit-cli.log"
log = logging.getLogger("fieldkit.cli")


def _parser() -> argparse.ArgumentParser:
    from fieldkit.cli import (
        commands_bundles,
        commands_forms,
        commands_records,
        commands_sync,
        commands_vault,
    )

    parser = console.new_parser(
        PROG, _("fieldkit on the command line: the encrypted vault, forms and records.")
    )
    parser.add_argument(
        "--vault",
        metavar="DIR",
        help=_("vault folder (default: $FIELDKIT_VAULT, else your data folder)"),
    )
    parser.add_argument(
        "--passphrase-file",
        metavar="FILE",
        help=_(
            "read the passphrase from the first line of FILE "
            "(else $FIELDKIT_PASSPHRASE or a prompt)"
        ),
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands_vault.register(commands)
    commands_forms.register(commands)
    commands_records.register(commands)
    commands_bundles.register(commands)
    commands_sync.register(commands)
    return parser


def _context(args: argparse.Namespace) -> console.Context:
    from fieldkit.cli.context import Context

    return Context(args)


def log_file() -> Path:
    """Where fieldkit-cli logs (ids, counts and error types; never content)."""
    from fieldkit.services.locations import log_dir

    return log_dir() / LOG_FILE


def main(argv: Sequence[str] | None = None) -> int:
    return console.main(PROG, _parser, _context, argv, log, log_file())


if __name__ == "__main__":
    sys.exit(main())
