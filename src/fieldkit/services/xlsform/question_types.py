"""What a survey row's ``type`` means for fieldkit: a field type, a group or repeat, a setting, or
something left out (and the message that says why)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fieldkit.domain.forms import FieldType
from fieldkit.i18n import _


@dataclass(frozen=True)
class Kind:
    role: str  # field, begin, end, drop, setting, unknown
    field_type: FieldType | None = None
    container: str | None = None  # group, repeat, loop
    list_name: str | None = None
    or_other: bool = False
    acknowledge: bool = False
    constraint: str | None = None  # the built-in constraint of 'percentage' and the like
    reason: str = ""  # which message explains a drop


def _types(spec: str) -> frozenset[str]:
    """A set of type names written ``a|b|c`` (names may contain spaces)."""
    return frozenset(name.strip() for name in spec.split("|"))


_SIMPLE: dict[FieldType, frozenset[str]] = {
    FieldType.TEXT: _types("text|string|add text prompt|q string"),
    FieldType.INTEGER: _types("integer|int|add integer prompt|q int"),
    FieldType.DECIMAL: _types("decimal|add decimal prompt|q decimal"),
    FieldType.DATE: _types("date|add date prompt|q date"),
    FieldType.DATETIME: _types(
        "datetime|date time|add date time prompt|add datetime prompt|q date time|q datetime"
    ),
    FieldType.GEOPOINT: _types("geopoint|gps|location|add location prompt|q geopoint|q location"),
    FieldType.ATTACHMENT: _types(
        "image|photo|add image prompt|q image|q picture|audio|add audio prompt|q audio|video"
        "|add video prompt|q video|file|add file prompt"
    ),
    FieldType.NOTE: _types("note|add note prompt|q note"),
}
_ACKNOWLEDGE = _types("acknowledge|add acknowledge prompt|q acknowledge|trigger")
_BUILT_IN_CONSTRAINTS: dict[str, tuple[FieldType, str]] = {
    "percentage": (FieldType.INTEGER, "0 <= . and . <= 100"),
    "number of days in last month": (FieldType.INTEGER, "0 <= . and . <= 31"),
    "number of days in last six months": (FieldType.INTEGER, "0 <= . and . <= 183"),
    "number of days in last year": (FieldType.INTEGER, "0 <= . and . <= 365"),
    "phone number": (FieldType.TEXT, "regex(., '^[0-9]*$')"),
}
_DROPPED_TYPES: dict[str, frozenset[str]] = {
    "metadata": _types(
        "start|end|today|deviceid|device id|imei|subscriberid|subscriber id|simserial|sim id"
        "|phonenumber|username|email|start time|end time|get start time|get end time|get today"
        "|get device id|get phone number|get sim id|get subscriber id|audit|uri:deviceid"
        "|uri:email|uri:phonenumber|uri:simserial|uri:subscriberid|uri:username"
    ),
    "location": _types("start-geopoint|background-geopoint"),
    "calculate": _types("calculate|add calculate prompt|q calculate|hidden"),
    "time": _types("time"),
    "range": _types("range"),
    "shape": _types("geotrace|geoshape|q geotrace|q geoshape"),
    "barcode": _types("barcode|add barcode prompt|q barcode"),
    "audio": _types("background-audio"),
    "external": _types("csv-external|xml-external"),
    "osm": _types("osm"),
}
_SELECT_ONE = _types("add select one prompt using|select one from|select1|select_one|select one")
_SELECT_MULTIPLE = _types(
    "add select multiple prompt using|select all that apply from|select_multiple"
    "|select all that apply"
)
_SELECT_FROM_ELSEWHERE = _types(
    "select_one_external|select_one_from_file|select_multiple_from_file|select one from file"
    "|select multiple from file"
)
_SELECT = re.compile(
    r"^(?P<command>"
    + "|".join(
        re.escape(c)
        for c in sorted(
            (*_SELECT_ONE, *_SELECT_MULTIPLE, *_SELECT_FROM_ELSEWHERE, "rank"),
            key=lambda command: (-len(command), command),
        )
    )
    + r") (?P<list>\S+)( (?P<other>or specify other|or_other|or other))?$"
)
_BEGIN = re.compile(r"^begin[ _](?P<type>group|lgroup|repeat|loop|looped group)( (over )?\S+)?$")
_END = re.compile(r"^end[ _](?P<type>group|lgroup|repeat|loop|looped group)$")
_OSM = re.compile(r"^osm \S+$")
_SETTING_TYPES = _types("form_title|set_form_title|form_id|set_form_id|prefix")
_CONTAINERS = {"group": "group", "lgroup": "repeat", "repeat": "repeat", "looped group": "repeat"}
_EXTERNAL_EXTENSIONS = (".csv", ".xml", ".geojson")


def classify(type_text: str) -> Kind:
    """What a survey row's ``type`` cell means for fieldkit."""
    begin = _BEGIN.match(type_text)
    if begin:
        return Kind("begin", container=_CONTAINERS.get(begin.group("type"), "loop"))
    end = _END.match(type_text)
    if end:
        return Kind("end", container=_CONTAINERS.get(end.group("type"), "loop"))
    select = _SELECT.match(type_text)
    if select:
        command, list_name = select.group("command"), select.group("list")
        if command == "rank":
            return Kind("drop", reason="rank")
        if command in _SELECT_FROM_ELSEWHERE or list_name.lower().endswith(_EXTERNAL_EXTENSIONS):
            return Kind("drop", reason="file")
        if "${" in list_name:
            return Kind("drop", reason="repeat_choices")
        single = command in _SELECT_ONE
        return Kind(
            "field",
            FieldType.SELECT_ONE if single else FieldType.SELECT_MULTIPLE,
            list_name=list_name,
            or_other=select.group("other") is not None,
        )
    if type_text in _SETTING_TYPES:
        return Kind("setting")
    if _OSM.match(type_text):
        return Kind("drop", reason="osm")
    lowered = type_text.lower()
    for field_type, names in _SIMPLE.items():
        if lowered in names:
            return Kind("field", field_type)
    if lowered in _ACKNOWLEDGE:
        return Kind("field", FieldType.SELECT_ONE, acknowledge=True)
    if lowered in _BUILT_IN_CONSTRAINTS:
        field_type, constraint = _BUILT_IN_CONSTRAINTS[lowered]
        return Kind("field", field_type, constraint=constraint)
    for reason, names in _DROPPED_TYPES.items():
        if lowered in names:
            return Kind("drop", reason=reason)
    return Kind("unknown")


