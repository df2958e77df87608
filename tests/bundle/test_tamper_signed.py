"""security.md test 6, signed parts: an unknown, revoked or impersonated signer, a manifest edited
or re-signed, a revision or attachment that does not match the signed manifest, is refused for
its own reason, and nothing is left behind."""

from __future__ import annotations

import pytest

from fieldkit.bundle import (
    DamagedError,
    UntrustedSignerError,
)
from fieldkit.crypto.identity import SigningKey
from tests.bundle.factory import (
    ATTACHMENT,
    DATA,
    MANIFEST,
    REVISION,
    SIGNATURE,
    files_under,
    impersonating_bundle,
    join,
    open_bytes,
    resign,
    sealed,
)
from tests.bundle.tampering import Sample, reencrypted, rejected, small

__all__ = ["small"]


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
    rejected(
        small,
        reencrypted(small, join(frames)),
        UntrustedSignerError,
        "signed by an unknown or revoked device",
    )


def test_a_manifest_edited_without_resigning_is_refused(small: Sample) -> None:
    manifest = small.frames[0][1].replace(b'"sequence":1', b'"sequence":7')
    assert manifest != small.frames[0][1]
    frames = [(MANIFEST, manifest), *small.frames[1:]]
    rejected(
        small,
        reencrypted(small, join(frames)),
        DamagedError,
        "the manifest's signature does not verify",
    )


def test_a_signature_by_another_key_under_the_devices_name_is_refused(small: Sample) -> None:
    intruder = SigningKey.generate()
    forged = resign(small.frames, intruder)
    device_key = small.keys.device.public.public_key
    frames = [forged[0], (SIGNATURE, device_key + forged[1][1][32:]), *forged[2:]]
    rejected(
        small,
        reencrypted(small, join(frames)),
        DamagedError,
        "the manifest's signature does not verify",
    )


def test_a_manifest_naming_another_device_than_its_signer_is_refused(small: Sample) -> None:
    other = SigningKey.generate()

    def claim_other(manifest: dict[str, object]) -> None:
        manifest["device"] = {"key_id": other.key_id, "public_key": other.public.public_key.hex()}

    rejected(
        small,
        reencrypted(small, join(resign(small.frames, small.keys.device, claim_other))),
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
    rejected(
        small,
        reencrypted(small, join(frames)),
        DamagedError,
        "a revision does not match its hash in the manifest",
    )


def test_a_revision_whose_signature_does_not_verify_is_refused(small: Sample) -> None:
    i = _revision_frames(small)[1]
    payload = small.frames[i][1]
    frames = [*small.frames[:i], (REVISION, bytes(64) + payload[64:]), *small.frames[i + 1 :]]
    rejected(
        small,
        reencrypted(small, join(frames)),
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
    rejected(
        small,
        reencrypted(small, join(frames)),
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
        open_bytes(reencrypted(small, join(frames)), small.keys, small.spool)
    assert "hash" in caught.value.user_message
    assert files_under(small.spool) == []


def test_a_revision_that_does_not_match_its_entry_is_refused(small: Sample) -> None:
    def renumber(manifest: dict[str, object]) -> None:
        entries = manifest["revisions"]
        assert isinstance(entries, list)
        entries[0]["record"] = "f" * 32

    frames = resign(small.frames, small.keys.device, renumber)
    rejected(
        small,
        reencrypted(small, join(frames)),
        DamagedError,
        "a revision does not match its manifest entry",
    )


def test_an_attachment_whose_bytes_changed_is_refused(small: Sample) -> None:
    i = next(i for i, (kind, _p) in enumerate(small.frames) if kind == DATA)
    frames = list(small.frames)
    frames[i] = (DATA, b"PHOTO")
    rejected(
        small,
        reencrypted(small, join(frames)),
        DamagedError,
        "an attachment does not match its hash in the manifest",
    )


def test_an_attachment_header_that_does_not_match_is_refused(small: Sample) -> None:
    i = next(i for i, (kind, _p) in enumerate(small.frames) if kind == ATTACHMENT)
    frames = list(small.frames)
    frames[i] = (ATTACHMENT, bytes(32) + frames[i][1][32:])
    rejected(
        small,
        reencrypted(small, join(frames)),
        DamagedError,
        "an attachment does not match its manifest entry",
    )
