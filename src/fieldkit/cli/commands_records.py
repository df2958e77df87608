"""Record commands: new, import, list, show, finalize, amend."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import json
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldkit.cli.output import clean, emit_json, pairs, table
from fieldkit.domain.forms import FieldDef, FieldType, FormDefinition, label_sort_key
from fieldkit.domain.records import RecordStatus
from fieldkit.domain.values import AnswerError, normalize
from fieldkit.i18n import _
from fieldkit.services.datafiles import read_json_lines, read_json_object

if TYPE_CHECKING:
    from fieldkit.cli.context import Context

# The services (and through them the vault and SQLAlchemy) are imported by the commands that
# use them, not when the parser is built: `fieldkit-cli --help` does not load them.

MASK = "••••••"


def _attachment(value: str) -> tuple[str | None, Path]:
    field, sep, path = value.partition("=")
    if sep and field.isidentifier():
        return field, Path(path)
    return None, Path(value)


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(_("expects a whole number")) from None
    if number < 1:
        raise argparse.ArgumentTypeError(_("expects a number of at least 1"))
    return number


_DATE_BOUND = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def _date_bound(value: str) -> str:
    """A date to filter on: YYYY, YYYY-MM or YYYY-MM-DD, and a real one (not 2026-13-45)."""
    match = _DATE_BOUND.fullmatch(value.strip())
    if match:
        year, month, day = (int(part) if part else 1 for part in match.groups())
        try:
            dt.date(year, month, day)
        except ValueError:
            match = None
    if not match:
        raise argparse.ArgumentTypeError(
            _(
                "'{value}' is not a date; give YYYY, YYYY-MM or YYYY-MM-DD, such as 2026-03-14"
            ).format(value=value[:40])
        )
    return value.strip()


def _record_id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "record_id", metavar="ID", help=_("the record's id, or its first 6 or more characters")
    )


def _form_id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "form_id", metavar="FORM_ID", help=_("the form's id, as 'forms list' shows it")
    )


def register(commands: Any) -> None:
    p = commands.add_parser("record", help=_("create, find, show, seal and amend records"))
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    new = sub.add_parser("new", help=_("a new record; prints its id"))
    _form_id(new)
    new.add_argument(
        "--data", type=Path, metavar="FILE.json", help=_("answers keyed by field name")
    )
    new.add_argument(
        "--attach",
        type=_attachment,
        action="append",
        default=[],
        metavar="[FIELD=]FILE",
        help=_("attach a file (to FIELD, else the form's first attachment field); repeatable"),
    )
    new.add_argument("--final", action="store_true", help=_("seal it at once"))
    new.set_defaults(handler=cmd_new)

    imp = sub.add_parser("import", help=_("one record per JSON line; prints the count"))
    _form_id(imp)
    imp.add_argument(
        "file",
        type=Path,
        metavar="FILE.jsonl",
        help=_("JSON Lines: one object of answers, keyed by field name, per line"),
    )
    imp.add_argument("--final", action="store_true", help=_("seal every record"))
    imp.set_defaults(handler=cmd_import)

    lister = sub.add_parser("list", help=_("records, newest first; all matches unless --limit"))
    lister.add_argument("--form", metavar="ID", help=_("only records of this form"))
    lister.add_argument(
        "--status",
        choices=[s.value for s in RecordStatus],
        help=_("only records in this state: {states}").format(
            states=", ".join(s.value for s in RecordStatus)
        ),
    )
    lister.add_argument("--search", metavar="TEXT", help=_("words to find anywhere in a record"))
    lister.add_argument(
        "--from",
        dest="date_from",
        type=_date_bound,
        metavar="DATE",
        help=_("event on or after DATE (YYYY, YYYY-MM or YYYY-MM-DD)"),
    )
    lister.add_argument(
        "--to",
        dest="date_to",
        type=_date_bound,
        metavar="DATE",
        help=_("event on or before DATE (YYYY, YYYY-MM or YYYY-MM-DD)"),
    )
    lister.add_argument("--limit", type=_positive, metavar="N", help=_("at most N records"))
    lister.add_argument("--json", action="store_true", help=_("print JSON"))
    lister.set_defaults(handler=cmd_list)

    show = sub.add_parser("show", help=_("a record's answers and revision history"))
    _record_id(show)
    show.add_argument("--json", action="store_true", help=_("print JSON"))
    show.add_argument("--reveal", action="store_true", help=_("show identifying answers"))
    show.set_defaults(handler=cmd_show)

    fin = sub.add_parser("finalize", help=_("seal a record's draft"))
    _record_id(fin)
    fin.set_defaults(handler=cmd_finalize)

    amend = sub.add_parser("amend", help=_("seal new answers as a new revision"))
    _record_id(amend)
    amend.add_argument(
        "--data",
        type=Path,
        required=True,
        metavar="FILE.json",
        help=_("the new answers, keyed by field name"),
    )
    amend.set_defaults(handler=cmd_amend)


@contextlib.contextmanager
def _every_problem_listed() -> Iterator[None]:
    """The one-line error shows at most a few problems; list every one on stdout before it."""
    from fieldkit.services.records import ValidationFailedError

    try:
        yield
    except ValidationFailedError as exc:
        for line in exc.lines():
            print(clean(line))
        sys.stdout.flush()
        raise


def cmd_new(ctx: Context) -> int:
    from fieldkit.services import records

    data = read_json_object(ctx.args.data) if ctx.args.data else {}
    with _every_problem_listed():
        record_id = records.create(
            ctx.vault(),
            ctx.args.form_id,
            data,
            attachments=ctx.args.attach,
            final=ctx.args.final,
            language=ctx.language,
        )
    print(record_id)
    return 0


def cmd_import(ctx: Context) -> int:
    # The key is derived in the background while the services load and the first lines are
    # read; the vault is opened with it only in the unlock's turn (vault/keyfile.py).
    ctx.begin_unlock()
    from fieldkit.services import records
    from fieldkit.vault import keyfile

    # What the program has loaded lives as long as it does: the collector need not look
    # through it again each time the records made meanwhile set it off.
    gc.freeze()
    path: Path = ctx.args.file
    lines = _read_ahead(read_json_lines(path), keyfile.deriving_early)
    vault = ctx.vault()
    with _every_problem_listed():
        n = records.import_lines(
            vault,
            ctx.args.form_id,
            lines,
            final=ctx.args.final,
            language=ctx.language,
        )
    print(n)
    return 0


def _read_ahead(
    lines: Iterator[tuple[int, Any]], waiting: Callable[[], bool]
) -> Iterator[tuple[int, Any]]:
    """``lines`` as they were, of which those read while ``waiting()`` holds are read now; a
    problem met in reading them is raised where it was met, after the lines before it."""
    ahead: list[tuple[int, Any]] = []
    problem: Exception | None = None
    try:
        while waiting():
            item = next(lines, None)
            if item is None:
                break
            ahead.append(item)
    except Exception as error:  # raised in its turn below
        problem = error
    return _chain(ahead, problem, lines)


def _chain(
    ahead: list[tuple[int, Any]], problem: Exception | None, rest: Iterator[tuple[int, Any]]
) -> Iterator[tuple[int, Any]]:
    ahead.reverse()
    while ahead:  # each line let go of once it is taken
        yield ahead.pop()
    if problem is not None:
        raise problem
    yield from rest


def cmd_list(ctx: Context) -> int:
    from fieldkit.services import records

    filters = records.RecordFilter(
        form_id=ctx.args.form,
        status=ctx.args.status,
        search=ctx.args.search,
        date_from=ctx.args.date_from,
        date_to=ctx.args.date_to,
    )
    items = records.list_items(ctx.vault(), filters, limit=ctx.args.limit)
    if ctx.args.json:
        emit_json([item.to_json() for item in items])
        return 0
    if not items:
        print(_("No records match."))
        return 0
    table(
        [_("id"), _("form"), _("status"), _("date"), _("place"), _("title")],
        [
            [
                item.id[:12],
                item.form_id,
                _(item.status) + ("*" if item.has_draft and item.revision_count else ""),
                item.event_date,
                item.place,
                item.title,
            ]
            for item in items
        ],
    )
    return 0


def _masked(form: FormDefinition, data: dict[str, Any]) -> dict[str, Any]:
    fields = form.fields_by_name()
    result: dict[str, Any] = {}
    for name, value in data.items():
        f = fields.get(name)
        if f is not None and f.type is FieldType.REPEAT and isinstance(value, list):
            result[name] = [
                _masked(form, item) if isinstance(item, dict) else item for item in value
            ]
        elif f is not None and form.is_identifying(name) and value is not None:
            result[name] = MASK
        else:
            result[name] = value
    return result


def _raw(value: Any) -> str:
    """An answer as it was given (a draft keeps what the user typed, read or not)."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _shown(form: FormDefinition, f: FieldDef, value: Any, language: str) -> str | None:
    """One answer for people; None when there is nothing to show.

    A sealed answer is stored normalised; a draft's answer is what the user typed (a position
    as "12.8420, -11.2360", DMS or MGRS, a number as text). Both go through the domain's
    normalisation; what it cannot read is shown as it was typed."""
    if value == MASK:
        return MASK
    try:
        stored = normalize(form, f, value)
    except AnswerError:
        return _raw(value)
    if stored is None:
        return None
    if f.type is FieldType.SELECT_ONE:
        return form.choice_label(f, stored, language)
    if f.type is FieldType.SELECT_MULTIPLE:
        labels = [form.choice_label(f, v, language) for v in stored]
        if form.choice_list_for(f).lists_countries:
            labels.sort(key=label_sort_key)
        return ", ".join(labels)
    if f.type is FieldType.GEOPOINT:
        precision = stored.get("precision_m")
        suffix = _(" (±{m} m)").format(m=precision) if precision is not None else ""
        return f"{stored['lat']}, {stored['lon']}{suffix}"
    if f.type is FieldType.ATTACHMENT:
        return ", ".join(f"{ref['name']} ({ref['size']} B, {ref['sha256'][:12]})" for ref in stored)
    return str(stored)


