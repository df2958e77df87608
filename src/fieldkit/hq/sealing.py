"""Encryption at rest to HQ's own age recipients (the ingest key and, if any, the escrow key).

What a database dump or a copied HQ folder must not reveal in clear is stored as age files,
readable with HQ's identity (or the escrow identity), with pyrage or the standard ``age`` tool:

- **sealed batches**: the identifying answers of revisions and each revision's original signed
  content and signature (which hold the identifying answers too). They are sealed in batches of
  up to :data:`BATCH_ENTRIES` revisions or :data:`BATCH_BYTES` of plaintext, so that ingest pays
  one X25519 operation per batch rather than per revision; the repository keeps, for each
  revision, a random link id pointing at its batch and position.
- **attachments**: each one a streamed age file named by its verified SHA-256, encrypted as
  it streams out of the bundle (:mod:`fieldkit.hq.spool`): its plaintext never reaches disk.

A batch's plaintext is JSON::

    {"kind": "fieldkit/hq-sealed-batch", "v": 1,
     "entries": [{"link": 32 hex, "revision": 64 hex, "identifying": {...answers...},
                  "content": "<the revision's canonical JSON>", "signature": 128 hex}, ...]}
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage

from fieldkit.bundle.agefile import parse_identity, parse_recipient
from fieldkit.files import atomic_writer, fsync_dir, make_private_dir
from fieldkit.hq.errors import ConflictError
from fieldkit.i18n import _

BATCH_KIND = "fieldkit/hq-sealed-batch"
BATCH_VERSION = 1
BATCH_ENTRIES = 256
BATCH_BYTES = 1024 * 1024
ATTACHMENT_SUFFIX = ".age"
COPY_BYTES = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}\Z")


def seal(plaintext: bytes, recipients: Sequence[str]) -> bytes:
    encrypted: bytes = pyrage.encrypt(
        plaintext, [parse_recipient(r, "recipient") for r in recipients]
    )
    return encrypted


def unseal(ciphertext: bytes, identity: str) -> bytes:
    try:
        plaintext: bytes = pyrage.decrypt(ciphertext, [parse_identity(identity)])
    except pyrage.DecryptError:
        raise ConflictError(
            _("Stored data could not be decrypted with this headquarters' key (damaged?).")
        ) from None
    return plaintext


@dataclass(frozen=True)
class SealedEntry:
    link: str
    revision: str
    identifying: dict[str, Any]
    content: bytes
    signature: bytes

    def to_json(self) -> dict[str, Any]:
        return {
            "link": self.link,
            "revision": self.revision,
            "identifying": self.identifying,
            "content": self.content.decode("utf-8"),
            "signature": self.signature.hex(),
        }


@dataclass(frozen=True)
class SealedBatch:
    ciphertext: bytes
    links: tuple[str, ...]
    """The link id of each entry, in order (an entry's position is its index)."""


class BatchBuilder:
    """Gathers entries into sealed batches of at most ``max_entries`` entries and ``max_bytes``
    of revision content: :meth:`add` an entry when :meth:`fits` says so, else :meth:`seal` the
    batch first."""

    def __init__(
        self,
        recipients: Sequence[str],
        max_entries: int = BATCH_ENTRIES,
        max_bytes: int = BATCH_BYTES,
    ) -> None:
        self._recipients = [parse_recipient(r, "recipient") for r in recipients]
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._entries: list[dict[str, Any]] = []
        self._links: list[str] = []
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def fits(self, entry: SealedEntry) -> bool:
        """Whether ``entry`` may join the batch (an empty batch takes any entry)."""
        return not self._entries or (
            len(self._entries) < self._max_entries
            and self._bytes + len(entry.content) <= self._max_bytes
        )

    def add(self, entry: SealedEntry) -> int:
        """Queue ``entry``; return its position in the batch."""
        self._entries.append(entry.to_json())
        self._links.append(entry.link)
        self._bytes += len(entry.content)
        return len(self._entries) - 1

    def seal(self) -> SealedBatch:
        """Encrypt the entries queued (at least one) and start a new batch."""
        document = {"kind": BATCH_KIND, "v": BATCH_VERSION, "entries": self._entries}
        plaintext = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        sealed = SealedBatch(pyrage.encrypt(plaintext, self._recipients), tuple(self._links))
        self._entries, self._links, self._bytes = [], [], 0
        return sealed


def open_batch(ciphertext: bytes, identity: str) -> list[SealedEntry]:
    value = json.loads(unseal(ciphertext, identity))
    if not isinstance(value, dict) or value.get("kind") != BATCH_KIND:
        raise ConflictError(_("A sealed batch in the repository is damaged."))
    return [
        SealedEntry(
            link=item["link"],
            revision=item["revision"],
            identifying=item["identifying"],
            content=item["content"].encode("utf-8"),
            signature=bytes.fromhex(item["signature"]),
        )
        for item in value["entries"]
    ]


class SealedReader:
    """Opens sealed batches on demand, keeping the last few decrypted (exports read in order)."""

    def __init__(self, identity: str, fetch: Callable[[int], bytes], cache_size: int = 16) -> None:
        self._identity = identity
        self._fetch = fetch
        self._cache: OrderedDict[int, list[SealedEntry]] = OrderedDict()
        self._cache_size = cache_size

    def entry(self, batch_id: int, position: int) -> SealedEntry:
        entries = self._cache.get(batch_id)
        if entries is None:
            entries = open_batch(self._fetch(batch_id), self._identity)
            self._cache[batch_id] = entries
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(batch_id)
        return entries[position]


# -- attachments ---------------------------------------------------------------------------------


def attachment_path(folder: Path, sha256: str) -> Path:
    """Where an attachment is kept: named by its verified SHA-256, never by a bundle's words."""
    if not _SHA256.match(sha256):
        raise ValueError("not a SHA-256")
    return folder / sha256[:2] / f"{sha256}{ATTACHMENT_SUFFIX}"


def place_attachment(encrypted: Path, sha256: str, folder: Path) -> Path | None:
    """Put an attachment already encrypted to HQ's recipients (:mod:`fieldkit.hq.spool`) into
    ``folder`` under its verified SHA-256, as a hard link (atomic; the spooled name is removed
    with its folder); return its path, or None if HQ already holds it. Where ``folder`` is on
    another file system, or one without hard links, the encrypted bytes are copied (atomically,
    flushed) instead."""
    target = attachment_path(folder, sha256)
    make_private_dir(target.parent)
    try:
        os.link(encrypted, target)
    except FileExistsError:
        return None
    except OSError:
        if target.exists():
            return None
        with encrypted.open("rb") as source, atomic_writer(target) as out:
            shutil.copyfileobj(source, out, COPY_BYTES)
        return target
    fsync_dir(target.parent)
    return target


def read_attachment(folder: Path, sha256: str, identity: str) -> Iterator[bytes]:
    """The decrypted bytes of a stored attachment (for tests and tools; held in memory)."""
    yield unseal(attachment_path(folder, sha256).read_bytes(), identity)
