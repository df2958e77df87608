"""What every command needs: the vault folder, the passphrase, the unlocked vault."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from fieldkit.console import given_passphrase, prompt_passphrase
from fieldkit.i18n import _, current_language
from fieldkit.services.locations import resolve_vault_dir

if TYPE_CHECKING:
    from fieldkit.vault.store import Vault

PASSPHRASE_ENV = "FIELDKIT_PASSPHRASE"  # noqa: S105 - a variable name
NEW_PASSPHRASE_ENV = "FIELDKIT_NEW_PASSPHRASE"  # noqa: S105 - a variable name


def _wait(seconds: int) -> None:
    if sys.stderr.isatty():  # a script's stderr keeps to the one line of an error
        print(
            _("Waiting {n} s after earlier wrong passphrases…").format(n=seconds),
            file=sys.stderr,
            flush=True,
        )
    time.sleep(seconds)


class Context:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.folder: Path = resolve_vault_dir(args.vault)
        self.language = current_language()
        self._vault: Vault | None = None
        self._passphrase: str | None = None

    def begin_unlock(self) -> None:
        """Take the passphrase now and start deriving the vault's key from it in the background,
        so that the derivation overlaps loading the services and reading the input; the
        :meth:`vault` that follows opens the vault with it."""
        from fieldkit.vault import keyfile

        self._passphrase = self.passphrase()
        keyfile.derive_early(self.folder, self._passphrase)

    def passphrase(self, *, creating: bool = False) -> str:
        given = given_passphrase(PASSPHRASE_ENV, self.args.passphrase_file)
        if given:
            return given
        if not creating:
            from fieldkit.services import passphrases

            remembered = passphrases.recall(self.folder)
            if remembered:
                return remembered
        return prompt_passphrase(
            _("Vault passphrase: ") if not creating else _("New vault passphrase: "),
            env=PASSPHRASE_ENV,
            twice=creating,
        )

    def new_passphrase(self) -> str:
        from_env = os.environ.get(NEW_PASSPHRASE_ENV)
        if from_env:
            return from_env
        return prompt_passphrase(_("New passphrase: "), env=PASSPHRASE_ENV, twice=True)

    def vault(self, passphrase: str | None = None) -> Vault:
        """The vault, unlocked (with ``passphrase``, or the one :meth:`passphrase` gives). After
        wrong passphrases the attempt waits as the desktop app does (1, 2, 4 ... 60 s, counted
        beside the key file), saying so on a terminal; runs started together take turns, and
        each waits. A warning for the user (a count of wrong passphrases removed, a weak key
        file), and the forms updated with fieldkit at this unlock, are one line each on
        stderr."""
        if self._vault is None:
            from fieldkit.services import erasure, unlocking

            erasure.refuse_if_erased(self.folder)  # said before a passphrase is asked for
            self._vault = unlocking.unlock(
                self.folder,
                passphrase if passphrase is not None else self._passphrase or self.passphrase(),
                wait=_wait,
                warn=lambda warning: print(warning, file=sys.stderr, flush=True),
                inform=lambda notice: print(notice, file=sys.stderr, flush=True),
            )
        return self._vault

    def close(self) -> None:
        if self._vault is not None:
            self._vault.close()
            self._vault = None
