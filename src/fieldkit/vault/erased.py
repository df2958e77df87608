"""The notice an erased vault leaves: ``erased.json`` beside where the key file was.

When headquarters reports a device lost, the device destroys its vault's wrapped key (see
``services/erasure.py``) and writes this plain, non-secret notice, so that the app and the
command line can say why the vault no longer opens, instead of offering to make a new one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from fieldkit.errors import ConflictError
from fieldkit.files import atomic_write_bytes
from fieldkit.i18n import _

NOTICE_FILE = "erased.json"
MAX_NOTICE_BYTES = 4096
_KEYS = ("hq_name", "issued", "erased_at")


@dataclass(frozen=True)
class ErasedNotice:
    hq_name: str
    """The name of the headquarters that ordered the erase (from the enrolment)."""
    issued: str
    """When headquarters declared the device lost (the erase order's time)."""
    erased_at: str
    """When this device erased the vault."""

    def to_json(self) -> dict[str, str]:
        return {"hq_name": self.hq_name, "issued": self.issued, "erased_at": self.erased_at}


class VaultErasedError(ConflictError):
    """The vault was erased on headquarters' order; it cannot be opened any more."""

    def __init__(self, notice: ErasedNotice) -> None:
        super().__init__(
            _(
                "This vault was erased on {date} because headquarters ({name}) reported this "
                "device lost."
            ).format(date=notice.erased_at[:10], name=notice.hq_name)
        )
        self.notice = notice


def notice_path(folder: Path) -> Path:
    return folder / NOTICE_FILE


def write_notice(folder: Path, notice: ErasedNotice) -> None:
    data = json.dumps(notice.to_json(), ensure_ascii=False, sort_keys=True).encode("utf-8")
    atomic_write_bytes(notice_path(folder), data + b"\n")


def read_notice(folder: Path) -> ErasedNotice | None:
    """The notice of an erased vault; None when there is none (or none that can be read: the
    vault is then treated as one without a key file)."""
    try:
        with notice_path(folder).open("rb") as handle:
            data = handle.read(MAX_NOTICE_BYTES + 1)
        value = json.loads(data) if len(data) <= MAX_NOTICE_BYTES else None
    except (OSError, ValueError):
        return None
    if not isinstance(value, dict) or not all(
        isinstance(value.get(key), str) and value[key] and "\n" not in value[key] for key in _KEYS
    ):
        return None
    return ErasedNotice(**{key: value[key][:200] for key in _KEYS})


def refuse_if_erased(folder: Path) -> None:
    """Raise :class:`VaultErasedError` for a vault that was erased on HQ's order."""
    notice = read_notice(folder)
    if notice is not None:
        raise VaultErasedError(notice)
