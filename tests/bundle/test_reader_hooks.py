"""What the reader hands its caller while it reads: each revision's signature to the signature
checks (whose answer decides before END is accepted), and each checked revision, parsed, with
its form (``on_revision``)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from fieldkit.bundle import (
    DamagedError,
    InlineSignatureChecks,
    SignatureChecks,
    VerifiedForm,
    VerifiedRevision,
    open_bundle,
)
from fieldkit.crypto.identity import PublicIdentity
from fieldkit.domain.records import revision_signing_message
from tests.bundle.factory import (
    REVISION,
    Keys,
    decrypt,
    encrypt,
    join,
    make_bundle,
    resign,
    sealed,
    split,
)


class Recording:
    """Signature checks that verify inline and record what the reader asked."""

    def __init__(self, add_ok: bool = True, finish_ok: bool = True) -> None:
        self.calls: list[str] = []
        self.device: PublicIdentity | None = None
        self._add_ok, self._finish_ok = add_ok, finish_ok

    def __call__(self, device: PublicIdentity, revisions: int) -> SignatureChecks:
        self.device = device
        self.calls.append(f"start {revisions}")
        return self  # type: ignore[return-value]

    def add(self, signature: bytes, content: bytes) -> bool:
        assert self.device is not None
        self.calls.append("add")
        return self._add_ok and self.device.verify(signature, revision_signing_message(content))

    def finish(self) -> bool:
        self.calls.append("finish")
        return self._finish_ok

    def close(self) -> None:
        self.calls.append("close")


def _open(data: bytes, keys: Keys, spool: Path, **options: Any) -> Any:
    spool.mkdir(mode=0o700, exist_ok=True)
    return open_bundle(io.BytesIO(data), [keys.hq[0]], keys.trusts_device, spool, **options)


def test_every_revision_goes_to_the_checks_which_answer_before_the_end(
    keys: Keys, tmp_path: Path
) -> None:
    revisions = [sealed(keys.device) for _ in range(5)]
    data, _info = make_bundle(keys, revisions)
    checks = Recording()
    opened = _open(data, keys, tmp_path / "spool", signature_checker=checks)
    assert len(opened.revisions) == 5
    assert checks.calls == ["start 5", *["add"] * 5, "finish", "close"]
    assert checks.device == keys.device.public


@pytest.mark.parametrize("refusal", [{"add_ok": False}, {"finish_ok": False}])
def test_a_signature_the_checks_refuse_refuses_the_bundle(
    keys: Keys, tmp_path: Path, refusal: dict[str, bool]
) -> None:
    data, _info = make_bundle(keys, [sealed(keys.device) for _ in range(3)])
    checks = Recording(**refusal)
    with pytest.raises(DamagedError, match="a revision's signature does not verify"):
        _open(data, keys, tmp_path / "spool", signature_checker=checks)
    assert checks.calls[-1] == "close" and checks.calls.count("close") == 1


def test_on_revision_sees_each_checked_revision_with_its_form(keys: Keys, tmp_path: Path) -> None:
    revisions = [sealed(keys.device, data={"narrative": f"n{i}", "weight": 1.5}) for i in range(4)]
    data, _info = make_bundle(keys, revisions)
    seen: list[tuple[VerifiedRevision, dict[str, Any], VerifiedForm]] = []
    opened = _open(
        data,
        keys,
        tmp_path / "spool",
        on_revision=lambda r, v, f: seen.append((r, v, f)),
        signature_checker=InlineSignatureChecks,
    )
    assert [r for r, _v, _f in seen] == list(opened.revisions)
    assert [r.sha256 for r, _v, _f in seen] == [r.sha256 for r in revisions]
    assert [v for _r, v, _f in seen] == [json.loads(r.content) for r in revisions]
    assert {f.key for _r, _v, f in seen} == {("test-observation", "1")}
    assert all(f is opened.forms[0] for _r, _v, f in seen)


def test_on_revision_is_not_called_for_a_bundle_whose_revision_is_malformed(
    keys: Keys, tmp_path: Path
) -> None:
    """A revision that names another device than the bundle's (signed by the bundle's device,
    listed in its signed manifest) is found when the contents are checked; nothing after it is
    handed on, and the bundle is refused."""
    revisions = [sealed(keys.device) for _ in range(3)]
    data, _info = make_bundle(keys, revisions)
    odd = sealed(keys.device, device_field="0" * 32)
    frames = split(decrypt(data, keys.hq[0]))

    def swap_entry(manifest: dict[str, Any]) -> None:
        manifest["revisions"][1] = {
            "record": odd.record_id,
            "revision": 1,
            "sha256": odd.sha256,
            "size": len(odd.content),
        }

    frames = resign(frames, keys.device, swap_entry)
    at = [i for i, (kind, _p) in enumerate(frames) if kind == REVISION][1]
    frames[at] = (REVISION, odd.signature + odd.content)
    seen: list[str] = []
    with pytest.raises(DamagedError, match="a revision was sealed by another device"):
        _open(
            encrypt(join(frames), keys.recipients),
            keys,
            tmp_path / "spool",
            on_revision=lambda r, _v, _f: seen.append(r.sha256),
        )
    assert seen == [revisions[0].sha256]
