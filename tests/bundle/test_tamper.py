"""security.md test 6: every bit flip, truncation, dropped, duplicated or reordered frame, header
edit, unknown or revoked signer and wrong recipient is rejected, and nothing is left behind.

Frame-level changes are made by decrypting with HQ's key, editing the plaintext and encrypting it
again to the same recipients: anyone can encrypt to HQ's public key, so the inner checks must
hold on their own.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fieldkit.bundle import (
    BundleError,
    DamagedError,
    NewerVersionError,
    NotRecognisedError,
    UntrustedSignerError,
    open_bundle,
)
from fieldkit.bundle.container import DATA_CHUNK
from fieldkit.bundle.errors import Kind, damaged
from fieldkit.crypto.identity import SigningKey
from tests.bundle.factory import (
    ATTACHMENT,
    DATA,
    END,
    MAGIC,
    MANIFEST,
    REVISION,
    SIGNATURE,
    Keys,
    decrypt,
    encrypt,
    files_under,
    impersonating_bundle,
    join,
    make_bundle,
    open_bytes,
    resign,
    sealed,
    split,
    standard_items,
)

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class Sample:
    keys: Keys
    data: bytes
    plaintext: bytes
    frames: list[tuple[int, bytes]]
    spool: Path


@pytest.fixture(scope="module")
def small(module_keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> Sample:
    """Two revisions and one small attachment: small enough to flip every bit."""
    data, _info = make_bundle(module_keys, standard_items(module_keys, [b"photo"]), [b"photo"])
    plaintext = decrypt(data, module_keys.hq[0])
    spool = tmp_path_factory.mktemp("spool-small")
    return Sample(module_keys, data, plaintext, split(plaintext), spool)


@pytest.fixture(scope="module")
def large(module_keys: Keys, tmp_path_factory: pytest.TempPathFactory) -> Sample:
    """Three revisions and three attachments, one spanning three DATA frames."""
    blobs = [os.urandom(2 * DATA_CHUNK + 1000), b"", os.urandom(70_000)]
    revisions = [*standard_items(module_keys, blobs), sealed(module_keys.device)]
    data, _info = make_bundle(module_keys, revisions, blobs)
    plaintext = decrypt(data, module_keys.hq[0])
    spool = tmp_path_factory.mktemp("spool-large")
    return Sample(module_keys, data, plaintext, split(plaintext), spool)


ALTERED = (
    r"it is truncated, or its encrypted bytes were altered"
    r"|not a fieldkit bundle, or it is not encrypted to this headquarters' key"
)
"""The two reasons for encrypted bytes changed, cut or added (docs/hq.md)."""
NOT_OURS = "not a fieldkit bundle, or it is not encrypted to this headquarters' key"
FRAMES = "|".join(
    re.escape(reason)
    for reason in (
        "an attachment does not match its manifest entry",
        "an attachment does not match its hash in the manifest",
        "a revision does not match its hash in the manifest",
        "a form does not match its hash in the manifest",
        "an item is missing, extra or out of order",
        "an item's size does not match the manifest",
        "it does not start with a manifest",
        "it ends before its last item",
        "the manifest is empty",
        "the manifest is not followed by its signature",
        "there are bytes after the end",
    )
)
"""The reasons for frames dropped, repeated, moved, split, inserted or cut (a frame moved to
where another of the same size was is found by its hash)."""


def _rejected(sample: Sample, data: bytes, error: type[BundleError], reason: str) -> None:
    """Opening ``data`` raises ``error`` whose message matches ``reason``; nothing is left."""
    with pytest.raises(error, match=reason):
        open_bytes(data, sample.keys, sample.spool)
    assert files_under(sample.spool) == []


def _reencrypted(sample: Sample, plaintext: bytes) -> bytes:
    return encrypt(plaintext, sample.keys.recipients)


def test_the_samples_open(small: Sample, large: Sample) -> None:
    for sample in (small, large):
        opened = open_bytes(sample.data, sample.keys, sample.spool)
        opened.discard()
        assert files_under(sample.spool) == []
        # and re-encrypting the untouched plaintext gives a bundle that opens as well:
        open_bytes(_reencrypted(sample, sample.plaintext), sample.keys, sample.spool).discard()


def test_every_single_bit_flip_anywhere_is_rejected(small: Sample) -> None:
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


def test_every_truncation_is_rejected(small: Sample) -> None:
    for length in range(len(small.data)):
        with pytest.raises(BundleError, match=ALTERED):
            open_bytes(small.data[:length], small.keys, small.spool)
    assert files_under(small.spool) == []


@SETTINGS
@given(position=st.data())
def test_bit_flips_in_a_multi_chunk_bundle_are_rejected(
    large: Sample, position: st.DataObject
) -> None:
    bit = position.draw(st.integers(0, len(large.data) * 8 - 1))
    flipped = bytearray(large.data)
    flipped[bit // 8] ^= 1 << (bit % 8)
    _rejected(large, bytes(flipped), BundleError, ALTERED)


@SETTINGS
@given(position=st.data())
def test_truncations_and_extensions_are_rejected(large: Sample, position: st.DataObject) -> None:
    length = position.draw(st.integers(0, len(large.data) - 1))
    _rejected(large, large.data[:length], BundleError, ALTERED)
    tail = position.draw(st.binary(min_size=1, max_size=64))
    _rejected(large, large.data + tail, BundleError, ALTERED)


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
def test_dropped_duplicated_reordered_or_resplit_frames_are_rejected(
    large: Sample,
    operation: Callable[[list[tuple[int, bytes]], int, int], list[tuple[int, bytes]]],
    picks: tuple[int, int],
) -> None:
    n = len(large.frames)
    edited = operation(large.frames, picks[0] % n, picks[1] % n)
    plaintext = join(edited)
    assume(plaintext != large.plaintext)
    _rejected(large, _reencrypted(large, plaintext), DamagedError, FRAMES)


@SETTINGS
@given(
    where=st.integers(0, 10_000),
    kind=st.integers(0, 255),
    payload=st.binary(max_size=80),
)
def test_an_inserted_frame_of_any_type_is_rejected(
    large: Sample, where: int, kind: int, payload: bytes
) -> None:
    frames = list(large.frames)
    frames.insert(where % (len(frames) + 1), (kind, payload))
    _rejected(large, _reencrypted(large, join(frames)), DamagedError, FRAMES)


@SETTINGS
@given(garbage=st.binary(min_size=1, max_size=40))
def test_plaintext_after_the_end_frame_is_rejected(large: Sample, garbage: bytes) -> None:
    _rejected(
        large,
        _reencrypted(large, large.plaintext + garbage),
        DamagedError,
        "there are bytes after the end",
    )


@SETTINGS
@given(cut=st.integers(0, 10**9))
def test_a_plaintext_cut_anywhere_and_reencrypted_is_rejected(large: Sample, cut: int) -> None:
    _rejected(
        large,
        _reencrypted(large, large.plaintext[: cut % len(large.plaintext)]),
        BundleError,
        FRAMES,
    )


# -- signers --------------------------------------------------------------------------------------


def test_unknown_device_is_refused_before_anything_is_spooled(small: Sample) -> None:
    with pytest.raises(
        UntrustedSignerError, match="The bundle is signed by an unknown or revoked device"
    ) as caught:
        open_bytes(small.data, small.keys, small.spool, trusted=lambda _k, _p: False)
    assert small.keys.device.key_id in caught.value.user_message
    assert files_under(small.spool) == []


def test_revoked_device_is_refused(small: Sample) -> None:
    revoked = {small.keys.device.key_id}
    with pytest.raises(
        UntrustedSignerError, match="The bundle is signed by an unknown or revoked device"
    ):
        open_bytes(small.data, small.keys, small.spool, trusted=lambda k, _p: k not in revoked)
    assert files_under(small.spool) == []


def test_the_callback_gets_the_key_id_of_the_key_it_gets(small: Sample) -> None:
    seen: list[tuple[str, bytes]] = []

    def trusted(key_id: str, public_key: bytes) -> bool:
        seen.append((key_id, public_key))
        return True

    open_bytes(small.data, small.keys, small.spool, trusted=trusted).discard()
    assert seen == [(small.keys.device.key_id, small.keys.device.public.public_key)]


def test_a_manifest_resigned_by_another_key_is_refused(small: Sample) -> None:
    intruder = SigningKey.generate()
    frames = resign(small.frames, intruder)
    _rejected(
        small,
        _reencrypted(small, join(frames)),
        UntrustedSignerError,
        "signed by an unknown or revoked device",
    )


def test_a_manifest_edited_without_resigning_is_refused(small: Sample) -> None:
    manifest = small.frames[0][1].replace(b'"sequence":1', b'"sequence":7')
    assert manifest != small.frames[0][1]
    frames = [(MANIFEST, manifest), *small.frames[1:]]
    _rejected(
        small,
        _reencrypted(small, join(frames)),
        DamagedError,
        "the manifest's signature does not verify",
    )


def test_a_signature_by_another_key_under_the_devices_name_is_refused(small: Sample) -> None:
    intruder = SigningKey.generate()
    forged = resign(small.frames, intruder)
    device_key = small.keys.device.public.public_key
    frames = [forged[0], (SIGNATURE, device_key + forged[1][1][32:]), *forged[2:]]
    _rejected(
        small,
        _reencrypted(small, join(frames)),
        DamagedError,
        "the manifest's signature does not verify",
    )


def test_a_manifest_naming_another_device_than_its_signer_is_refused(small: Sample) -> None:
    other = SigningKey.generate()

    def claim_other(manifest: dict[str, object]) -> None:
        manifest["device"] = {"key_id": other.key_id, "public_key": other.public.public_key.hex()}

    _rejected(
        small,
        _reencrypted(small, join(resign(small.frames, small.keys.device, claim_other))),
        DamagedError,
        "the manifest names another device than its signer",
    )


def test_an_enrolled_device_signing_as_another_enrolled_device_is_refused(
    small: Sample,
) -> None:
    """Device A re-seals revisions naming device B, signs them and the manifest with its own
    key and names B in the manifest; both devices are enrolled. Every signature verifies and
    every revision names the manifest's device: only the check that the manifest's device is
    its signer refuses it."""
    signer, named = small.keys.device, SigningKey.generate()
    enrolled = {signer.public.public_key, named.public.public_key}
    data, _forged = impersonating_bundle(small.keys, signer, named, [b"photo"])

    with pytest.raises(DamagedError, match="the manifest names another device than its signer"):
        open_bytes(data, small.keys, small.spool, trusted=lambda _k, public: public in enrolled)
    assert files_under(small.spool) == []


# -- revisions ------------------------------------------------------------------------------------


def _revision_frames(sample: Sample) -> list[int]:
    return [i for i, (kind, _p) in enumerate(sample.frames) if kind == REVISION]


def test_a_revision_whose_content_changed_is_refused(small: Sample) -> None:
    i = _revision_frames(small)[0]
    payload = small.frames[i][1]
    changed = payload[:64] + payload[64:].replace(b"test", b"TEST")
    assert changed != payload
    frames = [*small.frames[:i], (REVISION, changed), *small.frames[i + 1 :]]
    _rejected(
        small,
        _reencrypted(small, join(frames)),
        DamagedError,
        "a revision does not match its hash in the manifest",
    )


def test_a_revision_whose_signature_does_not_verify_is_refused(small: Sample) -> None:
    i = _revision_frames(small)[1]
    payload = small.frames[i][1]
    frames = [*small.frames[:i], (REVISION, bytes(64) + payload[64:]), *small.frames[i + 1 :]]
    _rejected(
        small,
        _reencrypted(small, join(frames)),
        DamagedError,
        "a revision's signature does not verify",
    )


def test_a_revision_signed_by_another_device_is_refused_even_in_a_signed_manifest(
    small: Sample,
) -> None:
    other = SigningKey.generate()
    foreign = sealed(other)
    i = _revision_frames(small)[0]

    def swap_entry(manifest: dict[str, object]) -> None:
        entries = manifest["revisions"]
        assert isinstance(entries, list)
        entries[0] = {
            "record": foreign.record_id,
            "revision": 1,
            "sha256": foreign.sha256,
            "size": len(foreign.content),
        }

    frames = resign(small.frames, small.keys.device, swap_entry)
    frames[i] = (REVISION, foreign.signature + foreign.content)
    _rejected(
        small,
        _reencrypted(small, join(frames)),
        DamagedError,
        "a revision's signature does not verify",
    )


def test_a_signed_revision_whose_hash_differs_from_the_signed_manifest_is_refused(
    small: Sample,
) -> None:
    """Both signatures verify; only the hash in the manifest disagrees with the revision."""

    def rehash(manifest: dict[str, object]) -> None:
        entries = manifest["revisions"]
        assert isinstance(entries, list)
        entries[0]["sha256"] = "0" * 64

    frames = resign(small.frames, small.keys.device, rehash)
    with pytest.raises(
        DamagedError, match="a revision does not match its hash in the manifest"
    ) as caught:
        open_bytes(_reencrypted(small, join(frames)), small.keys, small.spool)
    assert "hash" in caught.value.user_message
    assert files_under(small.spool) == []


def test_a_revision_that_does_not_match_its_entry_is_refused(small: Sample) -> None:
    def renumber(manifest: dict[str, object]) -> None:
        entries = manifest["revisions"]
        assert isinstance(entries, list)
        entries[0]["record"] = "f" * 32

    frames = resign(small.frames, small.keys.device, renumber)
    _rejected(
        small,
        _reencrypted(small, join(frames)),
        DamagedError,
        "a revision does not match its manifest entry",
    )


def test_an_attachment_whose_bytes_changed_is_refused(small: Sample) -> None:
    i = next(i for i, (kind, _p) in enumerate(small.frames) if kind == DATA)
    frames = list(small.frames)
    frames[i] = (DATA, b"PHOTO")
    _rejected(
        small,
        _reencrypted(small, join(frames)),
        DamagedError,
        "an attachment does not match its hash in the manifest",
    )


def test_an_attachment_header_that_does_not_match_is_refused(small: Sample) -> None:
    i = next(i for i, (kind, _p) in enumerate(small.frames) if kind == ATTACHMENT)
    frames = list(small.frames)
    frames[i] = (ATTACHMENT, bytes(32) + frames[i][1][32:])
    _rejected(
        small,
        _reencrypted(small, join(frames)),
        DamagedError,
        "an attachment does not match its manifest entry",
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
        _rejected(
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
def test_age_header_edits_are_rejected(small: Sample, edit: Callable[[bytes], bytes]) -> None:
    end = small.data.index(b"\n--- ") + 5 + 43 + 1
    header, payload = small.data[:end], small.data[end:]
    edited = edit(header)
    assert edited != header
    _rejected(small, edited + payload, BundleError, ALTERED)


@pytest.mark.parametrize(
    "data",
    [b"", b"hello", MAGIC + b"\x00" * 40, b"age-encryption.org/v1\n", os.urandom(5000)],
    ids=["empty", "text", "plaintext-bundle", "header-start", "random"],
)
def test_files_that_are_not_bundles_are_not_recognised(small: Sample, data: bytes) -> None:
    _rejected(small, data, NotRecognisedError, NOT_OURS)


def test_an_age_file_for_hq_with_other_content_is_not_recognised(small: Sample) -> None:
    _rejected(
        small, _reencrypted(small, b"PK\x03\x04 a zip file, say"), NotRecognisedError, NOT_OURS
    )


def test_a_newer_container_or_manifest_version_asks_for_an_update(small: Sample) -> None:
    newer = b"FKBUNDLE\x02" + small.plaintext[len(MAGIC) :]
    _rejected(
        small, _reencrypted(small, newer), NewerVersionError, "made by a newer version of fieldkit"
    )

    def bump(manifest: dict[str, object]) -> None:
        manifest["v"] = 2
        manifest["new_member"] = True

    frames = resign(small.frames, small.keys.device, bump)
    _rejected(
        small,
        _reencrypted(small, join(frames)),
        NewerVersionError,
        "made by a newer version of fieldkit",
    )


def test_an_older_or_zero_version_is_damaged(small: Sample) -> None:
    _rejected(
        small,
        _reencrypted(small, b"FKBUNDLE\x00" + small.plaintext[9:]),
        DamagedError,
        "the container has an unknown format version",
    )


def test_the_end_frame_must_be_empty_and_last(small: Sample) -> None:
    assert small.frames[-1] == (END, b"")
    frames = [*small.frames[:-1], (END, b"\x00")]
    _rejected(
        small,
        _reencrypted(small, join(frames)),
        DamagedError,
        "an item's size does not match the manifest",
    )
    _rejected(
        small,
        _reencrypted(small, join(small.frames[:-1])),
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
