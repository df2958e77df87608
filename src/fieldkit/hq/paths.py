"""The HQ folder: ``--hq DIR``, else ``FIELDKIT_HQ``, else the user's data folder for fieldkit-hq.

Everything HQ keeps lives in it (unless the repository is a PostgreSQL server)::

    hq.json          public settings: name, address, the public keys
    hq.keys          the secret keys, encrypted with the HQ passphrase (age, scrypt)
    enrolment.fke    the signed enrolment file devices import
    hq.sqlite3       the repository (SQLite), unless --db names another
    attachments/     attachments, encrypted to HQ's own keys, named by their SHA-256
    receipts/        receipts written by ingest (the default)
    forms/           forms HQ published, signed, for devices (``<id>-<version>.fkf``)
    spool/           private folders of bundles being ingested (attachments encrypted)
    spool.lock       held while a spool folder is made, or those of dead runs removed
    tls.crt, tls.key the sync server's certificate and key (fieldkit.hq.tls)
    uploads/         bundles being uploaded over the network (still encrypted, as sent)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from fieldkit.files import make_private_dir

HQ_ENV = "FIELDKIT_HQ"
DB_ENV = "FIELDKIT_HQ_DB"
PASSPHRASE_ENV = "FIELDKIT_HQ_PASSPHRASE"  # noqa: S105 - the name of a variable
APP_NAME = "fieldkit-hq"


def default_hq_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME, appauthor=False, roaming=False)


def resolve_hq_dir(given: str | os.PathLike[str] | None = None) -> Path:
    if given:
        return Path(given).expanduser().absolute()
    from_env = os.environ.get(HQ_ENV)
    if from_env:
        return Path(from_env).expanduser().absolute()
    return default_hq_dir()


@dataclass(frozen=True)
class HqPaths:
    root: Path

    @property
    def config(self) -> Path:
        return self.root / "hq.json"

    @property
    def keys(self) -> Path:
        return self.root / "hq.keys"

    @property
    def enrolment(self) -> Path:
        return self.root / "enrolment.fke"

    @property
    def database(self) -> Path:
        return self.root / "hq.sqlite3"

    @property
    def attachments(self) -> Path:
        return self.root / "attachments"

    @property
    def receipts(self) -> Path:
        return self.root / "receipts"

    @property
    def forms(self) -> Path:
        return self.root / "forms"

    @property
    def spool(self) -> Path:
        return self.root / "spool"

    @property
    def tls_cert(self) -> Path:
        return self.root / "tls.crt"

    @property
    def tls_key(self) -> Path:
        return self.root / "tls.key"

    @property
    def uploads(self) -> Path:
        return self.root / "uploads"

    @property
    def spool_lock(self) -> Path:
        return self.root / "spool.lock"

    def make_folders(self) -> None:
        """Create the HQ folder and its sub-folders, readable by their owner only."""
        for folder in (self.root, self.attachments, self.receipts, self.spool):
            make_private_dir(folder)
