"""Where the vault lives: ``--vault DIR``, else ``FIELDKIT_VAULT``, else the user's data folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

VAULT_ENV = "FIELDKIT_VAULT"
APP_NAME = "fieldkit"


def default_vault_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME, appauthor=False, roaming=False) / "vault"


def resolve_vault_dir(given: str | os.PathLike[str] | None = None) -> Path:
    if given:
        return Path(given).expanduser().absolute()
    from_env = os.environ.get(VAULT_ENV)
    if from_env:
        return Path(from_env).expanduser().absolute()
    return default_vault_dir()


def config_dir() -> Path:
    """Non-secret preferences (language, auto-lock time): never record content."""
    return platformdirs.user_config_path(APP_NAME, appauthor=False, roaming=False)


def log_dir() -> Path:
    return platformdirs.user_log_path(APP_NAME, appauthor=False)
