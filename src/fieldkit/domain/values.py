"""Normalising one answer to the form the record stores.

``normalize(form, field, raw)`` turns what a user or a data file gave (``"12"``, ``"2026-03"``,
``"fauna_crimes"``, a DMS text) into the stored value (``12``, ``"2026-03"``,
``"gitoc-market:2023:fauna_crimes"``, ``{"lat": .., "lon": .., "precision_m": ..}``), or raises
:class:`AnswerError` with a message that names the rule. Empty answers become ``None``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from functools import partial
from typing import Any

from fieldkit.domain import places
from fieldkit.domain.forms import (
    VERSION_PATTERN,
    DatePrecision,
    FieldDef,
    FieldType,
    FormDefinition,
)
from fieldkit.domain.geo import GeoError, geopoint_from_value
from fieldkit.i18n import _

DEFAULT_TEXT_LENGTH = 10_000
DEFAULT_LONG_TEXT_LENGTH = 200_000
MAX_SAFE_INTEGER = 2**53 - 1
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
MEDIA_TYPE = re.compile(r"^[a-z0-9!#$&^_.+-]{1,64}/[a-z0-9!#$&^_.+-]{1,64}$")
_DATE_FORMS = {
    DatePrecision.YEAR: re.compile(r"^\d{4}$"),
    DatePrecision.MONTH: re.compile(r"^\d{4}-\d{2}$"),
    DatePrecision.DAY: re.compile(r"^\d{4}-\d{2}-\d{2}$"),
}
_DATE_PADDING = {DatePrecision.YEAR: "-01-01", DatePrecision.MONTH: "-01", DatePrecision.DAY: ""}
"""What makes a date of each precision a whole day, to check that it is a real date."""


class AnswerError(ValueError):
    """An answer that does not fit its field; ``rule`` names the broken rule."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _text(field: FieldDef, raw: object) -> str:
    if not isinstance(raw, str):
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise AnswerError("type", _("expects text"))
        raw = str(raw)
    if "\x00" in raw:
        raise AnswerError("type", _("text may not contain NUL characters"))
    limit = field.max_length or (
        DEFAULT_LONG_TEXT_LENGTH if field.type is FieldType.LONG_TEXT else DEFAULT_TEXT_LENGTH
    )
    if len(raw) > limit:
        raise AnswerError("max_length", _("is longer than {n} characters").format(n=f"{limit:,}"))
    if field.type is FieldType.TEXT:
        return raw.strip()
    return raw.rstrip()


def _integer(raw: Any) -> int:
    if isinstance(raw, bool):
        raise AnswerError("type", _("expects a whole number"))
    if isinstance(raw, int):
        value = raw
    elif (isinstance(raw, float) and raw.is_integer()) or (
        isinstance(raw, str) and re.fullmatch(r"\s*[-+]?\d{1,16}\s*", raw)
    ):
        value = int(raw)
    else:
        raise AnswerError("type", _("expects a whole number"))
    if abs(value) > MAX_SAFE_INTEGER:
        raise AnswerError("type", _("is too large a number"))
    return value


def _decimal(raw: Any) -> float | int:
    if isinstance(raw, bool):
        raise AnswerError("type", _("expects a number"))
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str) and len(raw) <= 40:
        try:
            value = float(raw.strip().replace(",", "."))
        except ValueError:
            raise AnswerError("type", _("expects a number")) from None
    else:
        raise AnswerError("type", _("expects a number"))
    if not math.isfinite(value) or abs(value) > 1e15:
        raise AnswerError("type", _("expects a finite number"))
    return int(value) if value.is_integer() and abs(value) <= MAX_SAFE_INTEGER else value


def _date(field: FieldDef, raw: Any) -> str:
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    if isinstance(raw, dt.date):
        raw = raw.isoformat()
    if not isinstance(raw, str):
        raise AnswerError("type", _("expects a date such as 2026-03-14"))
    text = raw.strip()
    for precision in field.date_precisions:
        if _DATE_FORMS[precision].match(text):
            padded = text + _DATE_PADDING[precision]
            try:
                dt.date.fromisoformat(padded)
            except ValueError:
                raise AnswerError(
                    "type", _("'{text}' is not a real date").format(text=text)
                ) from None
            return text
    allowed = ", ".join(
        {"day": "2026-03-14", "month": "2026-03", "year": "2026"}[p.value]
        for p in field.date_precisions
    )
    raise AnswerError("type", _("expects a date written as {forms}").format(forms=allowed))


def _datetime(raw: Any) -> str:
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, str) and len(raw) <= 40:
        try:
            value = dt.datetime.fromisoformat(raw.strip())
        except ValueError:
            raise AnswerError(
                "type", _("expects a date and time such as 2026-03-14T09:30:00+01:00")
            ) from None
    else:
        raise AnswerError("type", _("expects a date and time such as 2026-03-14T09:30:00+01:00"))
    return value.replace(microsecond=0).isoformat()


