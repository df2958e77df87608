"""security.md test 10: hostile contents get a clear error, with bounded memory and reading, and
nothing is written outside the spool folder.

Many of these bundles are signed by the trusted device key (a stolen or buggy device): the checks
after the signature must hold too. "Bounded time" is asserted without a clock: the reader must
stop reading the untrusted stream long before its end.
"""

from __future__ import annotations

import io
import json
import re
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from fieldkit.bundle import (
    BundleError,
    DamagedError,
    LimitExceededError,
    open_bundle,
)
from fieldkit.bundle.limits import GIB, MIB
from fieldkit.bundle.manifest import signed_message
from fieldkit.crypto.identity import SigningKey
from fieldkit.domain.records import canonical_json, revision_signing_message, sha256_hex
from tests.bundle.factory import (
    END,
    FORM,
    FRAME,
    MAGIC,
    MANIFEST,
    REVISION,
    SIGNATURE,
    Keys,
    decrypt,
    encrypt,
    files_under,
    form_source,
    frame,
    make_bundle,
    open_bytes,
    sealed,
    split,
)


class CountingReader(io.BytesIO):
    """An untrusted stream that remembers how much of it the reader consumed."""

    consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.consumed += len(data)
        return data


def _manifest(
    keys: Keys, revisions: list[dict[str, Any]] | None = None, **members: Any
) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "kind": "fieldkit/bundle-manifest",
        "v": 1,
        "bundle": "ab" * 16,
        "created": "2026-03-14T10:00:00Z",
        "device": {
            "key_id": keys.device.key_id,
            "public_key": keys.device.public.public_key.hex(),
        },
        "sequence": 1,
        "previous": None,
        "recipients": keys.recipients,
        "revisions": revisions or [],
        "forms": [],
        "attachments": [],
    }
    manifest.update(members)
    return manifest


def _signed(keys: Keys, manifest: bytes, signer: SigningKey | None = None) -> bytes:
    signer = signer or keys.device
    return (
        MAGIC
        + frame(MANIFEST, manifest)
        + frame(SIGNATURE, signer.public.public_key + signer.sign(signed_message(manifest)))
    )


def _open_hostile(
    keys: Keys, tmp_path: Path, plaintext: bytes, error: type[BundleError], reason: str
) -> tuple[str, int, int, int]:
    """Open a hostile bundle, refused with ``error`` whose message matches ``reason``; return
    the message, bytes consumed, file size, peak memory."""
    data = encrypt(plaintext, keys.recipients)
    spool = tmp_path / "spool"
    spool.mkdir(exist_ok=True, mode=0o700)
    before = set(files_under(tmp_path))
    stream = CountingReader(data)
    tracemalloc.start()
    try:
        with pytest.raises(error, match=reason) as caught:
            open_bundle(stream, [keys.hq[0]], keys.trusts_device, spool)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert files_under(spool) == []
    assert set(files_under(tmp_path)) == before
    message = caught.value.user_message
    assert "\n" not in message and len(message) < 300
    return message, stream.consumed, len(data), peak


def test_a_manifest_frame_claiming_a_terabyte_is_refused_from_its_header(
    keys: Keys, tmp_path: Path
) -> None:
    plaintext = MAGIC + FRAME.pack(MANIFEST, 1 << 40) + b"{" * 1000
    reason = "the manifest exceeds the limit of 16 MiB"
    _message, _consumed, _size, peak = _open_hostile(
        keys, tmp_path, plaintext, LimitExceededError, reason
    )
    assert peak < 4 * MIB


def test_a_manifest_one_byte_over_the_limit_is_refused_before_it_is_read(
    keys: Keys, tmp_path: Path
) -> None:
    plaintext = MAGIC + FRAME.pack(MANIFEST, 16 * MIB + 1) + b" " * (17 * MIB)
    reason = "the manifest exceeds the limit of 16 MiB"
    _message, consumed, size, peak = _open_hostile(
        keys, tmp_path, plaintext, LimitExceededError, reason
    )
    assert consumed < MIB < size
    assert peak < 4 * MIB


def test_a_million_frames_before_the_manifest_stop_at_the_first(keys: Keys, tmp_path: Path) -> None:
    plaintext = MAGIC + FRAME.pack(END, 0) * 1_000_000
    reason = "it does not start with a manifest"
    _message, consumed, size, peak = _open_hostile(keys, tmp_path, plaintext, DamagedError, reason)
    assert consumed < MIB and size > 8 * MIB
    assert peak < 4 * MIB


