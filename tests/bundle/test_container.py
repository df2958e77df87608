"""Units: the frame parser, the age header reader, size arithmetic, strict JSON."""

from __future__ import annotations

import pyrage
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldkit.bundle import schema
from fieldkit.bundle.agefile import (
    identity_from_key_file,
    new_identity,
    parse_header,
    parse_recipient,
    payload_size,
)
from fieldkit.bundle.container import FrameParser
from fieldkit.bundle.schema import ForeignFormatError, SchemaError
from tests.bundle.factory import frame


class Recorder:
    def __init__(self, buffered: set[int]) -> None:
        self.buffered = buffered
        self.events: list[tuple[str, object]] = []
        self._streamed = bytearray()

    def version(self, version: int) -> None:
        self.events.append(("version", version))

    def begin(self, frame_type: int, length: int) -> bool:
        self.events.append(("begin", (frame_type, length)))
        return frame_type in self.buffered

    def payload(self, data: bytes) -> None:
        self.events.append(("payload", data))

    def chunk(self, data: memoryview) -> None:
        self._streamed += data

    def end(self) -> None:
        if self._streamed:
            self.events.append(("streamed", bytes(self._streamed)))
            self._streamed.clear()
        self.events.append(("end", None))


FRAMES = st.lists(st.tuples(st.sampled_from([1, 2, 5]), st.binary(max_size=300)), max_size=6)


@settings(max_examples=200, deadline=None)
@given(frames=FRAMES, cuts=st.lists(st.integers(1, 50), max_size=40))
def test_feeding_in_any_pieces_gives_the_same_frames(
    frames: list[tuple[int, bytes]], cuts: list[int]
) -> None:
    data = b"TESTMAGI\x07" + b"".join(frame(k, p) for k, p in frames) + frame(0xFF, b"")
    whole, pieces = Recorder({1, 2, 0xFF}), Recorder({1, 2, 0xFF})
    parser = FrameParser(b"TESTMAGI", whole)
    parser.feed(data)
    parser.close()
    parser = FrameParser(b"TESTMAGI", pieces)
    pos = 0
    for cut in cuts:
        parser.feed(data[pos : pos + cut])
        pos += cut
    parser.feed(data[pos:])
    parser.close()
    assert whole.events == pieces.events
    assert whole.events[0] == ("version", 7)
    assert parser.frames == len(frames) + 1


def test_parser_refuses_wrong_magic_missing_end_and_trailing_bytes() -> None:
    with pytest.raises(ForeignFormatError, match="it does not start with the fieldkit magic"):
        FrameParser(b"TESTMAGI", Recorder(set())).feed(b"OTHERMAG\x01")
    parser = FrameParser(b"TESTMAGI", Recorder({1}))
    parser.feed(b"TESTMAGI\x01" + frame(1, b"x"))
    with pytest.raises(SchemaError, match="it ends before its last item"):
        parser.close()
    parser = FrameParser(b"TESTMAGI", Recorder({0xFF}))
    parser.feed(b"TESTMAGI\x01" + frame(0xFF, b""))
    with pytest.raises(SchemaError, match="there are bytes after the end"):
        parser.feed(b"\x00")


def test_age_header_counts_x25519_stanzas_and_its_length() -> None:
    recipients = [new_identity()[1] for _ in range(3)]
    for _ in range(20):  # rage adds random "grease" stanzas now and then
        data = pyrage.encrypt(b"hello", [parse_recipient(r, "r") for r in recipients])
        header = parse_header(data)
        assert header.x25519_stanzas == 3
        assert data[header.length - 48 : header.length].startswith(b"--- ")
        assert len(data) == header.length + payload_size(5)


