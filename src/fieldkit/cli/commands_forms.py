"""Form commands: list, validate, import-xlsform, install (also a form signed by HQ)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldkit.cli.output import clean, emit_json, table
from fieldkit.errors import InvalidInputError
from fieldkit.files import atomic_write_bytes
from fieldkit.i18n import _, ngettext

if TYPE_CHECKING:
    from fieldkit.cli.context import Context

# The services (and through them the vault and SQLAlchemy) are imported by the commands that
# use them, not when the parser is built: `fieldkit-cli --help` does not load them.


def _form_file(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        type=Path,
        metavar="FILE",
        help=_("a form file: YAML, or an XLSForm (.xlsx, .xls or .csv)"),
    )


def register(commands: Any) -> None:
    p = commands.add_parser("forms", help=_("list, check, import and install forms"))
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    lister = sub.add_parser("list", help=_("the forms installed in the vault"))
    lister.add_argument("--json", action="store_true", help=_("print JSON"))
    lister.set_defaults(handler=cmd_list)

    checker = sub.add_parser("validate", help=_("check a form definition (YAML or XLSForm)"))
    _form_file(checker)
    checker.set_defaults(handler=cmd_validate)

    importer = sub.add_parser(
        "import-xlsform",
        help=_("convert an XLSForm to fieldkit YAML; report what was not carried over"),
    )
    importer.add_argument(
        "file", type=Path, metavar="FILE", help=_("an XLSForm (.xlsx, .xls or .csv)")
    )
    importer.add_argument(
        "--out", type=Path, metavar="FILE", help=_("write the YAML to this file (default: stdout)")
    )
    importer.set_defaults(handler=cmd_import_xlsform)

    installer = sub.add_parser(
        "install", help=_("add a form (YAML, XLSForm, or a .fkf signed by HQ) to the vault")
    )
    installer.add_argument(
        "file",
        type=Path,
        metavar="FILE",
        help=_(
            "a form file: YAML, an XLSForm (.xlsx, .xls or .csv), or a form signed by "
            "headquarters (.fkf), installed only if signed by the HQ this device is enrolled with"
        ),
    )
    installer.set_defaults(handler=cmd_install)


def cmd_list(ctx: Context) -> int:
    from fieldkit.services import forms as form_service

    forms = form_service.list_installed(ctx.vault(), ctx.language)
    if ctx.args.json:
        emit_json([f.to_json() for f in forms])
        return 0
    table(
        [_("id"), _("version"), _("title"), _("fields"), _("offered"), _("source")],
        [
            [
                f.form_id,
                f.version,
                f.title,
                f.fields,
                _("yes") if f.current else _("no"),
                _("signed by HQ") if f.signed_by else _("local file"),
            ]
            for f in forms
        ],
    )
    return 0


@contextlib.contextmanager
def _every_problem_listed(path: Path) -> Iterator[None]:
    """A form with several problems: every one on stdout, one per line (as `audit verify` lists
    its findings); the one line on stderr says how many there are and that the form cannot be
    used. A single problem is the line on stderr itself."""
    from fieldkit.domain.formfile import FormError

    try:
        yield
    except FormError as exc:
        if len(exc.problems) > 1:
            for line in exc.lines():
                print(clean(line))
            sys.stdout.flush()
            raise InvalidInputError(
                _("{name}: {n} problems; the form cannot be used.").format(
                    name=path.name, n=len(exc.problems)
                )
            ) from None
        raise


def cmd_validate(ctx: Context) -> int:
    from fieldkit.services import forms as form_service

    with _every_problem_listed(ctx.args.file):
        form, dropped = form_service.validate_file(ctx.args.file)
    _report_dropped(dropped)
    fields = sum(1 for _ in form.walk())
    print(
        _("{name}: valid form '{id}' version {version}, {n} fields.").format(
            name=ctx.args.file.name, id=form.id, version=form.version, n=fields
        )
    )
    return 0


def cmd_import_xlsform(ctx: Context) -> int:
    from fieldkit.services import forms as form_service
    from fieldkit.services.xlsform import convert_xlsform

    source: Path = ctx.args.file
    conversion = convert_xlsform(source, vocabularies=form_service.shipped_vocabularies().resolve)
    text = conversion.to_yaml()
    out: Path | None = ctx.args.out
    if out is not None:
        if out.exists() and out.is_dir():
            raise InvalidInputError(_("{path}: is a folder; give a file name.").format(path=out))
        if not out.parent.is_dir():
            raise InvalidInputError(_("{path}: its folder does not exist.").format(path=out))
        atomic_write_bytes(out, text.encode("utf-8"), mode=0o644)
    else:
        sys.stdout.write(text)
    _report_dropped([item.describe() for item in conversion.dropped])
    if out is not None:
        written = _("{path}: form '{id}' version {version} written.").format(
            path=out, id=conversion.form.id, version=conversion.form.version
        )
        print(f"{written} {_not_carried_over(len(conversion.dropped))}")
    return 0


def _not_carried_over(n: int) -> str:
    return ngettext("{n} item not carried over.", "{n} items not carried over.", n).format(n=n)


def _report_dropped(descriptions: list[str]) -> None:
    for description in descriptions:
        print(clean(_("not carried over: {what}").format(what=description)), file=sys.stderr)


def cmd_install(ctx: Context) -> int:
    from fieldkit.services import forms as form_service

    vault = ctx.vault()
    with _every_problem_listed(ctx.args.file):
        result = form_service.install_file(vault, ctx.args.file)
    _report_dropped(list(result.not_carried_over))
    if result.installed and result.signed_by:
        print(
            _("Installed form '{id}' version {version}, signed by headquarters.").format(
                id=result.form_id, version=result.version
            )
        )
    elif result.installed:
        print(
            _("Installed form '{id}' version {version}.").format(
                id=result.form_id, version=result.version
            )
        )
    else:
        print(
            _("Form '{id}' version {version} was already installed.").format(
                id=result.form_id, version=result.version
            )
        )
    return 0
