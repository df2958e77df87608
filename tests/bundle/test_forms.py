"""FORM frames: a bundle carries the definitions of the forms its revisions name, checked.

Frame surgery re-signs the manifest with the device's own key where the test needs it: the
checks must hold even against a stolen or buggy device.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fieldkit.bundle import (
    DamagedError,
    FormSource,
    InvalidRequestError,
    LimitExceededError,
    Limits,
    SourceChangedError,
    form_bytes,
)
from fieldkit.domain.forms import FormDefinition
from fieldkit.domain.records import canonical_json, sha256_hex
from tests.bundle.factory import (
    FORM,
    REVISION,
    TEST_FORM,
    Keys,
    decrypt,
    encrypt,
    files_under,
    form_source,
    forms_for,
    join,
    make_bundle,
    open_bytes,
    resign,
    sealed,
    split,
    standard_items,
)

OTHER_FORM = FormDefinition.model_validate(
    {
        "id": "another-form",
        "version": "2",
        "title": {"en": "TEST another"},
        "languages": ["en"],
        "fields": [
            {"name": "who", "type": "text", "label": {"en": "Who"}, "sensitivity": "identifying"},
            {"name": "what", "type": "text", "label": {"en": "What"}, "sensitivity": "public"},
        ],
    }
)


def _frames(keys: Keys, revisions: list[Any] | None = None) -> list[tuple[int, bytes]]:
    revisions = revisions or [*standard_items(keys, [b"p"]), sealed(keys.device, form=OTHER_FORM)]
    data, _info = make_bundle(
        keys,
        revisions,
        [b"p"] if len(revisions) == 3 else [],
        forms=forms_for(revisions, [TEST_FORM, OTHER_FORM]),
    )
    return split(decrypt(data, keys.hq[0]))


def _refused(
    keys: Keys,
    tmp_path: Path,
    frames: list[tuple[int, bytes]],
    error: type[Exception],
    reason: str,
) -> str:
    """Opening ``frames`` raises ``error`` whose message matches ``reason``; nothing is left."""
    spool = tmp_path / "spool"
    with pytest.raises(error, match=reason) as caught:
        open_bytes(encrypt(join(frames), keys.recipients), keys, spool)
    assert files_under(spool) == []
    return str(caught.value)


def _form_indexes(frames: list[tuple[int, bytes]]) -> list[int]:
    return [i for i, (kind, _p) in enumerate(frames) if kind == FORM]


def test_round_trip_carries_each_form_once_sorted_and_parsed(keys: Keys, tmp_path: Path) -> None:
    revisions = [
        *standard_items(keys, [b"p"]),
        sealed(keys.device, form=OTHER_FORM, data={"who": "TEST name", "what": "x"}),
    ]
    data, info = make_bundle(
        keys, revisions, [b"p"], forms=[form_source(TEST_FORM), form_source(OTHER_FORM)]
    )
    opened = open_bytes(data, keys, tmp_path / "spool")

    assert [f.key for f in opened.forms] == [("another-form", "2"), ("test-observation", "1")]
    assert [f.key for f in opened.manifest.forms] == [f.key for f in opened.forms]
    assert opened.form_for("test-observation", "1").definition == TEST_FORM
    assert opened.form_for("another-form", "2").content == form_bytes(OTHER_FORM)
    assert opened.form_for("another-form", "2").sha256 == sha256_hex(form_bytes(OTHER_FORM))
    assert opened.plaintext_bytes == info.plaintext_bytes
    with pytest.raises(KeyError, match="test-observation"):
        opened.form_for("test-observation", "2")
    kinds = [kind for kind, _p in split(decrypt(data, keys.hq[0]))]
    assert kinds == [1, 2, REVISION, REVISION, REVISION, FORM, FORM, 4, 5, 0xFF]


def test_answers_with_fractions_travel_exactly(keys: Keys, tmp_path: Path) -> None:
    answers = {"weight": 12.5, "position": {"lat": 12.504167, "lon": -1.25, "precision_m": 7.5}}
    revision = sealed(keys.device, data=answers)
    data, _info = make_bundle(keys, [revision])
    opened = open_bytes(data, keys, tmp_path / "spool")
    assert opened.revisions[0].content == revision.content
    assert opened.revisions[0].envelope().data == answers


def test_a_changed_form_byte_is_refused(keys: Keys, tmp_path: Path) -> None:
    frames = _frames(keys)
    i = _form_indexes(frames)[0]
    payload = frames[i][1].replace(b'"identifying"', b'"restricted"')
    assert len(payload) != len(frames[i][1]) or payload != frames[i][1]
    frames[i] = (FORM, payload)
    _refused(keys, tmp_path, frames, DamagedError, "an item's size does not match the manifest")


def test_a_form_edited_to_the_same_length_is_refused(keys: Keys, tmp_path: Path) -> None:
    frames = _frames(keys)
    i = _form_indexes(frames)[1]
    payload = frames[i][1].replace(b"TEST observation", b"TEST-observation")
    assert len(payload) == len(frames[i][1]) and payload != frames[i][1]
    frames[i] = (FORM, payload)
    _refused(keys, tmp_path, frames, DamagedError, "a form does not match its hash in the manifest")


def test_a_missing_or_extra_form_frame_is_refused(keys: Keys, tmp_path: Path) -> None:
    frames = _frames(keys)
    first, second = _form_indexes(frames)
    _refused(
        keys,
        tmp_path,
        [*frames[:first], *frames[first + 1 :]],
        DamagedError,
        "an item's size does not match the manifest",
    )
    extra = [*frames[: second + 1], frames[second], *frames[second + 1 :]]
    _refused(keys, tmp_path, extra, DamagedError, "an item is missing, extra or out of order")
    swapped = list(frames)
    swapped[first], swapped[second] = swapped[second], swapped[first]
    _refused(keys, tmp_path, swapped, DamagedError, "an item's size does not match the manifest")


def test_a_form_frame_before_the_revisions_is_refused(keys: Keys, tmp_path: Path) -> None:
    frames = _frames(keys)
    i = _form_indexes(frames)[0]
    moved = [*frames[:2], frames[i], *(f for j, f in enumerate(frames[2:], 2) if j != i)]
    _refused(keys, tmp_path, moved, DamagedError, "an item is missing, extra or out of order")


def _edit_forms(frames: list[tuple[int, bytes]], keys: Keys, edit: Any) -> list[tuple[int, bytes]]:
    def change(manifest: dict[str, Any]) -> None:
        edit(manifest["forms"])

    return resign(frames, keys.device, change)


def test_a_signed_manifest_listing_forms_out_of_order_is_refused(
    keys: Keys, tmp_path: Path
) -> None:
    frames = _frames(keys)
    first, second = _form_indexes(frames)
    edited = _edit_forms(frames, keys, lambda forms: forms.reverse())
    edited[first], edited[second] = edited[second], edited[first]
    _refused(
        keys,
        tmp_path,
        edited,
        DamagedError,
        "the forms must be sorted by id and version, each listed once",
    )


def test_a_signed_manifest_with_an_unused_form_is_refused(keys: Keys, tmp_path: Path) -> None:
    """The device listed a form none of its revisions uses."""
    frames = _frames(keys, [sealed(keys.device)])
    other = form_source(OTHER_FORM)
    entry = {"id": other.form_id, "version": other.version, "sha256": other.sha256}
    edited = _edit_forms(
        frames, keys, lambda forms: forms.insert(0, {**entry, "size": len(other.definition)})
    )
    i = _form_indexes(edited)[0]
    edited.insert(i, (FORM, other.definition))
    reason = "the bundle carries a form that none of its revisions uses"
    _refused(keys, tmp_path, edited, DamagedError, reason)


def test_a_signed_manifest_without_the_revisions_form_is_refused(
    keys: Keys, tmp_path: Path
) -> None:
    frames = _frames(keys, [sealed(keys.device)])
    edited = _edit_forms(frames, keys, lambda forms: forms.clear())
    edited = [f for f in edited if f[0] != FORM]
    reason = "a revision names a form that is not in the bundle"
    _refused(keys, tmp_path, edited, DamagedError, reason)


def _replace_form(
    keys: Keys, frames: list[tuple[int, bytes]], payload: bytes
) -> list[tuple[int, bytes]]:
    """Put ``payload`` in the (only) FORM frame, with a manifest entry the device re-signed."""

    def change(forms: list[dict[str, Any]]) -> None:
        forms[0]["sha256"] = sha256_hex(payload)
        forms[0]["size"] = len(payload)

    edited = _edit_forms(frames, keys, change)
    edited[_form_indexes(edited)[0]] = (FORM, payload)
    return edited


@pytest.mark.parametrize(
    ("mangle", "reason"),
    [
        (lambda value: {**value, "id": "another-id"}, "a form does not match its manifest entry"),
        (lambda value: {**value, "fields": []}, "a form definition is not valid"),
        (lambda value: {**value, "unknown_member": 1}, "a form definition is not valid"),
        (lambda value: [value], "a form definition is not valid"),
    ],
    ids=["other-id", "invalid", "unknown-member", "not-an-object"],
)
def test_a_signed_but_wrong_form_definition_is_refused(
    keys: Keys, tmp_path: Path, mangle: Any, reason: str
) -> None:
    frames = _frames(keys, [sealed(keys.device)])
    value = json.loads(form_bytes(TEST_FORM))
    replaced = _replace_form(keys, frames, canonical_json(mangle(value)))
    _refused(keys, tmp_path, replaced, DamagedError, reason)


def test_a_signed_form_in_another_encoding_is_refused(keys: Keys, tmp_path: Path) -> None:
    frames = _frames(keys, [sealed(keys.device)])
    value = json.loads(form_bytes(TEST_FORM))
    indented = json.dumps(value, indent=1, sort_keys=True).encode()
    replaced = _replace_form(keys, frames, indented)
    _refused(keys, tmp_path, replaced, DamagedError, "the JSON is not in canonical form")
    # Canonical JSON, but with defaults left out: it parses to the same form, yet is refused,
    # so that one form has one encoding.
    value.pop("description")
    short = canonical_json(value)
    replaced = _replace_form(keys, frames, short)
    _refused(keys, tmp_path, replaced, DamagedError, "a form definition is not in canonical form")


def test_a_signed_hostile_form_is_refused(keys: Keys, tmp_path: Path) -> None:
    frames = _frames(keys, [sealed(keys.device)])
    deep = b'{"a":' * 5000 + b"1" + b"}" * 5000
    replaced = _replace_form(keys, frames, deep)
    _refused(keys, tmp_path, replaced, DamagedError, "the JSON is nested too deeply")
    replaced = _replace_form(keys, frames, b'{"id":"\xff"}')
    _refused(keys, tmp_path, replaced, DamagedError, "the text is not valid UTF-8")


def test_form_limits_are_enforced_on_both_sides(keys: Keys, tmp_path: Path) -> None:
    data, _info = make_bundle(keys, [sealed(keys.device)])
    size = len(form_bytes(TEST_FORM))
    for limits, what in (
        (Limits(max_forms=0), "the number of forms"),
        (Limits(max_form_bytes=size - 1), "the size of a form"),
        (Limits(max_forms_total_bytes=size - 1), "the size of all forms together"),
    ):
        reason = f"The bundle is refused: {what} exceeds the limit"
        with pytest.raises(LimitExceededError, match=reason):
            open_bytes(data, keys, tmp_path / "spool", limits=limits)
        with pytest.raises(LimitExceededError, match=reason):
            make_bundle(keys, [sealed(keys.device)], limits=limits)


def test_the_writer_refuses_forms_that_do_not_match_the_revisions(keys: Keys) -> None:
    revision = sealed(keys.device)
    with pytest.raises(
        InvalidRequestError,
        match="The bundle cannot be written: a revision's form definition is missing",
    ):
        make_bundle(keys, [revision], forms=[])
    with pytest.raises(
        InvalidRequestError,
        match="The bundle cannot be written: a form is given that no revision uses",
    ):
        make_bundle(keys, [revision], forms=[form_source(TEST_FORM), form_source(OTHER_FORM)])
    with pytest.raises(
        InvalidRequestError, match="The bundle cannot be written: a form is given twice"
    ):
        make_bundle(keys, [revision], forms=[form_source(TEST_FORM), form_source(TEST_FORM)])


def test_the_writer_refuses_a_form_whose_bytes_do_not_match(keys: Keys) -> None:
    revision = sealed(keys.device)
    good = form_source(TEST_FORM)
    with pytest.raises(
        SourceChangedError,
        match="does not match its recorded hash or size; no bundle was written",
    ):
        make_bundle(
            keys,
            [revision],
            forms=[FormSource(good.form_id, good.version, "0" * 64, good.definition)],
        )
    wrong_id = FormSource("other", good.version, good.sha256, good.definition)
    with pytest.raises(
        InvalidRequestError,
        match="The bundle cannot be written: a form does not match its manifest entry",
    ):
        make_bundle(keys, [revision], forms=[wrong_id])
    loose = json.dumps(json.loads(good.definition), indent=1).encode()
    with pytest.raises(
        InvalidRequestError, match="cannot be written: the JSON is not in canonical form"
    ):
        make_bundle(
            keys,
            [revision],
            forms=[FormSource(good.form_id, good.version, sha256_hex(loose), loose)],
        )