def _select_one(form: FormDefinition, field: FieldDef, raw: Any) -> str:
    if not isinstance(raw, str):
        raise AnswerError("type", _("expects one choice code"))
    choice_list = form.choice_list_for(field)
    choice = choice_list.find(raw.strip())
    if choice is None:
        if field.subdivision_of is not None:
            raise AnswerError(
                "choice",
                _("'{code}' is not an ISO 3166-2 region code such as ML-7").format(code=raw[:60]),
            )
        raise AnswerError("choice", _("'{code}' is not one of its choices").format(code=raw[:60]))
    if field.subdivision_of is not None:
        return _subdivision_answer(raw.strip(), choice.code)
    return choice_list.stored_code(choice.code)


def _subdivision_answer(raw: str, code: str) -> str:
    """A subdivision answer as stored: one stored under an earlier version of the data keeps
    that version (it names the list the answer was chosen from), others get the current one."""
    if places.is_stored_subdivision(raw):
        version = raw.split(":")[1]
        if re.fullmatch(VERSION_PATTERN, version):
            return f"{places.SUBDIVISION_VOCABULARY}:{version}:{code}"
    return places.stored_subdivision(code)


def _select_multiple(form: FormDefinition, field: FieldDef, raw: Any) -> list[str]:
    if isinstance(raw, str):
        raw = raw.split()
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise AnswerError("type", _("expects a list of choice codes"))
    choice_list = form.choice_list_for(field)
    stored: list[str] = []
    for item in raw:
        choice = choice_list.find(item.strip())
        if choice is None:
            raise AnswerError(
                "choice", _("'{code}' is not one of its choices").format(code=item[:60])
            )
        code = choice_list.stored_code(choice.code)
        if code not in stored:
            stored.append(code)
    return stored


def attachment_ref(raw: Any) -> dict[str, Any]:
    """Check one attachment reference: ``{"sha256", "name", "media_type", "size"}``."""
    if not isinstance(raw, dict) or set(raw) != {"sha256", "name", "media_type", "size"}:
        raise AnswerError(
            "type", _("an attachment is described by sha256, name, media_type and size")
        )
    sha, name, media_type, size = raw["sha256"], raw["name"], raw["media_type"], raw["size"]
    if not isinstance(sha, str) or not SHA256_HEX.match(sha):
        raise AnswerError("type", _("an attachment's sha256 must be 64 hexadecimal digits"))
    if not isinstance(name, str) or not 0 < len(name) <= 255 or "\x00" in name:
        raise AnswerError("type", _("an attachment needs a file name of at most 255 characters"))
    if not isinstance(media_type, str) or not MEDIA_TYPE.match(media_type):
        raise AnswerError("type", _("an attachment needs a media type such as image/jpeg"))
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise AnswerError("type", _("an attachment's size must be a whole number of bytes"))
    return {"sha256": sha, "name": name, "media_type": media_type, "size": size}


def _attachments(field: FieldDef, raw: Any) -> list[dict[str, Any]]:
    items = raw if isinstance(raw, list) else [raw]
    refs = [attachment_ref(item) for item in items]
    if field.max_files is not None and len(refs) > field.max_files:
        raise AnswerError("max_files", _("takes at most {n} files").format(n=field.max_files))
    return refs


def normalize(form: FormDefinition, field: FieldDef, raw: Any) -> Any:
    """The stored form of ``raw`` for ``field``; None when empty. Raises AnswerError."""
    if is_empty(raw) or (
        isinstance(raw, str) and not raw.strip() and field.type is not FieldType.LONG_TEXT
    ):
        return None
    t = field.type
    if t in (FieldType.TEXT, FieldType.LONG_TEXT):
        text = _text(field, raw)
        return text or None
    if t is FieldType.INTEGER:
        return _integer(raw)
    if t is FieldType.DECIMAL:
        return _decimal(raw)
    if t is FieldType.DATE:
        return _date(field, raw)
    if t is FieldType.DATETIME:
        return _datetime(raw)
    if t is FieldType.SELECT_ONE:
        return _select_one(form, field, raw)
    if t is FieldType.SELECT_MULTIPLE:
        return _select_multiple(form, field, raw) or None
    if t is FieldType.GEOPOINT:
        try:
            return geopoint_from_value(raw).to_json()
        except GeoError as exc:
            raise AnswerError("type", exc.user_message) from None
    if t is FieldType.ATTACHMENT:
        return _attachments(field, raw) or None
    raise AnswerError("type", _("holds no value"))


def normalizer(form: FormDefinition, field: FieldDef) -> Callable[[Any], Any]:
    """``normalize`` for one field, prepared once: the same results and errors, faster.

    Text and whole numbers take a short path; a choice code, short or stored, is looked up in a
    table made from the form's choice list (see :func:`choice_table`). Every other answer goes
    through :func:`normalize` itself."""
    t = field.type
    if t is FieldType.TEXT or t is FieldType.LONG_TEXT:
        return partial(_text_answer, field)
    if t is FieldType.INTEGER:
        return partial(_integer_answer, form, field)
    if t is FieldType.SELECT_ONE:
        return partial(_choice_answer, form, field, choice_table(form, field))
    if t is FieldType.SELECT_MULTIPLE:
        return partial(_choices_answer, form, field, choice_table(form, field))
    return partial(normalize, form, field)


