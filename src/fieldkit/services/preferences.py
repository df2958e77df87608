"""Preferences of this device that are not secret: language and auto-lock time.

They live in a small JSON file in the user's configuration folder, written atomically. Nothing
here may ever hold record content, passphrases or keys.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from fieldkit.files import atomic_write_bytes, make_private_dir
from fieldkit.i18n import SUPPORTED_LANGUAGES
from fieldkit.services.locations import config_dir

log = logging.getLogger(__name__)

FILE_NAME = "preferences.json"
MAX_BYTES = 64 * 1024
AUTO_LOCK_CHOICES = (1, 2, 5, 10, 15, 30, 60)


@dataclass(frozen=True)
class Preferences:
    language: str | None = None  # None: follow the system
    auto_lock_minutes: int = 5

    def with_changes(self, **changes: Any) -> Preferences:
        return replace(self, **changes)


def _path(folder: Path | None) -> Path:
    return (folder or config_dir()) / FILE_NAME


def load(folder: Path | None = None) -> Preferences:
    """The saved preferences; defaults when there are none or the file is unreadable."""
    path = _path(folder)
    try:
        with path.open("rb") as handle:
            raw = json.loads(handle.read(MAX_BYTES))
    except FileNotFoundError:
        return Preferences()
    except (OSError, ValueError):
        log.warning("preferences unreadable; using defaults")
        return Preferences()
    if not isinstance(raw, dict):
        return Preferences()
    language = raw.get("language")
    minutes = raw.get("auto_lock_minutes")
    return Preferences(
        language=language if language in SUPPORTED_LANGUAGES else None,
        auto_lock_minutes=minutes if minutes in AUTO_LOCK_CHOICES else 5,
    )


def save(preferences: Preferences, folder: Path | None = None) -> None:
    path = _path(folder)
    make_private_dir(path.parent)
    atomic_write_bytes(path, json.dumps(asdict(preferences), indent=2).encode())
