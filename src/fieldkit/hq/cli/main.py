"""``fieldkit-hq``: exit 0 on success, 1 with one line on stderr when refused, 2 for usage."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from fieldkit import console
from fieldkit.hq.paths import DB_ENV, HQ_ENV, PASSPHRASE_ENV
from fieldkit.i18n import _

PROG = "fieldkit-hq"
log = logging.getLogger("fieldkit.hq.cli")


def _parser() -> argparse.ArgumentParser:
    from fieldkit.hq.cli import (
        commands_analysis,
        commands_devices,
        commands_export,
        commands_forms,
        commands_indicators,
        commands_ingest,
        commands_records,
        commands_review,
        commands_serve,
        commands_setup,
        commands_users,
        commands_victims,
        commands_web,
    )

    parser = console.new_parser(
        PROG,
        _(
            "fieldkit headquarters: keys, enrolled devices, bundle ingest, receipts, exports, "
            "published forms."
        ),
    )
    parser.add_argument(
        "--hq",
        metavar="DIR",
        help=_("headquarters folder (default: ${env}, else your data folder)").format(env=HQ_ENV),
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        help=_(
            "repository: sqlite:///FILE or postgresql+psycopg://USER@HOST/DB (default: ${env}, "
            "else hq.sqlite3 in the headquarters folder)"
        ).format(env=DB_ENV),
    )
    parser.add_argument(
        "--passphrase-file",
        metavar="FILE",
        help=_(
            "read the headquarters passphrase from the first line of FILE (else ${env} or a prompt)"
        ).format(env=PASSPHRASE_ENV),
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands_setup.register(commands)
    commands_devices.register(commands)
    commands_ingest.register(commands)
    commands_records.register(commands)
    commands_export.register(commands)
    commands_review.register(commands)
    commands_victims.register(commands)
    commands_forms.register(commands)
    commands_serve.register(commands)
    commands_analysis.register(commands)
    commands_indicators.register(commands)
    commands_users.register(commands)
    commands_web.register(commands)
    return parser


def _context(args: argparse.Namespace) -> console.Context:
    from fieldkit.hq.cli.context import HqContext

    return HqContext(args)


def main(argv: Sequence[str] | None = None) -> int:
    return console.main(PROG, _parser, _context, argv, log)


if __name__ == "__main__":
    sys.exit(main())