def _answer_lines(
    form: FormDefinition, fields: list[FieldDef], data: dict[str, Any], language: str, indent: str
) -> list[str]:
    """The answers to print, one line each (a multi-line answer is indented under its label). A
    group or repeat entry with nothing to show gets no heading."""
    lines: list[str] = []
    for f in fields:
        if f.type is FieldType.GROUP:
            inner = _answer_lines(form, f.fields, data, language, indent + "  ")
            if inner:
                lines.append(f"{indent}{clean(form.label(f, language))}")
                lines.extend(inner)
        elif f.type is FieldType.REPEAT:
            items = data.get(f.name) or []
            if not isinstance(items, list):  # a draft may hold anything a data file gave
                lines.append(f"{indent}{clean(form.label(f, language))}: {clean(_raw(items))}")
                continue
            for number, item in enumerate(items, start=1):
                if isinstance(item, dict):
                    inner = _answer_lines(form, f.fields, item, language, indent + "  ")
                else:
                    inner = [f"{indent}  {clean(_raw(item))}"]
                if inner:
                    lines.append(f"{indent}{clean(form.label(f, language))} {number}")
                    lines.extend(inner)
        elif f.type is not FieldType.NOTE and data.get(f.name) is not None:
            value = _shown(form, f, data[f.name], language)
            if value is None:
                continue
            text = (
                clean(value) if "\n" not in value else value.replace("\n", "\n" + indent + "    ")
            )
            lines.append(f"{indent}{clean(form.label(f, language))}: {text}")
    return lines


