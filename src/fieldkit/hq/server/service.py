"""Everything a server process needs, built from picklable settings (so that each uvicorn
worker process builds its own: a repository connection pool, a rate limiter, an ingestor).

The settings carry HQ's unlocked secret keys: they pass from the parent to each worker in
memory (the worker's start-up pipe), never through a file or the environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fieldkit.crypto.identity import SigningKey
from fieldkit.hq import keys as hq_keys
from fieldkit.hq.ingest import Ingestor
from fieldkit.hq.keys import HqKeys
from fieldkit.hq.paths import HqPaths
from fieldkit.hq.repository import open_repository
from fieldkit.hq.server.forms import Forms
from fieldkit.hq.server.sessions import RateLimiter, Sessions
from fieldkit.hq.server.store import FolderUploadStore
from fieldkit.hq.server.uploads import SWEEP_SECONDS, Limits, Uploads


@dataclass(frozen=True)
class Settings:
    hq_dir: Path
    db_url: str
    ingest_identity: str
    signing_key: bytes
    limits: Limits = field(default_factory=Limits)
    requests_per_minute: int = 120
    sweep_seconds: float = SWEEP_SECONDS
    """How often expired uploads are removed (and once at the start)."""

    def __repr__(self) -> str:
        return f"Settings(hq_dir={self.hq_dir!s})"

    @classmethod
    def of(cls, hq_dir: Path, db_url: str, keys: HqKeys, **options: object) -> Settings:
        return cls(
            hq_dir,
            db_url,
            keys.ingest_identity,
            keys.signing_key.private_bytes(),
            **options,  # type: ignore[arg-type]
        )


class Service:
    def __init__(self, settings: Settings) -> None:
        paths = HqPaths(settings.hq_dir)
        config = hq_keys.load_config(paths)
        self.hq_name = config.name
        self.keys = HqKeys(
            ingest_identity=settings.ingest_identity,
            signing_key=SigningKey.from_private_bytes(settings.signing_key),
        )
        self.repository = open_repository(settings.db_url)
        limiter = RateLimiter(settings.requests_per_minute)
        self.sessions = Sessions(self.repository, self.keys.signing_key, limiter)
        ingestor = Ingestor(self.repository, paths, config, self.keys)
        store = FolderUploadStore(paths.uploads)
        self.uploads = Uploads(self.repository, store, ingestor, paths.receipts, settings.limits)
        self.sweep_seconds = settings.sweep_seconds
        self.forms = Forms(paths, self.keys.signing_key.public.public_key, self.repository)

    def close(self) -> None:
        self.repository.close()