def test_a_million_frames_after_a_signed_manifest_stop_at_the_first(
    keys: Keys, tmp_path: Path
) -> None:
    manifest = canonical_json(_manifest(keys))
    plaintext = _signed(keys, manifest) + FRAME.pack(REVISION, 0) * 1_000_000
    reason = "an item is missing, extra or out of order"
    _message, consumed, size, peak = _open_hostile(keys, tmp_path, plaintext, DamagedError, reason)
    assert consumed < MIB and size > 8 * MIB
    assert peak < 4 * MIB


def test_a_signed_manifest_announcing_a_10_gib_revision_is_refused(
    keys: Keys, tmp_path: Path
) -> None:
    entry = {"record": "cd" * 16, "revision": 1, "sha256": "ef" * 32, "size": 10 * GIB}
    manifest = canonical_json(_manifest(keys, [entry]))
    plaintext = _signed(keys, manifest) + FRAME.pack(REVISION, 10 * GIB + 64) + b"x" * 1000
    reason = "the size of a revision exceeds the limit of 4 MiB"
    _message, _consumed, _size, peak = _open_hostile(
        keys, tmp_path, plaintext, LimitExceededError, reason
    )
    assert peak < 4 * MIB


def test_a_revision_frame_claiming_10_gib_is_refused_from_its_header(
    keys: Keys, tmp_path: Path
) -> None:
    revision = sealed(keys.device)
    data, _info = make_bundle(keys, [revision])
    frames = split(decrypt(data, keys.hq[0]))
    plaintext = (
        MAGIC
        + b"".join(frame(k, p) for k, p in frames[:2])
        + FRAME.pack(REVISION, 10 * GIB)
        + b"y" * (4 * MIB)
    )
    reason = "an item's size does not match the manifest"
    _message, consumed, size, peak = _open_hostile(keys, tmp_path, plaintext, DamagedError, reason)
    assert consumed < MIB < size
    assert peak < 4 * MIB


def _nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


@pytest.mark.parametrize("depth", [40, 5_000, 200_000])
def test_deep_nesting_in_a_signed_manifest_is_refused(
    keys: Keys, tmp_path: Path, depth: int
) -> None:
    manifest = canonical_json(_manifest(keys))[:-1] + b',"zz":' + _nested(depth) + b"}"
    _open_hostile(
        keys, tmp_path, _signed(keys, manifest), DamagedError, "the JSON is nested too deeply"
    )


def _with_revision(keys: Keys, content: bytes, signer: SigningKey | None = None) -> bytes:
    """A bundle whose only revision is ``content``, with a manifest signed by the device."""
    signer = signer or keys.device
    entry = {
        "record": "ab" * 16,
        "revision": 1,
        "sha256": sha256_hex(content),
        "size": len(content),
    }
    form = form_source()
    form_entry = {
        "id": form.form_id,
        "version": form.version,
        "sha256": form.sha256,
        "size": len(form.definition),
    }
    manifest = canonical_json(_manifest(keys, [entry], forms=[form_entry]))
    return (
        _signed(keys, manifest)
        + frame(REVISION, signer.sign(revision_signing_message(content)) + content)
        + frame(FORM, form.definition)
        + frame(END, b"")
    )


def _revision_json(keys: Keys, **changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(sealed(keys.device, record_id="ab" * 16).content)
    value.update(changes)
    return value


def test_deep_nesting_in_a_signed_revision_is_refused(keys: Keys, tmp_path: Path) -> None:
    content = (
        canonical_json(_revision_json(keys))[:-1].replace(
            b'"data":{', b'"data":{"deep":' + _nested(2_000) + b","
        )
        + b"}"
    )
    reason = "the JSON is nested too deeply"
    _open_hostile(keys, tmp_path, _with_revision(keys, content), DamagedError, reason)


def test_the_control_bundle_for_these_revision_tests_opens(keys: Keys, tmp_path: Path) -> None:
    content = canonical_json(_revision_json(keys))
    data = encrypt(_with_revision(keys, content), keys.recipients)
    opened = open_bytes(data, keys, tmp_path / "spool")
    assert opened.revisions[0].content == content


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            b'{"kind":"fieldkit/revision","v":1,"record":"\xff\xfe"}',
            "the text is not valid UTF-8",
        ),
        (
            b'{"kind":"fieldkit/revision","kind":"fieldkit/revision","v":1}',
            "the JSON is not in canonical form",
        ),
        (b'{"v":1.5}', "a revision is of the wrong kind"),
        (b'{"v":NaN}', "a number is not finite"),
        (b'{"record":"\\ud800"}', "a string holds an unpaired surrogate"),
        (b"[" * 10 + b"]" * 10, "a revision is of the wrong kind"),
        (b"", r"revisions\[\]\.size must be a whole number from 2"),
        (b"not json", "the text is not valid JSON"),
    ],
    ids=["utf8", "duplicate-key", "float", "nan", "surrogate", "array", "empty", "text"],
)
def test_malformed_revision_json_is_refused(
    keys: Keys, tmp_path: Path, content: bytes, reason: str
) -> None:
    _open_hostile(keys, tmp_path, _with_revision(keys, content), DamagedError, reason)


