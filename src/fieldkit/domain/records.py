"""Records, revisions and their lifecycle (pure: no storage, no keys).

A record starts as a draft. Finalizing seals a revision: the revision's envelope (below) is
serialised as canonical JSON (RFC 8785), hashed with SHA-256 and signed by the device. Each
revision names the hash of the one before it, so the revisions of a record form a chain. An
amendment is a new sealed revision; a sealed revision never changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import rfc8785

from fieldkit.domain.forms import ChoiceList, FieldDef, FieldType, FormDefinition
from fieldkit.i18n import N_

REVISION_KIND = "fieldkit/revision"
REVISION_FORMAT = 1
REVISION_SIGNATURE_DOMAIN = b"fieldkit-revision-v1\n"
"""Prefix of the message a device signs when it seals a revision (domain separation)."""


def revision_signing_message(content: bytes) -> bytes:
    """What the device signs for a revision whose canonical JSON is ``content``."""
    return REVISION_SIGNATURE_DOMAIN + content


class RecordStatus(StrEnum):
    DRAFT = "draft"
    FINAL = "final"
    EXPORTED = "exported"
    ACKNOWLEDGED = "acknowledged"


STATUS_LABELS = {
    RecordStatus.DRAFT: N_("draft"),
    RecordStatus.FINAL: N_("final"),
    RecordStatus.EXPORTED: N_("exported"),
    RecordStatus.ACKNOWLEDGED: N_("acknowledged"),
}


def new_record_id() -> str:
    """A random record id; it says nothing about the device, the time or the content.

    The hex of a random (version 4) UUID, as ``uuid.uuid4().hex`` writes it: 122 bits from
    ``os.urandom`` with the version and variant bits set, made without a ``UUID`` object."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # the RFC 4122 variant
    return raw.hex()


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON: sorted keys, no insignificant white space, fixed number format.

    Values that the standard library's encoder writes exactly as RFC 8785 does (see
    :func:`_encodes_as_rfc8785`), which is every record fieldkit makes, are written by that
    encoder, in C; any other value is written by the ``rfc8785`` package. Both give the same
    bytes (a property test compares them); the package also raises the errors."""
    if _encodes_as_rfc8785(value):
        try:
            return _COMPACT_SORTED.encode(value).encode("utf-8")
        except (UnicodeEncodeError, ValueError, RecursionError):
            pass  # a lone surrogate, or nesting too deep: rfc8785 raises its own error
    data: bytes = rfc8785.dumps(value)
    return data


_COMPACT_SORTED = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), check_circular=False
)
_MAX_SAFE_INTEGER = 2**53 - 1
_MAX_NESTING = 200


def _encodes_as_rfc8785(value: Any) -> bool:
    """Whether ``json`` (compact, sorted keys, UTF-8 kept) writes ``value`` as RFC 8785 does.

    The two write strings, ``null``, ``true``, ``false`` and integers alike (the same escapes:
    ``\\n``, ``\\"``, ``\\u001f``, every other character as itself). They differ only in:

    * key order: ``json`` sorts by code point, RFC 8785 by UTF-16 code unit, which differ only
      for keys with a character from U+E000 up;
    * floats: Python writes ``1.0``, ``1e+16`` and ``1e-05`` where ECMAScript writes ``1``,
      ``10000000000000000`` and ``0.00001``; floats with a fraction from 1e-4 up to 1e16 are
      written alike (the shortest digits that read back the same);
    * integers beyond 2**53 - 1, which RFC 8785 refuses;
    * types other than dict, list, str, int, float, bool and None (and subclasses of them).

    So this walks the value (the containers, keys and numbers; strings need no look) and says
    False at the first such case; the caller then asks ``rfc8785`` instead."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        if kind is dict:
            if depth >= _MAX_NESTING:
                return False
            for key in item:
                if type(key) is not str or not (key.isascii() or max(key) < "\ue000"):
                    return False
            children: Any = item.values()
        elif kind is list:
            if depth >= _MAX_NESTING:
                return False
            children = item
        else:
            children = (item,)
            depth -= 1
        for child in children:
            kind = type(child)
            if kind is str or child is None or kind is bool:
                continue
            if kind is int:
                if not -_MAX_SAFE_INTEGER <= child <= _MAX_SAFE_INTEGER:
                    return False
            elif kind is float:
                if child.is_integer() or not 1e-4 <= abs(child) < 1e16:
                    return False  # also NaN and the infinities
            elif kind is dict or kind is list:
                stack.append((child, depth + 1))
            else:
                return False
    return True


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def utc_timestamp(moment: dt.datetime | None = None) -> str:
    """``2026-11-25T10:42:00Z``: UTC, whole seconds."""
    moment = (moment or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


def attachment_hashes(form: FormDefinition, data: dict[str, Any]) -> list[str]:
    """The SHA-256 of every attachment a record's answers refer to, sorted, without repeats."""
    attachment_fields = form.index.attachments
    repeats = form.index.repeats
    if not attachment_fields:
        return []
    found: set[str] = set()

    def visit(values: dict[str, Any]) -> None:
        for name, value in values.items():
            if name in attachment_fields and isinstance(value, list):
                found.update(ref["sha256"] for ref in value)
            elif name in repeats and isinstance(value, list):
                for item in value:
                    if isinstance(item, dict):
                        visit(item)

    visit(data)
    return sorted(found)


def attachment_refs(form: FormDefinition, data: Any) -> list[tuple[str, str]]:
    """``(path, sha256)`` of every attachment that answers refer to, in document order; paths as
    in validation problems (``people[2].photo``). Malformed entries are skipped: validation
    reports them."""
    attachment_fields = form.index.attachments
    repeats = form.index.repeats
    if not attachment_fields:
        return []
    found: list[tuple[str, str]] = []

    def visit(values: Any, prefix: str) -> None:
        if not isinstance(values, dict):
            return
        for name, value in values.items():
            path = f"{prefix}.{name}" if prefix else str(name)
            if name in attachment_fields and isinstance(value, list):
                found.extend(
                    (path, ref["sha256"])
                    for ref in value
                    if isinstance(ref, dict) and isinstance(ref.get("sha256"), str)
                )
            elif name in repeats and isinstance(value, list):
                for number, item in enumerate(value, start=1):
                    visit(item, f"{path}[{number}]")

    visit(data, "")
    return found


@dataclass(frozen=True)
class RevisionEnvelope:
    """What a device signs when it seals a revision."""

    record_id: str
    number: int
    form_id: str
    form_version: str
    data: dict[str, Any]
    attachments: tuple[str, ...]
    previous: str | None
    sealed_at: str
    device: str

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": REVISION_KIND,
            "v": REVISION_FORMAT,
            "record": self.record_id,
            "revision": self.number,
            "form": {"id": self.form_id, "version": self.form_version},
            "data": self.data,
            "attachments": list(self.attachments),
            "previous": self.previous,
            "sealed_at": self.sealed_at,
            "device": self.device,
        }

    def canonical(self) -> bytes:
        return canonical_json(self.to_json())

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> RevisionEnvelope:
        if value.get("kind") != REVISION_KIND or value.get("v") != REVISION_FORMAT:
            raise ValueError("not a fieldkit revision")
        return cls(
            record_id=value["record"],
            number=value["revision"],
            form_id=value["form"]["id"],
            form_version=value["form"]["version"],
            data=value["data"],
            attachments=tuple(value["attachments"]),
            previous=value["previous"],
            sealed_at=value["sealed_at"],
            device=value["device"],
        )


@dataclass(frozen=True)
class Summary:
    """What a record list shows: never identifying answers."""

    title: str
    date: str
    place: str


def summarize(form: FormDefinition, data: dict[str, Any], language: str) -> Summary:
    title_fields, date_field, place_fields = _summary_fields(form)
    title = " · ".join(filter(None, [_show(form, e, data, language) for e in title_fields]))
    date = _show(form, date_field, data, language) if date_field else ""
    place = ", ".join(filter(None, [_show(form, e, data, language) for e in place_fields]))
    return Summary(title or form.localized_title(language), date, place)


_Shown = tuple[str, FieldDef, bool]
"""A field the list summary shows: its name, definition and whether it identifies someone."""


def _summary_fields(form: FormDefinition) -> tuple[list[_Shown], _Shown | None, list[_Shown]]:
    """The fields of the summary's title, date and place, worked out once per form (and again
    for a copy of the form with another summary)."""
    summary = form.summary
    cached = form.derived.get("summary_fields")
    if cached is not None and cached[0] is summary:
        return cached[1]  # type: ignore[no-any-return]
    fields = form.fields_by_name()

    def entry(name: str) -> _Shown:
        return (name, fields[name], form.is_identifying(name))

    found = (
        [entry(n) for n in summary.title],
        entry(summary.date) if summary.date else None,
        [entry(n) for n in summary.place],
    )
    form.derived["summary_fields"] = (summary, found)
    return found


def _show(form: FormDefinition, shown: _Shown, data: dict[str, Any], language: str) -> str:
    name, f, identifying = shown
    chain = form.scope_of(name)
    value = _first_in_list_order(form, f, chain, data) if chain else data.get(name)
    if value is None or identifying:
        return ""
    kind = f.type
    if kind is FieldType.SELECT_ONE:
        return _choice_label(form, f, value, language)
    if kind is FieldType.SELECT_MULTIPLE:
        return ", ".join(_choice_label(form, f, code, language) for code in value)
    if kind is FieldType.GEOPOINT:
        return f"{value['lat']:.4f}, {value['lon']:.4f}"
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _first_in_list_order(
    form: FormDefinition, f: FieldDef, chain: tuple[str, ...], data: dict[str, Any]
) -> Any:
    """Of the answers to ``f`` in every entry of the repeats ``chain``, the one that comes first
    in its choice list; None when no entry answers it."""
    entries: list[Any] = [data]
    for repeat in chain:
        entries = [
            entry
            for outer in entries
            if isinstance(outer, dict) and isinstance(outer.get(repeat), list)
            for entry in outer[repeat]
        ]
    answers = {e.get(f.name) for e in entries if isinstance(e, dict)} - {None}
    if not answers:
        return None
    choice_list = form.choice_list_for(f)
    order = {choice.code: n for n, choice in enumerate(choice_list.choices)}
    return min(answers, key=lambda v: (order.get(choice_list.short_code(str(v)), len(order)), v))


def searchable_text(form: FormDefinition, data: dict[str, Any], language: str) -> str:
    """The words a full-text search finds a record by: labels of choices and non-identifying text.

    Identifying answers (names, contacts) are left out of the index on purpose.
    """
    parts: list[str] = [form.localized_title(language)]
    fields = _searched_fields(form)
    append = parts.append

    def visit(values: dict[str, Any]) -> None:
        for name, value in values.items():
            f = fields.get(name)
            if f is None or value is None:
                continue
            kind = f.type
            if kind is FieldType.REPEAT:
                for item in value:
                    visit(item)
            elif kind is FieldType.SELECT_ONE:
                parts.extend(_all_labels(form, f, value))
            elif kind is FieldType.SELECT_MULTIPLE:
                for code in value:
                    parts.extend(_all_labels(form, f, code))
            elif kind is FieldType.ATTACHMENT:
                parts.extend(ref["name"] for ref in value)
            elif kind is not FieldType.GEOPOINT:
                append(str(value))

    visit(data)
    return "\n".join(parts)


def _searched_fields(form: FormDefinition) -> dict[str, FieldDef]:
    """Every field by name but those that identify someone, worked out once per form."""
    key = "searched_fields"
    found: dict[str, FieldDef] | None = form.derived.get(key)
    if found is None:
        found = {
            name: f for name, f in form.fields_by_name().items() if not form.is_identifying(name)
        }
        form.derived[key] = found
    return found


def _choice_label(form: FormDefinition, f: FieldDef, stored: str, language: str) -> str:
    """``form.choice_label``, from a table of the field's choice list in ``language``."""
    key = ("summary_labels", form.choice_list_for(f).name, language)
    table: dict[str, str] | None = form.derived.get(key)
    if table is None:
        choice_list = form.choice_list_for(f)
        table = {
            text: form.choice_label(f, text, language)
            for choice in choice_list.choices
            for text in (choice.code, choice_list.stored_code(choice.code))
        }
        form.derived[key] = table
    label = table.get(stored)
    return form.choice_label(f, stored, language) if label is None else label


def _all_labels(form: FormDefinition, f: FieldDef, stored: str) -> list[str]:
    """The code and every label of a choice, from a table of the choice list. The tables are
    made from the form alone, never from answers: nothing of a record stays in them."""
    choice_list = form.choice_list_for(f)
    key = ("search_labels", choice_list.name)
    table: dict[str, list[str]] | None = form.derived.get(key)
    if table is None:
        table = {
            text: _labels_of(choice_list, text)
            for choice in choice_list.choices
            for text in (choice.code, choice_list.stored_code(choice.code))
        }
        form.derived[key] = table
    labels = table.get(stored)
    return _labels_of(choice_list, stored) if labels is None else labels


def _labels_of(choice_list: ChoiceList, stored: str) -> list[str]:
    choice = choice_list.find(stored)
    if choice is None:
        return [stored]
    return [choice.code, *choice.label.values()]
