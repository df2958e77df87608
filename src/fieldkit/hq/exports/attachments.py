"""``--attachments DIR``: decrypted copies of the selected records' files.

Attachments are kept at HQ encrypted to HQ's own key (``attachments/`` in the HQ folder, each
named by its SHA-256). An export with ``--include-identifying`` may copy those its records refer
to (after consent: a photo of a victim who did not consent to being named is not copied) into a
folder, decrypted: each file named ``<sha256><extension>`` (the extension from its media type,
else from its name, else ``.bin``), written atomically (a temporary name, flushed, renamed), its
SHA-256 checked before it gets its name. A file already there is never overwritten: its name is
its content's hash, so it is the same file.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage

from fieldkit.bundle.agefile import parse_identity
from fieldkit.domain.forms import FieldType, FormDefinition
from fieldkit.files import atomic_writer, make_private_dir
from fieldkit.hq.errors import ConflictError, InvalidInputError, NotFoundError
from fieldkit.hq.sealing import attachment_path
from fieldkit.i18n import _

_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,8}\Z")


@dataclass(frozen=True)
class FileRef:
    sha256: str
    media_type: str
    name: str

    @property
    def file_name(self) -> str:
        extension = mimetypes.guess_extension(self.media_type, strict=False)
        if extension is None:
            match = _EXTENSION.search(self.name)
            extension = match.group(0).lower() if match else ".bin"
        return f"{self.sha256}{extension}"


@dataclass(frozen=True)
class CopyResult:
    copied: int
    present: int
    """Already in the folder (same name, so same content): left as they were."""


def check_folder(folder: Path) -> None:
    """Refuse a folder that cannot be made: its parent must exist; it must not be a file."""
    if folder.exists() and not folder.is_dir():
        raise InvalidInputError(
            _("{path} is a file: --attachments takes a folder.").format(path=folder)
        )
    if not folder.parent.is_dir():
        raise NotFoundError(_("{path}: its folder does not exist.").format(path=folder))


def file_refs(form: FormDefinition, answers: dict[str, Any]) -> Iterable[FileRef]:
    """Every attachment ``answers`` refer to (in repeats too)."""
    members = form.index.members
    repeats = form.index.repeats

    def visit(chain: tuple[str, ...], values: dict[str, Any]) -> Iterable[FileRef]:
        for field in members.get(chain, []):
            value = values.get(field.name)
            if not isinstance(value, list):
                continue
            if field.type is FieldType.ATTACHMENT:
                for ref in value:
                    if isinstance(ref, dict) and isinstance(ref.get("sha256"), str):
                        yield FileRef(
                            ref["sha256"], str(ref.get("media_type", "")), str(ref.get("name", ""))
                        )
            elif field.name in repeats:
                for item in value:
                    if isinstance(item, dict):
                        yield from visit((*chain, field.name), item)

    return list(visit((), answers))


class _Hashing:
    """A writer that hashes what it passes on."""

    def __init__(self, out: Any) -> None:
        self._out = out
        self.hash = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        written: int = self._out.write(data)
        return written


def copy_attachments(
    stored: Path, identity: str, refs: Iterable[FileRef], folder: Path
) -> CopyResult:
    """Decrypt each file of ``refs`` from ``stored`` (HQ's attachments folder) into ``folder``."""
    make_private_dir(folder)
    key = parse_identity(identity)
    copied = present = 0
    for ref in refs:
        target = folder / ref.file_name
        if target.exists():
            present += 1
            continue
        with atomic_writer(target) as out:
            _decrypt(stored, key, ref.sha256, out)
        copied += 1
    return CopyResult(copied, present)


def read_attachment(stored: Path, identity: str, sha256: str) -> bytes:
    """The decrypted bytes of attachment ``sha256`` from ``stored`` (HQ's attachments folder),
    in memory only, its hash checked (the workspace shows revealed photos this way)."""
    out = io.BytesIO()
    _decrypt(stored, parse_identity(identity), sha256, out)
    return out.getvalue()


def _decrypt(stored: Path, key: Any, sha256: str, out: Any) -> None:
    """Decrypt attachment ``sha256`` into ``out``; ConflictError when its hash is not right
    (then whatever was written to ``out`` must be thrown away)."""
    source = attachment_path(stored, sha256)
    if not source.is_file():
        raise NotFoundError(
            _("Attachment {sha256} is not in the headquarters folder.").format(sha256=sha256)
        )
    with source.open("rb") as encrypted:
        sink = _Hashing(out)
        try:
            pyrage.decrypt_io(encrypted, sink, [key])
        except pyrage.DecryptError:
            raise ConflictError(
                _("Stored data could not be decrypted with this headquarters' key (damaged?).")
            ) from None
        if sink.hash.hexdigest() != sha256:
            raise ConflictError(
                _("Attachment {sha256} does not match its hash: it was not copied.").format(
                    sha256=sha256
                )
            )