@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 65537, 131072, 200_000])
def test_payload_size_matches_age(size: int) -> None:
    recipient = new_identity()[1]
    data = pyrage.encrypt(b"x" * size, [parse_recipient(recipient, "r")])
    assert len(data) == parse_header(data).length + payload_size(size)


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (
            b"age-encryption.org/v2\n-> X25519 AAAA\n\n--- " + b"A" * 43 + b"\n",
            "it does not start with an age v1 header",
        ),
        (b"age-encryption.org/v1\n--- " + b"A" * 43 + b"\n", "the age header names no recipient"),
        (
            b"age-encryption.org/v1\n-> X25519 short\n\n--- " + b"A" * 43 + b"\n",
            "the age header is malformed",
        ),
        (
            b"age-encryption.org/v1\n-> X25519 " + b"A" * 43 + b"\n" + b"A" * 64 + b"\n",
            "the age header is incomplete or too long",
        ),
        (b"age-encryption.org/v1\n-> \n\n--- " + b"A" * 43 + b"\n", "the age header is malformed"),
        (
            b"age-encryption.org/v1\n-> x\n" + b"!" * 10 + b"\n--- " + b"A" * 43 + b"\n",
            "the age header is malformed",
        ),
        (
            b"age-encryption.org/v1\n-> x\n\n--- " + b"A" * 42 + b"B\n",
            "the age header is malformed",
        ),
        (b"age-encryption.org/v1\n-> x\n\n", "the age header is incomplete or too long"),
    ],
)
def test_malformed_age_headers_are_refused(header: bytes, reason: str) -> None:
    with pytest.raises(SchemaError, match=reason):
        parse_header(header)


def test_identity_key_files() -> None:
    identity, _recipient = new_identity()
    assert identity_from_key_file(f"# created: now\n# public key: x\n{identity}\n") == identity
    with pytest.raises(SchemaError, match="an age key file must hold exactly one secret key"):
        identity_from_key_file(f"{identity}\n{identity}\n")
    with pytest.raises(SchemaError, match="an age identity must be an X25519 secret key"):
        identity_from_key_file("AGE-SECRET-KEY-1NOPE\n")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"a":1,"a":1}', "a JSON object repeats a key"),
        (b'{"a":1.0}', "a number is not a whole number"),
        (b'{"a":Infinity}', "a number is not finite"),
        (b'"\\udfff"', "a string holds an unpaired surrogate"),
        (b"\xc3\x28", "the text is not valid UTF-8"),
        (b"[1,]", "the text is not valid JSON"),
    ],
)
def test_strict_json_refuses(data: bytes, reason: str) -> None:
    with pytest.raises(SchemaError, match=reason):
        schema.load_json(data, max_depth=8, canonical=False)


def test_strict_json_canonical_and_depth() -> None:
    assert schema.load_json(b'{"a":[1,{"b":null}]}', max_depth=3, canonical=True) == {
        "a": [1, {"b": None}]
    }
    with pytest.raises(SchemaError, match="the JSON is nested too deeply"):
        schema.load_json(b'{"a":[1,{"b":null}]}', max_depth=2, canonical=True)
    with pytest.raises(SchemaError, match="the JSON is not in canonical form"):
        schema.load_json(b'{"b":1,"a":2}', max_depth=3, canonical=True)
    with pytest.raises(SchemaError, match="the JSON is not in canonical form"):
        schema.load_json(b'{"a": 2}', max_depth=3, canonical=True)


JSON_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | JSON_TEXT,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(JSON_TEXT, children, max_size=4)
    ),
    max_leaves=20,
)


