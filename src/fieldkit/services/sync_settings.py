"""Settings of network sync, kept in the vault, and the back-off schedule between tries."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlmodel import Session

from fieldkit.vault import repo
from fieldkit.vault.store import Vault

SETTING_AUTOMATIC = "sync_automatic"
SETTING_NOT_ON_METERED = "sync_not_on_metered"
SETTING_KNOWN_FORMS = "sync_known_forms"
"""SHA-256 of the form files from headquarters this device already has (installed or not)."""


@dataclass(frozen=True)
class SyncSettings:
    automatic: bool = True
    """Send whenever headquarters can be reached (the app); otherwise only when asked."""
    not_on_metered: bool = True
    """Not over links the system reports as metered (mobile data, a metered hotspot)."""


def settings(vault: Vault) -> SyncSettings:
    with vault.read() as session:
        return SyncSettings(
            automatic=bool(repo.get_setting(session, SETTING_AUTOMATIC, True)),
            not_on_metered=bool(repo.get_setting(session, SETTING_NOT_ON_METERED, True)),
        )


def save_settings(vault: Vault, chosen: SyncSettings) -> None:
    with vault.write() as session:
        repo.set_setting(session, SETTING_AUTOMATIC, bool(chosen.automatic))
        repo.set_setting(session, SETTING_NOT_ON_METERED, bool(chosen.not_on_metered))


def known_forms(session: Session) -> set[str]:
    value = repo.get_setting(session, SETTING_KNOWN_FORMS, [])
    return {str(item) for item in value} if isinstance(value, list) else set()


def remember_forms(session: Session, hashes: set[str]) -> None:
    repo.set_setting(session, SETTING_KNOWN_FORMS, sorted(known_forms(session) | hashes))


class Backoff:
    """When to try again after a failure: ``first`` seconds, then twice as long each time, at
    most ``cap`` seconds, each delay within ``jitter`` of its value (so that many devices do not
    come back together); it never gives up. :meth:`reset` after a success."""

    def __init__(
        self,
        first: float = 60.0,
        cap: float = 3600.0,
        *,
        factor: float = 2.0,
        jitter: float = 0.1,
        rng: random.Random | None = None,
    ) -> None:
        if first <= 0 or cap < first or factor < 1 or not 0 <= jitter < 1:
            raise ValueError("invalid back-off schedule")
        self.first, self.cap, self.factor, self.jitter = first, cap, factor, jitter
        self.tries = 0
        self._random = rng or random.Random()  # noqa: S311 - spreading retries, not a secret

    def next_delay(self) -> float:
        """Count one more failure; the seconds to wait before the next try."""
        base = min(self.cap, self.first * self.factor ** min(self.tries, 64))
        self.tries += 1
        spread = base * self.jitter
        return min(self.cap, max(0.0, base + self._random.uniform(-spread, spread)))

    def reset(self) -> None:
        self.tries = 0