def drop_message(reason: str, type_text: str) -> str:
    if reason == "metadata":
        return _(
            "'{type}' is device metadata; fieldkit records its own timestamps and device "
            "signature, so the field was left out"
        ).format(type=type_text)
    messages = {
        "location": _("automatic location capture is not supported; the field was left out"),
        "calculate": _("calculated fields are not supported; the field was left out"),
        "time": _(
            "time-of-day fields are not supported; the field was left out (a datetime or text "
            "field can hold a time)"
        ),
        "range": _(
            "range fields are not supported; the field was left out (an integer field with a "
            "constraint can replace it)"
        ),
        "rank": _("ranking fields are not supported; the field was left out"),
        "shape": _(
            "lines and shapes ({type}) are not supported, only single points; the field was "
            "left out"
        ).format(type=type_text),
        "barcode": _(
            "barcode scanning is not supported; the field was left out (a text field can hold "
            "the code)"
        ),
        "audio": _("background audio recording is not supported; the field was left out"),
        "external": _("external data files are not supported; the row was left out"),
        "osm": _("OpenStreetMap fields are not supported; the field was left out"),
        "file": _(
            "choices from a file or from the external_choices sheet are not supported; the "
            "field was left out"
        ),
        "repeat_choices": _(
            "choices taken from a repeat group are not supported; the field was left out"
        ),
    }
    return messages[reason]


# -- languages -----------------------------------------------------------------------------------
