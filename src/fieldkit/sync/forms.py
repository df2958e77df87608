"""The list of published forms HQ gives over sync (``GET /v1/forms``), read defensively."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fieldkit.domain.values import SHA256_HEX
from fieldkit.i18n import _
from fieldkit.sync.errors import ProtocolError

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}\.fkf")
MAX_FORMS = 10_000


@dataclass(frozen=True)
class RemoteForm:
    """One form HQ published: its file name, form id and version, the file's SHA-256 (hex),
    size and when it was published. Unverified: the file's signature says what it is."""

    name: str
    id: str
    version: str
    sha256: str
    size: int
    published_at: str


def valid_form_name(name: str) -> bool:
    """A plain ``.fkf`` file name (no folder, no leading dot)."""
    return bool(_NAME.fullmatch(name)) and ".." not in name


def form_list(body: dict[str, Any]) -> list[RemoteForm]:
    entries = body.get("forms")
    if not isinstance(entries, list) or len(entries) > MAX_FORMS:
        raise _malformed()
    return [_form(entry) for entry in entries]


def _form(entry: object) -> RemoteForm:
    if not isinstance(entry, dict):
        raise _malformed()
    texts = {key: entry.get(key) for key in ("name", "id", "version", "sha256", "published_at")}
    size = entry.get("size")
    if (
        not all(isinstance(value, str) for value in texts.values())
        or not isinstance(size, int)
        or isinstance(size, bool)
        or size < 0
        or not valid_form_name(str(texts["name"]))
        or not SHA256_HEX.fullmatch(str(texts["sha256"]))
    ):
        raise _malformed()
    return RemoteForm(
        name=str(texts["name"]),
        id=str(texts["id"]),
        version=str(texts["version"]),
        sha256=str(texts["sha256"]),
        size=size,
        published_at=str(texts["published_at"]),
    )


def _malformed() -> ProtocolError:
    return ProtocolError(_("Headquarters sent a list of forms this version cannot read."))
