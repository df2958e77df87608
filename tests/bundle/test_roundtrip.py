"""security.md test 6, first part: what the device writes, HQ opens, unchanged."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from fieldkit.bundle import (
    AttachmentSource,
    InvalidRequestError,
    LimitExceededError,
    Limits,
    SourceChangedError,
    open_bundle,
    write_bundle,
)
from fieldkit.bundle.container import DATA_CHUNK
from fieldkit.crypto.identity import SigningKey
from fieldkit.domain.records import sha256_hex
from tests.bundle.factory import (
    DATA,
    Keys,
    decrypt,
    files_under,
    forms_for,
    make_bundle,
    open_bytes,
    sealed,
    source,
    split,
    standard_items,
)


def test_round_trip_returns_every_revision_and_attachment_unchanged(
    keys: Keys, tmp_path: Path
) -> None:
    attachments = [b"", b"small photo", os.urandom(DATA_CHUNK), os.urandom(2 * DATA_CHUNK + 17)]
    revisions = standard_items(keys, attachments)
    data, info = make_bundle(keys, revisions, attachments)

    opened = open_bytes(data, keys, tmp_path / "spool")

    assert opened.manifest_sha256 == info.manifest_sha256
    assert opened.manifest.bundle_id == info.bundle_id
    assert opened.manifest.sequence == 1 and opened.manifest.previous is None
    assert opened.manifest.recipients == tuple(keys.recipients)
    assert opened.device.key_id == keys.device.key_id
    assert [(r.record_id, r.number, r.sha256) for r in opened.revisions] == [
        (r.record_id, r.number, r.sha256) for r in revisions
    ]
    assert [r.content for r in opened.revisions] == [r.content for r in revisions]
    assert [r.signature for r in opened.revisions] == [r.signature for r in revisions]
    assert opened.revisions[1].envelope().previous == revisions[0].sha256
    assert [a.path.read_bytes() for a in opened.attachments] == attachments
    assert [a.sha256 for a in opened.attachments] == [sha256_hex(a) for a in attachments]
    assert {a.path.parent for a in opened.attachments} == {tmp_path / "spool"}
    assert opened.plaintext_bytes == info.plaintext_bytes
    assert opened.ciphertext_bytes == info.ciphertext_bytes == len(data)
    assert opened.ciphertext_sha256 == info.ciphertext_sha256 == sha256_hex(data)


def test_spooled_files_are_private_and_discard_removes_them(keys: Keys, tmp_path: Path) -> None:
    data, _info = make_bundle(keys, standard_items(keys, [b"a", b"b"]), [b"a", b"b"])
    opened = open_bytes(data, keys, tmp_path / "spool")
    assert all(a.path.stat().st_mode & 0o077 == 0 for a in opened.attachments)
    opened.discard()
    assert list((tmp_path / "spool").iterdir()) == []


def test_escrow_key_opens_the_bundle_too(keys: Keys, tmp_path: Path) -> None:
    data, info = make_bundle(keys, standard_items(keys, []))
    opened = open_bytes(data, keys, tmp_path / "spool", identities=[keys.escrow[0]])
    assert opened.manifest_sha256 == info.manifest_sha256


def test_empty_bundle_and_chained_sequence(keys: Keys, tmp_path: Path) -> None:
    first, info = make_bundle(keys, [])
    second, info2 = make_bundle(
        keys, standard_items(keys, []), sequence=2, previous=info.manifest_sha256
    )
    assert open_bytes(first, keys, tmp_path / "a").revisions == ()
    opened = open_bytes(second, keys, tmp_path / "b")
    assert opened.manifest.sequence == 2
    assert opened.manifest.previous == info.manifest_sha256
    assert info2.sequence == 2


def test_data_frames_are_full_chunks_then_the_rest(keys: Keys) -> None:
    blob = os.urandom(2 * DATA_CHUNK + 5)
    data, _info = make_bundle(keys, [], [blob])
    sizes = [len(p) for kind, p in split(decrypt(data, keys.hq[0])) if kind == DATA]
    assert sizes == [DATA_CHUNK, DATA_CHUNK, 5]


def test_progress_runs_up_to_the_plaintext_size(keys: Keys) -> None:
    seen: list[tuple[int, int]] = []
    blob = os.urandom(9 * DATA_CHUNK)
    info = write_bundle(
        io.BytesIO(),
        device_key=keys.device,
        sequence=1,
        previous=None,
        recipients=keys.recipients,
        revisions=[],
        attachments=[source(blob)],
        progress=lambda done, total: seen.append((done, total)),
    )
    assert len(seen) >= 2
    assert [d for d, _t in seen] == sorted(d for d, _t in seen)
    assert seen[-1] == (info.plaintext_bytes, info.plaintext_bytes)
    assert {t for _d, t in seen} == {info.plaintext_bytes}


def test_manifest_is_canonical_json_with_the_documented_members(keys: Keys) -> None:
    data, _info = make_bundle(keys, standard_items(keys, [b"x"]), [b"x"])
    manifest = json.loads(split(decrypt(data, keys.hq[0]))[0][1])
    assert set(manifest) == {
        "kind",
        "v",
        "bundle",
        "created",
        "device",
        "sequence",
        "previous",
        "recipients",
        "revisions",
        "forms",
        "attachments",
    }
    assert manifest["kind"] == "fieldkit/bundle-manifest" and manifest["v"] == 1
    assert manifest["device"]["public_key"] == keys.device.public.public_key.hex()


# -- the writer refuses what HQ would refuse ----------------------------------------------------


def _write(keys: Keys, **kwargs: object) -> None:
    arguments: dict[str, object] = {
        "device_key": keys.device,
        "sequence": 1,
        "previous": None,
        "recipients": keys.recipients,
        "revisions": [],
        "attachments": [],
    }
    arguments.update(kwargs)
    if "forms" not in arguments:
        arguments["forms"] = forms_for(arguments["revisions"])  # type: ignore[arg-type]
    write_bundle(io.BytesIO(), **arguments)  # type: ignore[arg-type]


def test_writer_refuses_an_attachment_whose_bytes_do_not_match(keys: Keys) -> None:
    good = source(b"declared bytes")
    liar = AttachmentSource(good.sha256, good.size, lambda: [b"other bytes!!!"])
    with pytest.raises(
        SourceChangedError,
        match="does not match its recorded hash or size; no bundle was written",
    ):
        _write(keys, attachments=[liar])
    longer = AttachmentSource(good.sha256, good.size, lambda: [b"declared bytes", b"+"])
    with pytest.raises(
        SourceChangedError,
        match="does not match its recorded hash or size; no bundle was written",
    ):
        _write(keys, attachments=[longer])
    shorter = AttachmentSource(good.sha256, good.size, lambda: [b"declared"])
    with pytest.raises(
        SourceChangedError,
        match="does not match its recorded hash or size; no bundle was written",
    ):
        _write(keys, attachments=[shorter])


def test_writer_refuses_revisions_that_hq_would_refuse(keys: Keys) -> None:
    revision = sealed(keys.device)
    with pytest.raises(
        SourceChangedError,
        match="does not match its recorded hash or size; no bundle was written",
    ):
        _write(keys, revisions=[revision.__class__(**{**vars(revision), "sha256": "0" * 64})])
    with pytest.raises(
        InvalidRequestError, match="A revision's signature does not verify with this device's key"
    ):
        _write(keys, revisions=[sealed(SigningKey.generate())])
    with pytest.raises(
        InvalidRequestError,
        match="The bundle cannot be written: a revision was sealed by another device",
    ):
        _write(keys, revisions=[sealed(keys.device, device_field="0" * 32)])
    with pytest.raises(
        InvalidRequestError,
        match="The bundle cannot be written: a revision's link to the one before it is wrong",
    ):
        _write(keys, revisions=[sealed(keys.device, number=2, previous=None)])
    with pytest.raises(
        InvalidRequestError, match="The bundle cannot be written: a revision is listed twice"
    ):
        _write(keys, revisions=[revision, revision])


FIRST = "only a device's first bundle may lack the previous bundle's hash"
NOT_A_RECIPIENT = "recipients must be an age X25519 recipient"


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"sequence": 0}, "sequence must be a whole number from 1 to 2147483647"),
        ({"sequence": 2}, FIRST),  # a later bundle must name the previous one
        ({"previous": "ab" * 32}, FIRST),  # the first bundle cannot
        ({"recipients": []}, "recipients must be a non-empty list"),
        ({"recipients": ["age1notarecipient"]}, NOT_A_RECIPIENT),
        ({"recipients": ["AGE-SECRET-KEY-1" + "Q" * 58]}, NOT_A_RECIPIENT),
    ],
)
def test_writer_refuses_bad_arguments(keys: Keys, kwargs: dict[str, object], reason: str) -> None:
    with pytest.raises(InvalidRequestError, match=f"The bundle cannot be written: {reason}"):
        _write(keys, **kwargs)


def test_writer_refuses_duplicate_recipients(keys: Keys) -> None:
    with pytest.raises(
        InvalidRequestError, match="The bundle cannot be written: a recipient is listed twice"
    ):
        _write(keys, recipients=[keys.hq[1], keys.hq[1]])


def test_writer_enforces_the_readers_limits(keys: Keys) -> None:
    with pytest.raises(
        LimitExceededError,
        match="The bundle is refused: the size of an attachment exceeds the limit of 99",
    ):
        _write(keys, attachments=[source(b"x" * 100)], limits=Limits(max_attachment_bytes=99))
    with pytest.raises(
        LimitExceededError,
        match="The bundle is refused: the number of revisions exceeds the limit of 0",
    ):
        _write(keys, revisions=[sealed(keys.device)], limits=Limits(max_revisions=0))
    with pytest.raises(
        LimitExceededError,
        match="The bundle is refused: the number of recipients exceeds the limit of 1",
    ):
        _write(keys, recipients=keys.recipients, limits=Limits(max_recipients=1))


def test_reader_refuses_what_exceeds_its_own_limits(keys: Keys, tmp_path: Path) -> None:
    data, _info = make_bundle(keys, standard_items(keys, [b"y" * 1000]), [b"y" * 1000])
    for limits, what in (
        (Limits(max_attachment_bytes=999), "the size of an attachment"),
        (Limits(max_revisions=1), "the number of revisions"),
        (Limits(max_total_bytes=1000), "the size of the bundle"),
        (Limits(max_frames=5), "the number of items"),
        (Limits(max_revision_bytes=100), "the size of a revision"),
        (Limits(max_revisions_total_bytes=100), "the size of all revisions together"),
        (Limits(max_recipients=1), "the number of recipients"),
        (Limits(max_manifest_bytes=100), "the manifest"),
    ):
        spool = tmp_path / "spool"
        with pytest.raises(LimitExceededError, match=f"The bundle is refused: {what} exceeds"):
            open_bytes(data, keys, spool, limits=limits)
        assert list(spool.iterdir()) == []


def test_an_extra_identity_on_the_hq_side_does_not_matter(keys: Keys, tmp_path: Path) -> None:
    data, info = make_bundle(keys, [sealed(keys.device)])
    opened = open_bytes(data, keys, tmp_path / "s", identities=[keys.other[0], keys.hq[0]])
    assert opened.manifest_sha256 == info.manifest_sha256


def test_the_spool_folder_must_exist_and_be_private(keys: Keys, tmp_path: Path) -> None:
    data, _info = make_bundle(keys, [sealed(keys.device)], [b"x"])
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    for spool, reason in (
        (tmp_path / "missing", "The spool folder for opened bundles does not exist"),
        (shared, "The spool folder for opened bundles must be readable by its owner only"),
    ):
        with pytest.raises(InvalidRequestError, match=reason):
            open_bundle(io.BytesIO(data), [keys.hq[0]], keys.trusts_device, spool)
    assert files_under(tmp_path) == []