JSON_NUMBERS = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [1e-4, 9.999e-5, 1e-7, 1e16, 1e16 - 2, 1e21, 123.456, 0.1, -0.0, 5e-324, 1.7976931348623157e308]
)
JSON_WITH_FLOATS = st.recursive(
    st.none() | st.integers(-(2**53) + 1, 2**53 - 1) | JSON_TEXT | JSON_NUMBERS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(JSON_TEXT, children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(value=JSON_WITH_FLOATS)
def test_the_fast_canonical_check_agrees_with_rfc8785_on_floats(value: object) -> None:
    import json

    from fieldkit.domain.records import canonical_json

    encoded = canonical_json(value)
    try:
        parsed = schema.load_json(encoded, max_depth=64, canonical=True, fractions=True)
    except SchemaError as error:  # whole numbers beyond 2**53 are refused, as they must be
        assert "too large" in str(error)
        return
    assert canonical_json(parsed) == encoded
    needs_rfc8785 = schema.check_tree(parsed, max_depth=64)
    assert schema.is_canonical(parsed, encoded, needs_rfc8785)
    python_form = json.dumps(parsed, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    if python_form.encode() != encoded:
        assert not schema.is_canonical(parsed, python_form.encode(), needs_rfc8785)
        with pytest.raises(SchemaError, match="the JSON is not in canonical form"):
            schema.load_json(python_form.encode(), max_depth=64, canonical=True, fractions=True)


@settings(max_examples=400, deadline=None)
@given(value=JSON_VALUES)
def test_the_fast_canonical_check_agrees_with_rfc8785(value: object) -> None:
    import json

    from fieldkit.domain.records import canonical_json

    encoded = canonical_json(value)
    high = schema.check_tree(value, max_depth=64)
    assert schema.is_canonical(value, encoded, high)
    assert schema.load_json(encoded, max_depth=64, canonical=True) == value
    loose = json.dumps(value, indent=1).encode()
    if loose != encoded:
        assert not schema.is_canonical(value, loose, high)
    ascii_escaped = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    if ascii_escaped != encoded:
        assert not schema.is_canonical(value, ascii_escaped, high)


def test_key_order_follows_utf16_code_units_as_rfc8785_says() -> None:
    from fieldkit.domain.records import canonical_json

    value = {"\uffff": 1, "\U0001f600": 2, "a": 3}
    encoded = canonical_json(value)
    assert encoded.index("\U0001f600".encode()) < encoded.index("\uffff".encode())
    assert schema.load_json(encoded, max_depth=4, canonical=True) == value
    code_point_order = '{"a":3,"\uffff":1,"\U0001f600":2}'.encode()
    with pytest.raises(SchemaError, match="the JSON is not in canonical form"):
        schema.load_json(code_point_order, max_depth=4, canonical=True)


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(value=JSON_VALUES)
def test_depth_of_the_containers_is_the_depth_of_the_tree(value: object) -> None:
    assert schema.tree_depth(value, 100) == _depth(value)
    assert schema.tree_depth([[value]], 1) == 2  # stops once past the limit


def test_brackets_in_strings_do_not_count_and_deep_text_is_refused() -> None:
    assert schema.load_json(rb'{"a":"[[[[[[\"}"}', max_depth=1, canonical=True) == {"a": '[[[[[["}'}
    with pytest.raises(SchemaError, match="nested too deeply"):
        schema.load_json(b"[" * 200_000 + b"]" * 200_000, max_depth=32, canonical=False)
    with pytest.raises(SchemaError, match="surrogate"):
        schema.load_json(b'{"a":"\\ud800"}', max_depth=4, canonical=False)
    paired = schema.load_json(b'{"a":"\\ud83d\\ude00"}', max_depth=4, canonical=False)
    assert paired == {"a": "\U0001f600"}
    with pytest.raises(SchemaError, match="canonical"):
        schema.load_json(b'{"a":"\\ud83d\\ude00"}', max_depth=4, canonical=True)
    with pytest.raises(SchemaError, match="too large"):
        schema.load_json(b'{"a":9007199254740992}', max_depth=4, canonical=True)


@settings(max_examples=500, deadline=None)
@given(text=st.text(st.characters(exclude_categories=["Cs"]), max_size=20))
def test_high_characters_are_found_from_their_utf8_lead_bytes(text: str) -> None:
    expected = any(c >= "\ue000" for c in text)
    assert schema._has_high_character(text.encode()) is expected
