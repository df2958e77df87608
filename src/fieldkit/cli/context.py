"""What every command needs: the vault folder, the passphrase, the unlocked vault."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from fieldkit.errors import InvalidInputError
from fieldkit.i18n import _, current_language
from fieldkit.services import passphrases
from fieldkit.services.locations import resolve_vault_dir
from fieldkit.vault.store import Vault

PASSPHRASE_ENV = "FIELDKIT_PASSPHRASE"  # noqa: S105 - a variable name
NEW_PASSPHRASE_ENV = "FIELDKIT_NEW_PASSPHRASE"  # noqa: S105 - a variable name
MAX_PASSPHRASE_FILE = 4096


def read_passphrase_file(path: Path) -> str:
    """The first line of ``path``, without its line ending."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_PASSPHRASE_FILE + 1)
    except OSError as exc:
        raise InvalidInputError(
            _("{path}: cannot read the passphrase file ({reason}).").format(
                path=path, reason=exc.strerror
            )
        ) from None
    if len(data) > MAX_PASSPHRASE_FILE:
        raise InvalidInputError(_("{path}: too large for a passphrase file.").format(path=path))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInputError(
            _("{path}: the passphrase file is not UTF-8 text.").format(path=path)
        ) from None
    line = text.splitlines()[0] if text else ""
    if not line:
        raise InvalidInputError(_("{path}: the passphrase file is empty.").format(path=path))
    return line


def prompt(label: str, *, twice: bool = False) -> str:
    if not sys.stdin.isatty():
        raise InvalidInputError(
            _(
                "No passphrase given: set {env}, use --passphrase-file, or run in a terminal."
            ).format(env=PASSPHRASE_ENV)
        )
    first = getpass.getpass(label)
    if twice:
        second = getpass.getpass(_("Repeat the passphrase: "))
        if first != second:
            raise InvalidInputError(
                _("The two passphrases differ. Type the same passphrase twice.")
            )
    return first


class Context:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.folder: Path = resolve_vault_dir(args.vault)
        self.language = current_language()
        self._vault: Vault | None = None

    def passphrase(self, *, creating: bool = False) -> str:
        from_env = os.environ.get(PASSPHRASE_ENV)
        if from_env:
            return from_env
        if self.args.passphrase_file:
            return read_passphrase_file(Path(self.args.passphrase_file))
        if not creating:
            remembered = passphrases.recall(self.folder)
            if remembered:
                return remembered
        return prompt(
            _("Vault passphrase: ") if not creating else _("New vault passphrase: "), twice=creating
        )

    def new_passphrase(self) -> str:
        from_env = os.environ.get(NEW_PASSPHRASE_ENV)
        if from_env:
            return from_env
        return prompt(_("New passphrase: "), twice=True)

    def vault(self) -> Vault:
        if self._vault is None:
            from fieldkit.services.vaults import unlock_vault

            self._vault = unlock_vault(self.folder, self.passphrase())
        return self._vault

    def close(self) -> None:
        if self._vault is not None:
            self._vault.close()
            self._vault = None
