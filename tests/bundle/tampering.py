"""Shared by the tamper tests: two sample bundles, decrypted and split into frames, and the
check that a changed copy is refused for its reason with nothing left behind.

Frame-level changes are made by decrypting with HQ's key, editing the plaintext and encrypting it
again to the same recipients: anyone can encrypt to HQ's public key, so the inner checks must
hold on their own.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from fieldkit.bundle import (
    BundleError,
)
from fieldkit.bundle.container import DATA_CHUNK
from tests.bundle.factory import (
    Keys,
    decrypt,
    encrypt,
    files_under,
    make_bundle,
    open_bytes,
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


def rejected(sample: Sample, data: bytes, error: type[BundleError], reason: str) -> None:
    """Opening ``data`` raises ``error`` whose message matches ``reason``; nothing is left."""
    with pytest.raises(error, match=reason):
        open_bytes(data, sample.keys, sample.spool)
    assert files_under(sample.spool) == []


def reencrypted(sample: Sample, plaintext: bytes) -> bytes:
    return encrypt(plaintext, sample.keys.recipients)
