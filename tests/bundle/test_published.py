"""Published forms (.fkf): a form installs only if HQ's pinned key signed exactly it."""

from __future__ import annotations

import pytest

from fieldkit.bundle import (
    DamagedError,
    NewerVersionError,
    NotRecognisedError,
    UntrustedSignerError,
    make_published_form,
    read_published_form,
)
from fieldkit.bundle.container import FRAME_HEADER, PUBLISHED_FORM_MAGIC, FrameType, frame
from fieldkit.bundle.published import PUBLISHED_FORM_DOMAIN
from fieldkit.crypto.identity import SigningKey
from fieldkit.domain.forms import FormDefinition
from fieldkit.domain.records import canonical_json

FORM = FormDefinition.model_validate(
    {
        "id": "checkpoint-levy",
        "version": "2",
        "title": {"en": "Checkpoint levy"},
        "languages": ["en"],
        "fields": [{"name": "amount", "type": "integer", "label": {"en": "Amount"}}],
    }
)
HQ = SigningKey.generate()
PUBLISHED = "2026-12-07T09:00:00Z"


def _frames(data: bytes) -> list[tuple[int, bytes]]:
    """The frames of a signed form file, in order."""
    offset = len(PUBLISHED_FORM_MAGIC) + 1
    found = []
    while offset < len(data):
        kind, length = FRAME_HEADER.unpack_from(data, offset)
        offset += FRAME_HEADER.size
        found.append((kind, data[offset : offset + length]))
        offset += length
    return found


def _join(frames: list[tuple[int, bytes]], version: int = 1) -> bytes:
    return (
        PUBLISHED_FORM_MAGIC
        + bytes([version])
        + b"".join(frame(FrameType(k), p) for k, p in frames)
    )


def test_a_signed_form_reads_back_with_its_publication() -> None:
    data = make_published_form(hq_key=HQ, form=FORM, published=PUBLISHED)

    published = read_published_form(data, HQ.public.public_key)

    assert published.definition == FORM
    assert (published.form_id, published.version, published.published) == (
        "checkpoint-levy",
        "2",
        PUBLISHED,
    )
    assert published.hq_key_id == HQ.key_id
    assert [kind for kind, _ in _frames(data)] == [
        FrameType.PUBLICATION,
        FrameType.FORM,
        FrameType.SIGNATURE,
        FrameType.END,
    ]


def test_a_form_signed_by_another_key_is_refused() -> None:
    other = SigningKey.generate()
    data = make_published_form(hq_key=other, form=FORM, published=PUBLISHED)

    with pytest.raises(UntrustedSignerError, match="not signed by the headquarters this device"):
        read_published_form(data, HQ.public.public_key)


def test_a_tampered_definition_is_refused() -> None:
    frames = _frames(make_published_form(hq_key=HQ, form=FORM, published=PUBLISHED))
    changed = frames[1][1].replace(b"Checkpoint levy", b"Checkpoint LEVY")
    frames[1] = (FrameType.FORM, changed)

    with pytest.raises(DamagedError, match="does not match its hash"):
        read_published_form(_join(frames), HQ.public.public_key)


def test_a_changed_publication_does_not_verify() -> None:
    frames = _frames(make_published_form(hq_key=HQ, form=FORM, published=PUBLISHED))
    frames[0] = (FrameType.PUBLICATION, frames[0][1].replace(b"09:00:00", b"08:00:00"))

    with pytest.raises(DamagedError, match="the signature does not verify"):
        read_published_form(_join(frames), HQ.public.public_key)


def test_a_signature_of_the_pinned_key_over_another_message_is_refused() -> None:
    frames = _frames(make_published_form(hq_key=HQ, form=FORM, published=PUBLISHED))
    body = frames[0][1]
    wrong_domain = HQ.sign(b"fieldkit-receipt-v1\n" + body)
    assert PUBLISHED_FORM_DOMAIN != b"fieldkit-receipt-v1\n"
    frames[2] = (FrameType.SIGNATURE, HQ.public.public_key + wrong_domain)

    with pytest.raises(DamagedError, match="the signature does not verify"):
        read_published_form(_join(frames), HQ.public.public_key)


def test_an_unsigned_form_file_is_refused() -> None:
    frames = _frames(make_published_form(hq_key=HQ, form=FORM, published=PUBLISHED))
    unsigned = [frames[0], frames[1], frames[3]]

    with pytest.raises(DamagedError, match="missing, extra or out of order"):
        read_published_form(_join(unsigned), HQ.public.public_key)


def test_a_yaml_form_renamed_fkf_is_not_recognised() -> None:
    with pytest.raises(NotRecognisedError, match="not a form signed by a fieldkit headquarters"):
        read_published_form(canonical_json(FORM.model_dump(mode="json")), HQ.public.public_key)


def test_a_newer_format_asks_for_an_update() -> None:
    frames = _frames(make_published_form(hq_key=HQ, form=FORM, published=PUBLISHED))

    with pytest.raises(NewerVersionError, match="update fieldkit to install it"):
        read_published_form(_join(frames, version=2), HQ.public.public_key)
