"""Forms HQ publishes to its devices: publish (sign) and list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fieldkit.console import clean, emit_json, table
from fieldkit.hq import publishing
from fieldkit.hq.cli.context import HqContext
from fieldkit.i18n import _, current_language


def register(commands: Any) -> None:
    p = commands.add_parser("forms", help=_("publish forms, signed, for enrolled devices"))
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    publisher = sub.add_parser(
        "publish",
        help=_("sign a fieldkit form (YAML) with the headquarters key; write forms/ID-VERSION.fkf"),
    )
    publisher.add_argument(
        "file",
        type=Path,
        metavar="FILE",
        help=_("a fieldkit form (.yaml); convert an XLSForm first with fieldkit-cli"),
    )
    publisher.add_argument(
        "--vocabularies",
        type=Path,
        metavar="DIR",
        help=_("the vocabularies the form names (default: the vocabularies folder beside FILE)"),
    )
    publisher.set_defaults(handler=cmd_forms_publish)
    lister = sub.add_parser("list", help=_("the forms headquarters published, each verified"))
    lister.add_argument("--json", action="store_true", help=_("print JSON"))
    lister.set_defaults(handler=cmd_forms_list)


def cmd_forms_publish(ctx: HqContext) -> int:
    secret = ctx.keys()  # first: a wrong passphrase signs nothing
    result = publishing.publish(
        ctx.paths, secret.signing_key, ctx.args.file, vocabularies=ctx.args.vocabularies
    )
    names = {"id": result.form.form_id, "version": result.form.version, "path": result.path}
    if result.new:
        print(clean(_("Published form '{id}' version {version}: {path}").format(**names)))
    else:
        print(
            clean(_("Form '{id}' version {version} was published already: {path}").format(**names))
        )
    return 0


def cmd_forms_list(ctx: HqContext) -> int:
    config = ctx.config()
    files = publishing.published(ctx.paths, config.signing_public_key)
    if ctx.args.json:
        emit_json(
            [
                {
                    "file": item.path.name,
                    "id": item.form.form_id if item.form else None,
                    "version": item.form.version if item.form else None,
                    "sha256": item.form.sha256 if item.form else None,
                    "published": item.form.published if item.form else None,
                    "problem": item.problem,
                }
                for item in files
            ]
        )
        return 0
    table(
        [_("id"), _("version"), _("title"), _("published"), _("file")],
        [
            [
                item.form.form_id,
                item.form.version,
                item.form.definition.localized_title(current_language()),
                item.form.published,
                item.path.name,
            ]
            if item.form
            else ["", "", clean(item.problem), "", item.path.name]
            for item in files
        ],
    )
    return 0