def cmd_show(ctx: Context) -> int:
    from fieldkit.services import records

    vault = ctx.vault()
    detail = records.detail(vault, ctx.args.record_id)
    form = records.form_of(vault, detail.item.id)

    def view(data: dict[str, Any] | None) -> dict[str, Any] | None:
        return data if data is None or ctx.args.reveal else _masked(form, data)

    if ctx.args.json:
        emit_json(detail.to_json() | {"draft": view(detail.draft), "data": view(detail.sealed)})
        return 0
    item = detail.item
    pairs(
        [
            (_("Record"), item.id),
            (_("Form"), f"{item.form_id} {item.form_version}"),
            (
                _("Status"),
                _(item.status)
                + (_(" (amendment in progress)") if item.has_draft and item.revision_count else ""),
            ),
            (_("Created"), item.created_at),
            (_("Updated"), item.updated_at),
        ]
    )
    if detail.revisions:
        print()
        table(
            [_("revision"), _("sealed"), _("device key"), _("status"), _("sha256"), _("signature")],
            [
                [
                    r.number,
                    r.sealed_at,
                    r.key_id[:12],
                    _(r.status),
                    r.sha256[:16],
                    _("purged")
                    if r.signature_valid is None
                    else (_("valid") if r.signature_valid else _("INVALID")),
                ]
                for r in detail.revisions
            ],
        )
    print()
    if detail.purged and detail.draft is None:
        print(
            _(
                "The content of this record was removed on this device after headquarters "
                "acknowledged it; its hashes and signatures are kept."
            )
        )
        return 0
    for line in _answer_lines(form, form.fields, view(detail.data) or {}, ctx.language, ""):
        print(line)
    return 0


def cmd_finalize(ctx: Context) -> int:
    from fieldkit.services import records

    with _every_problem_listed():
        revision = records.finalize(ctx.vault(), ctx.args.record_id, language=ctx.language)
    print(_("Sealed revision {n} ({sha}).").format(n=revision.number, sha=revision.sha256[:16]))
    return 0


def cmd_amend(ctx: Context) -> int:
    from fieldkit.services import records

    data = read_json_object(ctx.args.data)
    with _every_problem_listed():
        revision = records.amend(ctx.vault(), ctx.args.record_id, data, language=ctx.language)
    print(_("Sealed revision {n} ({sha}).").format(n=revision.number, sha=revision.sha256[:16]))
    return 0