def test_non_canonical_revision_json_is_refused(keys: Keys, tmp_path: Path) -> None:
    content = json.dumps(_revision_json(keys), indent=1).encode()
    reason = "the JSON is not in canonical form"
    _open_hostile(keys, tmp_path, _with_revision(keys, content), DamagedError, reason)


def test_invalid_utf8_in_a_signed_manifest_is_refused(keys: Keys, tmp_path: Path) -> None:
    manifest = canonical_json(_manifest(keys)).replace(b"2026-03-14", b"2026-\xff3-14")
    reason = "the text is not valid UTF-8"
    _open_hostile(keys, tmp_path, _signed(keys, manifest), DamagedError, reason)


HEX = "must be lowercase hexadecimal of the right length"
SEQUENCE = "sequence must be a whole number from 1 to 2147483647"


@pytest.mark.parametrize(
    ("members", "reason"),
    [
        ({"bundle": "../x"}, f"bundle {HEX}"),
        ({"bundle": "ab" * 15 + "a\u0000"}, f"bundle {HEX}"),
        ({"created": "2026-03-14T10:00:00Z\u0000"}, "created must be a UTC time like"),
        ({"recipients": ["../x"]}, "recipients must be an age X25519 recipient"),
        ({"sequence": True}, SEQUENCE),
        ({"sequence": -1}, SEQUENCE),
        ({"sequence": 2**53 + 1}, "a number is too large"),
        ({"previous": "../../etc/passwd"}, f"previous {HEX}"),
        (
            {"revisions": [{"record": "../x", "revision": 1, "sha256": "ab" * 32, "size": 10}]},
            rf"revisions\[\]\.record {HEX}",
        ),
        (
            {"attachments": [{"sha256": "ab" * 32, "size": -1}]},
            r"attachments\[\]\.size must be a whole number from 0",
        ),
        ({"attachments": [{"sha256": "ab" * 32, "size": 2**64}]}, "a number is too large"),
        ({"attachments": [{"sha256": "AB" * 32, "size": 1}]}, rf"attachments\[\]\.sha256 {HEX}"),
        ({"extra": "member"}, "the manifest has missing or unknown members"),
    ],
)
def test_hostile_manifest_members_are_refused(
    keys: Keys, tmp_path: Path, members: dict[str, Any], reason: str
) -> None:
    value = _manifest(keys, **members)
    manifest = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    plaintext = _signed(keys, manifest) + frame(END, b"")
    _open_hostile(keys, tmp_path, plaintext, DamagedError, reason)


def test_names_inside_revisions_never_become_paths(keys: Keys, tmp_path: Path) -> None:
    """A revision may name its attachment ``../x`` or put a NUL in it: data, never a path."""
    blob = b"attachment bytes"
    digest = sha256_hex(blob)
    ref = {"sha256": digest, "name": "../x\u0000.txt", "media_type": "text/plain", "size": 16}
    revision = sealed(keys.device, data={"photos": [ref]}, attachments=[digest])
    data, _info = make_bundle(keys, [revision], [blob])
    spool = tmp_path / "spool"
    opened = open_bytes(data, keys, spool)
    assert opened.revisions[0].envelope().data["photos"][0]["name"] == "../x\u0000.txt"
    assert files_under(tmp_path) == [a.path for a in opened.attachments]
    assert all(re.fullmatch(r"attachment-[0-9a-f]{32}", p.name) for p in files_under(spool))
