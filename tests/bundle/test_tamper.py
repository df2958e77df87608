"""security.md test 6: every bit flip, truncation, dropped, duplicated or reordered frame, header
edit and wrong recipient is rejected for its reason, and nothing is left behind (the signed
parts: test_tamper_signed.py).

Frame-level changes are made by decrypting with HQ's key, editing the plaintext and encrypting it
again to the same recipients: anyone can encrypt to HQ's public key, so the inner checks must
hold on their own.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fieldkit.bundle import (
    BundleError,
    DamagedError,
    NewerVersionError,
    NotRecognisedError,
    open_bundle,
)
from fieldkit.bundle.errors import Kind, damaged
from tests.bundle.factory import (
    END,
    MAGIC,
    encrypt,
    files_under,
    join,
    open_bytes,
    resign,
)
from tests.bundle.tampering import (
    ALTERED,
    FRAMES,
    NOT_OURS,
    SETTINGS,
    Sample,
    large,
    reencrypted,
    rejected,
    small,
)

__all__ = ["large", "small"]


def test_the_samples_open(small: Sample, large: Sample) -> None:
    for sample in (small, large):
        opened = open_bytes(sample.data, sample.keys, sample.spool)
        opened.discard()
        assert files_under(sample.spool) == []
        # and re-encrypting the untouched plaintext gives a bundle that opens as well:
        open_bytes(reencrypted(sample, sample.plaintext), sample.keys, sample.spool).discard()


def test_every_single_bit_flip_anywhere_isrejected(small: Sample) -> None:
    accepted = []
    for bit in range(len(small.data) * 8):
        flipped = bytearray(small.data)
        flipped[bit // 8] ^= 1 << (bit % 8)
        try:
            open_bytes(bytes(flipped), small.keys, small.spool)
        except BundleError as error:
            assert re.search(ALTERED, error.user_message), (bit, error.user_message)
            continue
        accepted.append(bit)
    assert accepted == []
    assert files_under(small.spool) == []


def test_every_truncation_isrejected(small: Sample) -> None:
    for length in range(len(small.data)):
        with pytest.raises(BundleError, match=ALTERED):
            open_bytes(small.data[:length], small.keys, small.spool)
    assert files_under(small.spool) == []


@SETTINGS
@given(position=st.data())
def test_bit_flips_in_a_multi_chunk_bundle_arerejected(
    large: Sample, position: st.DataObject
) -> None:
    bit = position.draw(st.integers(0, len(large.data) * 8 - 1))
    flipped = bytearray(large.data)
    flipped[bit // 8] ^= 1 << (bit % 8)
    rejected(large, bytes(flipped), BundleError, ALTERED)


@SETTINGS
@given(position=st.data())
def test_truncations_and_extensions_arerejected(large: Sample, position: st.DataObject) -> None:
    length = position.draw(st.integers(0, len(large.data) - 1))
    rejected(large, large.data[:length], BundleError, ALTERED)
    tail = position.draw(st.binary(min_size=1, max_size=64))
    rejected(large, large.data + tail, BundleError, ALTERED)


def _drop(frames: list[tuple[int, bytes]], i: int, _j: int) -> list[tuple[int, bytes]]:
    return frames[:i] + frames[i + 1 :]


def _duplicate(frames: list[tuple[int, bytes]], i: int, j: int) -> list[tuple[int, bytes]]:
    return [*frames[:j], frames[i], *frames[j:]]


def _swap(frames: list[tuple[int, bytes]], i: int, j: int) -> list[tuple[int, bytes]]:
    swapped = list(frames)
    swapped[i], swapped[j] = swapped[j], swapped[i]
    return swapped


def _move(frames: list[tuple[int, bytes]], i: int, j: int) -> list[tuple[int, bytes]]:
    rest = frames[:i] + frames[i + 1 :]
    return [*rest[:j], frames[i], *rest[j:]]


def _split_payload(frames: list[tuple[int, bytes]], i: int, j: int) -> list[tuple[int, bytes]]:
    kind, payload = frames[i]
    cut = j % (len(payload) + 1)
    return [*frames[:i], (kind, payload[:cut]), (kind, payload[cut:]), *frames[i + 1 :]]


OPERATIONS: list[Callable[[list[tuple[int, bytes]], int, int], list[tuple[int, bytes]]]] = [
    _drop,
    _duplicate,
    _swap,
    _move,
    _split_payload,
]


@SETTINGS
@given(
    operation=st.sampled_from(OPERATIONS),
    picks=st.tuples(st.integers(0, 10_000), st.integers(0, 10_000)),
)
def test_dropped_duplicated_reordered_or_resplit_frames_arerejected(
    large: Sample,
    operation: Callable[[list[tuple[int, bytes]], int, int], list[tuple[int, bytes]]],
    picks: tuple[int, int],
) -> None:
    n = len(large.frames)
    edited = operation(large.frames, picks[0] % n, picks[1] % n)
    plaintext = join(edited)
    assume(plaintext != large.plaintext)
    rejected(large, reencrypted(large, plaintext), DamagedError, FRAMES)


@SETTINGS
@given(
    where=st.integers(0, 10_000),
    kind=st.integers(0, 255),
    payload=st.binary(max_size=80),
)
def test_an_inserted_frame_of_any_type_isrejected(
    large: Sample, where: int, kind: int, payload: bytes
) -> None:
    frames = list(large.frames)
    frames.insert(where % (len(frames) + 1), (kind, payload))
    rejected(large, reencrypted(large, join(frames)), DamagedError, FRAMES)


@SETTINGS
@given(garbage=st.binary(min_size=1, max_size=40))
def test_plaintext_after_the_end_frame_isrejected(large: Sample, garbage: bytes) -> None:
    rejected(
        large,
        reencrypted(large, large.plaintext + garbage),
        DamagedError,
        "there are bytes after the end",
    )


@SETTINGS
@given(cut=st.integers(0, 10**9))
def test_a_plaintext_cut_anywhere_and_reencrypted_isrejected(large: Sample, cut: int) -> None:
    rejected(
        large,
        reencrypted(large, large.plaintext[: cut % len(large.plaintext)]),
        BundleError,
        FRAMES,
    )


# -- recipients and the age header ----------------------------------------------------------------


def test_a_key_that_is_not_a_recipient_cannot_open_it(small: Sample) -> None:
    with pytest.raises(
        NotRecognisedError,
        match="not a fieldkit bundle, or it is not encrypted to this headquarters' key",
    ):
        open_bytes(small.data, small.keys, small.spool, identities=[small.keys.other[0]])
    assert files_under(small.spool) == []


def test_reencryption_to_more_or_fewer_keys_than_the_device_chose_is_refused(
    small: Sample,
) -> None:
    keys = small.keys
    for recipients in ([keys.hq[1]], [*keys.recipients, keys.other[1]]):
        rejected(
            small,
            encrypt(small.plaintext, recipients),
            DamagedError,
            "it was re-encrypted to keys its device did not choose",
        )


def test_reencryption_to_keys_the_manifest_does_not_name_is_refused(small: Sample) -> None:
    keys = small.keys
    data = encrypt(small.plaintext, [keys.other[1], keys.escrow[1]])
    with pytest.raises(DamagedError, match="it was re-encrypted to keys its device did not choose"):
        open_bytes(data, keys, small.spool, identities=[keys.other[0]])
    assert files_under(small.spool) == []


@pytest.mark.parametrize(
    "edit",
    [
        lambda h: h.replace(b"age-encryption.org/v1", b"age-encryption.org/v2"),
        lambda h: h.replace(b"-> X25519", b"-> X25518", 1),
        lambda h: h.replace(b"\n--- ", b"\n-> extra stanza\n\n--- "),
        lambda h: h[: h.index(b"\n-> ") + 1] + h[h.index(b"\n-> ", h.index(b"\n-> ") + 1) + 1 :],
        lambda h: h[:-10] + (b"A" if h[-10:-9] != b"A" else b"B") + h[-9:],
        lambda h: h.replace(b"\n", b"\r\n", 1),
    ],
    ids=["version", "stanza-type", "added-stanza", "dropped-stanza", "mac", "line-ending"],
)
def test_age_header_edits_arerejected(small: Sample, edit: Callable[[bytes], bytes]) -> None:
    end = small.data.index(b"\n--- ") + 5 + 43 + 1
    header, payload = small.data[:end], small.data[end:]
    edited = edit(header)
    assert edited != header
    rejected(small, edited + payload, BundleError, ALTERED)


@pytest.mark.parametrize(
    "data",
    [b"", b"hello", MAGIC + b"\x00" * 40, b"age-encryption.org/v1\n", os.urandom(5000)],
    ids=["empty", "text", "plaintext-bundle", "header-start", "random"],
)
def test_files_that_are_not_bundles_are_not_recognised(small: Sample, data: bytes) -> None:
    rejected(small, data, NotRecognisedError, NOT_OURS)


def test_an_age_file_for_hq_with_other_content_is_not_recognised(small: Sample) -> None:
    rejected(small, reencrypted(small, b"PK\x03\x04 a zip file, say"), NotRecognisedError, NOT_OURS)


def test_a_newer_container_or_manifest_version_asks_for_an_update(small: Sample) -> None:
    newer = b"FKBUNDLE\x02" + small.plaintext[len(MAGIC) :]
    rejected(
        small, reencrypted(small, newer), NewerVersionError, "made by a newer version of fieldkit"
    )

    def bump(manifest: dict[str, object]) -> None:
        manifest["v"] = 2
        manifest["new_member"] = True

    frames = resign(small.frames, small.keys.device, bump)
    rejected(
        small,
        reencrypted(small, join(frames)),
        NewerVersionError,
        "made by a newer version of fieldkit",
    )


def test_an_older_or_zero_version_is_damaged(small: Sample) -> None:
    rejected(
        small,
        reencrypted(small, b"FKBUNDLE\x00" + small.plaintext[9:]),
        DamagedError,
        "the container has an unknown format version",
    )


def test_the_end_frame_must_be_empty_and_last(small: Sample) -> None:
    assert small.frames[-1] == (END, b"")
    frames = [*small.frames[:-1], (END, b"\x00")]
    rejected(
        small,
        reencrypted(small, join(frames)),
        DamagedError,
        "an item's size does not match the manifest",
    )
    rejected(
        small,
        reencrypted(small, join(small.frames[:-1])),
        DamagedError,
        "it ends before its last item",
    )


def test_check_manifest_can_refuse_before_anything_is_spooled(small: Sample) -> None:
    seen: list[str] = []

    def refuse(manifest: object) -> None:
        seen.append(str(list(small.spool.iterdir())))
        raise damaged(Kind.BUNDLE, "replayed")

    with pytest.raises(DamagedError, match="replayed"):
        open_bundle(
            io.BytesIO(small.data),
            [small.keys.hq[0]],
            small.keys.trusts_device,
            small.spool,
            check_manifest=refuse,
        )
    assert seen == ["[]"]
    assert files_under(small.spool) == []
