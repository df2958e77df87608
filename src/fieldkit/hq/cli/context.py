"""What every fieldkit-hq command needs: the HQ folder, the repository, the passphrase, keys."""

from __future__ import annotations

import argparse
import os

from fieldkit.console import given_passphrase, prompt_passphrase
from fieldkit.hq import keys
from fieldkit.hq.keys import HqConfig, HqKeys
from fieldkit.hq.paths import DB_ENV, PASSPHRASE_ENV, HqPaths, resolve_hq_dir
from fieldkit.hq.repository import Repository, open_repository, sqlite_url
from fieldkit.i18n import _


class HqContext:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.paths = HqPaths(resolve_hq_dir(args.hq))
        self._config: HqConfig | None = None
        self._repository: Repository | None = None

    @property
    def db_url(self) -> str:
        return self.args.db or os.environ.get(DB_ENV) or sqlite_url(self.paths.database)

    def config(self) -> HqConfig:
        """HQ's public settings; refuses a folder that was never initialised."""
        if self._config is None:
            self._config = keys.load_config(self.paths)
        return self._config

    def repository(self) -> Repository:
        """The repository (of an initialised HQ: no database is made in a stray folder)."""
        if self._repository is None:
            self.config()
            self._repository = open_repository(self.db_url)
        return self._repository

    def open_new_repository(self) -> Repository:
        """The repository of an HQ being initialised (created and migrated if need be)."""
        if self._repository is None:
            self._repository = open_repository(self.db_url)
        return self._repository

    def passphrase(self, *, creating: bool = False) -> str:
        given = given_passphrase(PASSPHRASE_ENV, self.args.passphrase_file)
        if given:
            return given
        label = _("New headquarters passphrase: ") if creating else _("Headquarters passphrase: ")
        return prompt_passphrase(label, env=PASSPHRASE_ENV, twice=creating)

    def keys(self) -> HqKeys:
        """HQ's secrets, unlocked with the passphrase (a wrong one changes nothing)."""
        self.config()
        return keys.unlock(self.paths, self.passphrase())

    def close(self) -> None:
        if self._repository is not None:
            self._repository.close()
            self._repository = None
