"""Tests for records and revisions (fieldkit.domain.records): canonical JSON, envelopes, attachment
hashes, list summaries and the search index text."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldkit.domain.formfile import form_from_data
from fieldkit.domain.forms import ChoiceList, FormDefinition, Summary
from fieldkit.domain.records import (
    REVISION_FORMAT,
    REVISION_KIND,
    RevisionEnvelope,
    attachment_hashes,
    canonical_json,
    new_record_id,
    searchable_text,
    sha256_hex,
    summarize,
    utc_timestamp,
)
from fieldkit.domain.validation import check
from tests.domain.test_shipped_forms import form as shipped_form
from tests.domain.test_shipped_forms import record as shipped_record

# -- canonical JSON (RFC 8785) ---------------------------------------------------------------------


def test_canonical_json_matches_the_rfc_8785_example() -> None:
    # RFC 8785, section 3.2.2 (input) and 3.2.3 (output).
    source = (
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    expected = (
        '{"literals":[null,true,false],'
        '"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    ).encode()
    assert canonical_json(json.loads(source)) == expected


def test_canonical_json_sorts_keys_by_utf16_code_units() -> None:
    # RFC 8785, section 3.2.3: the emoji (a surrogate pair) sorts before U+FB33.
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    expected = (
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
        '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
        '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
    ).encode()
    assert canonical_json(value) == expected


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (0, b"0"),
        (0.0, b"0"),
        (-0.0, b"0"),
        (1.0, b"1"),
        (2.50, b"2.5"),
        (-1.5, b"-1.5"),
        (0.1 + 0.2, b"0.30000000000000004"),
        (1e20, b"100000000000000000000"),
        (1e21, b"1e+21"),
        (1e23, b"1e+23"),
        (9.999999999999997e22, b"9.999999999999997e+22"),
        (295147905179352830000.0, b"295147905179352830000"),
        (1e-6, b"0.000001"),
        (1e-7, b"1e-7"),
        (9.999999999999997e-7, b"9.999999999999997e-7"),
        (5e-324, b"5e-324"),
        (1.7976931348623157e308, b"1.7976931348623157e+308"),
        (333333333.3333333, b"333333333.3333333"),
        (9007199254740992.0, b"9007199254740992"),
        (2**53 - 1, b"9007199254740991"),
        (-(2**53 - 1), b"-9007199254740991"),
    ],
)
def test_canonical_json_number_format(number: float, text: bytes) -> None:
    assert canonical_json(number) == text
    assert canonical_json([number]) == b"[" + text + b"]"


def test_canonical_json_has_no_insignificant_white_space() -> None:
    value = {"b": [1, {"d": None, "c": "x y"}], "a": {"z": True, "y": False}}
    assert canonical_json(value) == b'{"a":{"y":false,"z":true},"b":[1,{"c":"x y","d":null}]}'


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("\n\t\r\b\f", b'"\\n\\t\\r\\b\\f"'),
        ("\x00\x1f", b'"\\u0000\\u001f"'),
        ('"\\', b'"\\"\\\\"'),
        ("/", b'"/"'),
        ("\u2028\u00e9", '"\u2028\u00e9"'.encode()),  # written as UTF-8, not escaped
        ("\x7f", b'"\x7f"'),
    ],
)
def test_canonical_json_string_escapes(text: str, escaped: bytes) -> None:
    assert canonical_json(text) == escaped


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (math.nan, "nan is not representable in JCS"),
        (math.inf, "inf is not representable in JCS"),
        (-math.inf, "-inf is not representable in JCS"),
        (2**53, "9007199254740992 exceeds safe integer domain"),
        (-(2**53), "-9007199254740992 exceeds safe integer domain"),
        ({"a": [math.nan]}, "nan is not representable in JCS"),
        ({1: "x"}, "object keys must be strings"),
    ],
)
def test_canonical_json_refuses_what_json_cannot_hold_exactly(value: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(reason)}"):
        canonical_json(value)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1)
    # Floats from 2**53 to 1e21 are written as integers, which read back as ints out of range.
    | st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not 2**53 <= abs(x) < 1e21)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_canonical_json_is_json_and_a_fixpoint(value: Any) -> None:
    data = canonical_json(value)
    parsed = json.loads(data)
    assert canonical_json(parsed) == data
    assert b"\n" not in data


ANY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats()  # every float: NaN, infinities, -0.0, whole, tiny and huge ones
    | st.floats(min_value=1e-7, max_value=1e22)
    | st.text(max_size=20)
    | st.sampled_from(["\ue000", "\uffff", "\U0001f600", "\ud800", "\x7f", '\x1f\b"\\']),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=8) | st.sampled_from(["\ue000", "\U0001f600", "\ufb33", "\r"]),
            children,
            max_size=4,
        )
    ),
    max_leaves=30,
)


def _rfc8785_or_error(value: Any) -> bytes | ValueError:
    try:
        return rfc8785.dumps(value)
    except ValueError as refusal:
        return refusal


@settings(max_examples=1000, deadline=None)
@given(ANY_JSON)
def test_canonical_json_writes_what_rfc8785_writes(value: Any) -> None:
    # canonical_json writes most values with the standard library's encoder: byte for byte what
    # the rfc8785 package writes, and it refuses what the package refuses, for the same reason.
    expected = _rfc8785_or_error(value)
    if isinstance(expected, ValueError):
        with pytest.raises(type(expected), match=f"^{re.escape(str(expected))}$"):
            canonical_json(value)
    else:
        assert canonical_json(value) == expected


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_canonical_json_of_checked_records_is_rfc8785(data: st.DataObject) -> None:
    # Records as fieldkit seals them: answers checked against a real form, in an envelope.
    form = shipped_form("illicit-market-observation")
    answers = shipped_record("illicit-market-observation.valid")
    answers.pop("attachments", None)
    for name in data.draw(st.lists(st.sampled_from(sorted(answers)), max_size=6)):
        answers[name] = data.draw(
            st.text(max_size=30)
            | st.floats(allow_nan=False, allow_infinity=False, min_value=-1e15, max_value=1e15)
            | st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1)
        )
    cleaned = check(form, answers, clock=lambda: dt.datetime(2026, 11, 25, tzinfo=dt.UTC)).data
    envelope = RevisionEnvelope(
        new_record_id(), 1, form.id, form.version, cleaned, (), None, utc_timestamp(), "k" * 32
    )
    assert envelope.canonical() == rfc8785.dumps(envelope.to_json())


def test_sha256_hex() -> None:
    assert sha256_hex(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert sha256_hex(b"abc") == hashlib.sha256(b"abc").hexdigest()


# -- ids and timestamps ----------------------------------------------------------------------------


def test_record_ids_are_random_hex() -> None:
    ids = {new_record_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (dt.datetime(2026, 11, 25, 10, 42, tzinfo=dt.UTC), "2026-11-25T10:42:00Z"),
        (
            dt.datetime(
                2026, 11, 25, 11, 42, 7, 999_999, tzinfo=dt.timezone(dt.timedelta(hours=1))
            ),
            "2026-11-25T10:42:07Z",
        ),
        (
            dt.datetime(2026, 11, 24, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
            "2026-11-25T04:00:00Z",
        ),
    ],
)
def test_utc_timestamp(moment: dt.datetime, text: str) -> None:
    assert utc_timestamp(moment) == text


def test_utc_timestamp_defaults_to_now() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", utc_timestamp())


# -- revision envelopes ----------------------------------------------------------------------------

ENVELOPE = RevisionEnvelope(
    record_id="0" * 32,
    number=2,
    form_id="all-types",
    form_version="1",
    data={"subject": "Levy", "count": 3, "weight": 12.5, "people": [{"age": 34}]},
    attachments=("a" * 64, "b" * 64),
    previous="c" * 64,
    sealed_at="2026-11-25T10:42:00Z",
    device="d" * 64,
)


def test_envelope_to_json() -> None:
    assert ENVELOPE.to_json() == {
        "kind": REVISION_KIND,
        "v": REVISION_FORMAT,
        "record": "0" * 32,
        "revision": 2,
        "form": {"id": "all-types", "version": "1"},
        "data": {"subject": "Levy", "count": 3, "weight": 12.5, "people": [{"age": 34}]},
        "attachments": ["a" * 64, "b" * 64],
        "previous": "c" * 64,
        "sealed_at": "2026-11-25T10:42:00Z",
        "device": "d" * 64,
    }


def test_envelope_canonical_bytes() -> None:
    assert (
        ENVELOPE.canonical()
        == (
            '{"attachments":["' + "a" * 64 + '","' + "b" * 64 + '"],'
            '"data":{"count":3,"people":[{"age":34}],"subject":"Levy","weight":12.5},'
            '"device":"' + "d" * 64 + '",'
            '"form":{"id":"all-types","version":"1"},'
            '"kind":"fieldkit/revision",'
            '"previous":"' + "c" * 64 + '",'
            '"record":"' + "0" * 32 + '",'
            '"revision":2,'
            '"sealed_at":"2026-11-25T10:42:00Z",'
            '"v":1}'
        ).encode()
    )


def test_envelope_round_trips_through_json() -> None:
    text = json.dumps(ENVELOPE.to_json())
    again = RevisionEnvelope.from_json(json.loads(text))
    assert again == ENVELOPE
    assert again.canonical() == ENVELOPE.canonical()
    assert isinstance(again.attachments, tuple)


def test_first_revision_has_no_previous() -> None:
    first = RevisionEnvelope(**{**ENVELOPE.__dict__, "number": 1, "previous": None})
    assert b'"previous":null' in first.canonical()
    assert RevisionEnvelope.from_json(first.to_json()) == first


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "fieldkit/record"},
        {"kind": None},
        {"v": 2},
        {"v": "1"},
        {"v": None},
    ],
)
def test_from_json_refuses_other_kinds_and_versions(change: dict[str, Any]) -> None:
    value = {**ENVELOPE.to_json(), **change}
    with pytest.raises(ValueError, match="not a fieldkit revision"):
        RevisionEnvelope.from_json(value)


def test_from_json_refuses_a_document_without_a_kind() -> None:
    value = ENVELOPE.to_json()
    del value["kind"]
    with pytest.raises(ValueError, match="not a fieldkit revision"):
        RevisionEnvelope.from_json(value)


def test_a_change_in_the_data_changes_the_hash() -> None:
    changed = RevisionEnvelope(**{**ENVELOPE.__dict__, "data": {**ENVELOPE.data, "count": 4}})
    assert sha256_hex(changed.canonical()) != sha256_hex(ENVELOPE.canonical())


# -- forms for the record helpers ------------------------------------------------------------------

YES_NO = ChoiceList(
    name="yes-no",
    vocabulary=True,
    version="2",
    choices=[
        {"code": "yes", "label": {"en": "Yes", "fr": "Oui", "ar": "نعم"}},
        {"code": "no", "label": {"en": "No", "fr": "Non", "ar": "لا"}},
    ],
)


def _f(name: str, type: str = "text", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type, "label": {"en": name}, **extra}


FORM: FormDefinition = form_from_data(
    {
        "fieldkit_form": 1,
        "id": "records",
        "version": "1",
        "title": {"en": "Market watch", "fr": "Veille des marchés"},
        "languages": ["en", "fr"],
        "vocabularies": ["yes-no"],
        "choices": {"colour": [{"code": "red", "label": {"en": "Red", "fr": "Rouge"}}]},
        "summary": {
            "title": ["subject", "colour", "flags"],
            "date": "day",
            "place": ["pos", "town"],
        },
        "fields": [
            _f("subject", sensitivity="public"),
            _f("colour", "select_one", choices="colour"),
            _f("flags", "select_multiple", choices="yes-no"),
            _f("day", "date", precisions=["day", "month", "year"]),
            _f("pos", "geopoint"),
            _f("town"),
            _f("story", "long_text"),
            _f("count", "integer"),
            _f("witness", sensitivity="identifying"),
            _f("witness_known", "select_one", choices="yes-no", sensitivity="identifying"),
            _f("passport", "attachment", sensitivity="identifying"),
            _f("photos", "attachment"),
            {
                "name": "people",
                "type": "repeat",
                "fields": [
                    _f("person_name", sensitivity="identifying"),
                    _f("role"),
                    _f("person_photo", "attachment"),
                    {
                        "name": "contacts",
                        "type": "repeat",
                        "fields": [
                            _f("contact_doc", "attachment"),
                            _f("phone", sensitivity="identifying"),
                        ],
                    },
                ],
            },
        ],
    },
    "records",
    lambda name, version: YES_NO,
)


def ref(char: str, name: str) -> dict[str, Any]:
    return {"sha256": char * 64, "name": name, "media_type": "image/jpeg", "size": 1}


DATA: dict[str, Any] = {
    "subject": "Fuel levy at the bridge",
    "colour": "red",
    "flags": ["yes-no:2:yes", "yes-no:2:no"],
    "day": "2026-03",
    "pos": {"lat": 12.504167, "lon": -1.25, "precision_m": 10},
    "town": "Kaya",
    "story": "Drivers paid.",
    "count": 3,
    "witness": "Alice Witness",
    "witness_known": "yes-no:2:yes",
    "passport": [ref("c", "passport-alice.pdf")],
    "photos": [ref("b", "bridge.jpg"), ref("a", "truck.jpg")],
    "people": [
        {
            "person_name": "Bob Person",
            "role": "driver",
            "person_photo": [ref("b", "bridge.jpg")],
            "contacts": [
                {"contact_doc": [ref("e", "receipt.jpg")], "phone": "+226 70 00 00 00"},
                {"phone": "+226 71 11 11 11"},
            ],
        },
        {"role": "collector", "person_photo": [ref("d", "collector.jpg")]},
    ],
}


# -- attachment hashes -----------------------------------------------------------------------------


def test_attachment_hashes_are_gathered_through_repeats_sorted_without_repeats() -> None:
    assert attachment_hashes(FORM, DATA) == [c * 64 for c in "abcde"]


def test_attachment_hashes_of_a_record_without_attachments() -> None:
    assert attachment_hashes(FORM, {"subject": "x", "people": []}) == []
    assert attachment_hashes(FORM, {}) == []


def test_attachment_hashes_ignore_fields_that_are_not_attachments() -> None:
    data = {"story": [ref("f", "x")], "people": [{"role": [ref("f", "y")]}, "junk"]}
    assert attachment_hashes(FORM, data) == []


# -- summaries -------------------------------------------------------------------------------------


def test_summary_shows_labels_in_the_language() -> None:
    summary = summarize(FORM, DATA, "fr")
    assert summary.title == "Fuel levy at the bridge · Rouge · Oui, Non"
    assert summary.date == "2026-03"
    assert summary.place == "12.5042, -1.2500, Kaya"
    assert summarize(FORM, DATA, "en").title == "Fuel levy at the bridge · Red · Yes, No"


def test_summary_cuts_long_texts_at_80_characters() -> None:
    summary = summarize(FORM, {"subject": "x" * 81}, "en")
    assert summary.title == "x" * 79 + "…"
    assert summarize(FORM, {"subject": "y" * 80}, "en").title == "y" * 80


def test_summary_falls_back_to_the_form_title() -> None:
    assert summarize(FORM, {}, "fr").title == "Veille des marchés"
    assert summarize(FORM, {"town": "Kaya"}, "ar").title == "Market watch"
    assert summarize(FORM, {}, "en").date == ""
    assert summarize(FORM, {}, "en").place == ""


def test_summary_skips_unanswered_fields_without_empty_separators() -> None:
    summary = summarize(FORM, {"colour": "red", "town": "Kaya"}, "en")
    assert summary.title == "Red"
    assert summary.place == "Kaya"


def test_summary_never_shows_identifying_answers() -> None:
    # Forms cannot name identifying fields in their summary; build one that does anyway, to check
    # that summarize() refuses on its own.
    sneaky = FORM.model_copy(
        update={
            "summary": Summary(title=["witness", "witness_known"], date=None, place=["witness"])
        }
    )
    summary = summarize(sneaky, DATA, "en")
    assert "Alice" not in repr(summary)
    assert summary.title == "Market watch"
    assert summary.place == ""
    assert "Yes" not in summary.title


# -- search text -----------------------------------------------------------------------------------


def test_search_text_holds_answers_and_choice_labels_in_every_language() -> None:
    text = searchable_text(FORM, DATA, "fr")
    lines = text.split("\n")
    assert lines[0] == "Veille des marchés"
    for expected in [
        "Fuel levy at the bridge",
        "red",
        "Red",
        "Rouge",
        "yes",
        "Yes",
        "Oui",
        "نعم",
        "no",
        "Non",
        "لا",
        "2026-03",
        "Kaya",
        "Drivers paid.",
        "3",
        "bridge.jpg",
        "truck.jpg",
        "driver",
        "collector",
        "collector.jpg",
        "receipt.jpg",
    ]:
        assert expected in lines, expected


def test_search_text_leaves_out_identifying_answers() -> None:
    text = searchable_text(FORM, DATA, "en")
    for secret in ["Alice", "Bob", "passport", "+226", "70 00"]:
        assert secret not in text, secret
    # witness_known is identifying too, so its labels are not there from that answer; "Yes" comes
    # only from the flags answer.
    assert text.split("\n").count("Yes") == 1


def test_search_text_leaves_out_positions_and_unknown_fields() -> None:
    text = searchable_text(FORM, {"pos": DATA["pos"], "ghost": "boo", "town": None}, "en")
    assert text == "Market watch"


def test_search_text_of_an_unknown_choice_is_the_code() -> None:
    text = searchable_text(FORM, {"colour": "blue"}, "en")
    assert text == "Market watch\nblue"


def test_attachment_refs_name_the_path_of_each_reference() -> None:
    from fieldkit.domain.records import attachment_refs

    form = form_from_data(
        {
            "fieldkit_form": 1,
            "id": "refs",
            "version": "1",
            "title": {"en": "Refs"},
            "languages": ["en"],
            "fields": [
                {"name": "files", "type": "attachment", "label": {"en": "Files"}},
                {
                    "name": "people",
                    "type": "repeat",
                    "fields": [{"name": "photo", "type": "attachment", "label": {"en": "Photo"}}],
                },
            ],
        },
        "refs.yaml",
    )
    data = {
        "files": [{"sha256": "1" * 64}, "not a reference"],
        "people": [{}, {"photo": [{"sha256": "2" * 64}, {"sha256": 5}]}, "junk"],
    }
    assert attachment_refs(form, data) == [("files", "1" * 64), ("people[2].photo", "2" * 64)]
    assert attachment_refs(form, "not answers") == []


def test_remembered_labels_hold_nothing_of_the_answers() -> None:
    # summarize and searchable_text keep label tables with the form (which stays cached after
    # the vault is locked): they are made from the form alone, never from answers.
    form = shipped_form("illicit-market-observation")
    answers = shipped_record("illicit-market-observation.valid")
    answers["narrative"] = "Zebulon Quartermaine at the depot"
    data = check(form, answers, clock=lambda: dt.datetime(2026, 11, 25, tzinfo=dt.UTC)).data
    for language in form.languages:
        summarize(form, data, language)
        assert "Zebulon" in searchable_text(form, data, language)
    assert "Zebulon" not in repr(form.derived)