def choice_table(form: FormDefinition, field: FieldDef) -> dict[str, str]:
    """For a select field, the stored code of every choice's code and stored code, as
    :func:`normalize` gives it. Made from the form alone (never from answers, so that nothing of
    a record stays in it after the vault is locked) and kept per form and choice list."""
    tables: dict[str, dict[str, str]] = form.derived.setdefault("choice_tables", {})
    choice_list = form.choice_list_for(field)
    table = tables.get(choice_list.name)
    if table is None:
        table = {}
        for choice in choice_list.choices:
            for text in (choice.code, choice_list.stored_code(choice.code)):
                if not text or text != text.strip():
                    continue  # normalize strips answers: such a text never reaches the table
                try:
                    table[text] = _select_one(form, field, text)
                except AnswerError:
                    continue
        tables[choice_list.name] = table
    return table


def _text_answer(field: FieldDef, raw: Any) -> Any:
    if type(raw) is not str or not raw or "\x00" in raw:
        return normalize_text_field(field, raw)
    limit = field.max_length or (
        DEFAULT_LONG_TEXT_LENGTH if field.type is FieldType.LONG_TEXT else DEFAULT_TEXT_LENGTH
    )
    if len(raw) > limit:
        return normalize_text_field(field, raw)
    text = raw.strip() if field.type is FieldType.TEXT else raw.rstrip()
    return text or None


def normalize_text_field(field: FieldDef, raw: Any) -> Any:
    """:func:`normalize` for a text field (which needs no form)."""
    if is_empty(raw) or (
        isinstance(raw, str) and not raw.strip() and field.type is not FieldType.LONG_TEXT
    ):
        return None
    return _text(field, raw) or None


def _integer_answer(form: FormDefinition, field: FieldDef, raw: Any) -> Any:
    if type(raw) is int and -MAX_SAFE_INTEGER <= raw <= MAX_SAFE_INTEGER:
        return raw
    return normalize(form, field, raw)


def _choice_answer(form: FormDefinition, field: FieldDef, table: dict[str, str], raw: Any) -> Any:
    stored = table.get(raw) if type(raw) is str else None
    return normalize(form, field, raw) if stored is None else stored


def _choices_answer(form: FormDefinition, field: FieldDef, table: dict[str, str], raw: Any) -> Any:
    """A select_multiple answer given as a list of codes: each looked up in the table."""
    if type(raw) is not list or not raw:
        return normalize(form, field, raw)
    stored: list[str] = []
    for item in raw:
        code = table.get(item) if type(item) is str else None
        if code is None:
            return normalize(form, field, raw)
        if code not in stored:
            stored.append(code)
    return stored


def expression_value(form: FormDefinition, field: FieldDef, stored: Any) -> Any:
    """How a stored value looks to an expression: choice codes short, as the form writes them."""
    if stored is None:
        return None
    if field.type is FieldType.SELECT_ONE:
        return form.choice_list_for(field).short_code(stored)
    if field.type is FieldType.SELECT_MULTIPLE:
        choice_list = form.choice_list_for(field)
        return [choice_list.short_code(code) for code in stored]
    if field.type is FieldType.ATTACHMENT:
        return " ".join(ref["name"] for ref in stored)
    if field.type is FieldType.GEOPOINT:
        return f"{stored['lat']} {stored['lon']} 0 {stored.get('precision_m', 0)}"
    return stored


def expression_valuer(form: FormDefinition, field: FieldDef) -> Callable[[Any], Any]:
    """``expression_value`` for one field, prepared once: a choice's short code is looked up in
    a table made from the form's choice list (see :func:`choice_table`)."""
    t = field.type
    if t is FieldType.SELECT_ONE or t is FieldType.SELECT_MULTIPLE:
        shorten = form.choice_list_for(field).short_code
        table = {stored: shorten(stored) for stored in choice_table(form, field).values()}
        if t is FieldType.SELECT_ONE:
            return partial(_short_code, shorten, table)
        return partial(_short_codes, shorten, table)
    if t is FieldType.ATTACHMENT or t is FieldType.GEOPOINT:
        return partial(expression_value, form, field)
    return _same


def _same(stored: Any) -> Any:
    return stored


def _short_code(shorten: Callable[[str], str], table: dict[str, str], stored: Any) -> Any:
    if stored is None:
        return None
    short = table.get(stored)
    return shorten(stored) if short is None else short


def _short_codes(shorten: Callable[[str], str], table: dict[str, str], stored: Any) -> Any:
    if stored is None:
        return None
    return [_short_code(shorten, table, code) for code in stored]
