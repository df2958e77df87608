"""What the workspace holds for its whole life: the repository, HQ's keys, its settings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from fieldkit.hq.accounts import LockoutPolicy, SessionPolicy, SessionReveals
from fieldkit.hq.accounts.totp import sealing_key
from fieldkit.hq.keys import HqConfig, HqKeys
from fieldkit.hq.paths import HqPaths
from fieldkit.hq.repository import Repository
from fieldkit.hq.web.ratelimit import RateLimit


@dataclass(frozen=True)
class WebSettings:
    """How the workspace runs: over TLS itself or behind a proxy that does it, and its limits."""

    tls: bool = True
    """Whether browsers reach it over HTTPS (then cookies are ``__Host-`` and Secure only)."""
    sessions: SessionPolicy = field(default_factory=SessionPolicy)
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    sign_ins_per_minute: int = 10
    """Sign-in attempts (passwords and codes) one client address may make per minute."""
    reveal_minutes: int = 15

    @staticmethod
    def from_seconds(
        *, tls: bool, idle: int, lifetime: int, sign_ins_per_minute: int = 10
    ) -> WebSettings:
        return WebSettings(
            tls=tls,
            sessions=SessionPolicy(
                idle=dt.timedelta(seconds=idle), lifetime=dt.timedelta(seconds=lifetime)
            ),
            sign_ins_per_minute=sign_ins_per_minute,
        )


class WebState:
    """One per app: what every page reads (``workspace(request)``)."""

    def __init__(
        self,
        repository: Repository,
        keys: HqKeys,
        paths: HqPaths,
        config: HqConfig,
        settings: WebSettings | None = None,
    ) -> None:
        self.repository = repository
        self.keys = keys
        self.paths = paths
        self.config = config
        self.settings = settings or WebSettings()
        self.totp_key = sealing_key(keys.signing_key)
        """Seals the accounts' second-factor keys (see :mod:`fieldkit.hq.accounts.totp`)."""
        self.session_reveals = SessionReveals(repository, self.settings.reveal_minutes)
        self.sign_in_limit = RateLimit(self.settings.sign_ins_per_minute, 60.0)

    @property
    def reveals(self) -> SessionReveals:
        """The same as :attr:`session_reveals`."""
        return self.session_reveals
