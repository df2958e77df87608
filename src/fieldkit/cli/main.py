"""``fieldkit-cli``: exit 0 on success, 1 with one line on stderr when refused, 2 for usage."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Sequence

from fieldkit import __version__
from fieldkit.errors import FieldkitError
from fieldkit.i18n import _, set_language

PROG = "fieldkit-cli"
log = logging.getLogger("fieldkit.cli")


def _parser() -> argparse.ArgumentParser:
    from fieldkit.cli import commands_bundles, commands_forms, commands_records, commands_vault

    parser = argparse.ArgumentParser(
        prog=PROG,
        description=_("fieldkit on the command line: the encrypted vault, forms and records."),
    )
    parser.add_argument("--version", action="version", version=f"fieldkit {__version__}")
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
    parser.add_argument(
        "-v", "--verbose", action="store_true", help=_("log progress to stderr (never content)")
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    commands_vault.register(commands)
    commands_forms.register(commands)
    commands_records.register(commands)
    commands_bundles.register(commands)
    return parser


def _log_unexpected(exc: BaseException) -> None:
    """Record an unexpected failure without its message, which might quote content."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("unexpected %s\n%s", type(exc).__name__, frames)


def main(argv: Sequence[str] | None = None) -> int:
    os.umask(0o077)
    set_language()
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    from fieldkit.cli.context import Context

    context = Context(args)
    try:
        result = args.handler(context)
        return int(result or 0)
    except FieldkitError as exc:
        print(f"{PROG}: {exc.user_message}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (``fieldkit-cli record list | head``): not a failure of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(
            f"{PROG}: " + _("interrupted; nothing was changed by the unfinished step."),
            file=sys.stderr,
        )
        return 130
    except Exception as exc:
        _log_unexpected(exc)
        print(
            f"{PROG}: "
            + _("unexpected failure ({kind}); nothing was changed by the unfinished step.").format(
                kind=type(exc).__name__
            ),
            file=sys.stderr,
        )
        return 1
    finally:
        context.close()


if __name__ == "__main__":
    sys.exit(main())
