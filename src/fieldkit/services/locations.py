"""Where things live: the vault (``--vault DIR``, else ``FIELDKIT_VAULT``, else the user's data
folder), preferences, logs, and the files that ship with fieldkit (forms, icons, desktop entry)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

VAULT_ENV = "FIELDKIT_VAULT"
APP_NAME = "fieldkit"


def shipped_dir(checkout_name: str, installed_name: str) -> Path:
    """A folder that ships with fieldkit: ``fieldkit/<installed_name>`` inside an installed wheel
    (see ``force-include`` in pyproject.toml), ``<checkout_name>/`` at the top of a source
    checkout."""
    import fieldkit

    packaged = Path(fieldkit.__file__).parent / installed_name
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / checkout_name


def resources_dir() -> Path:
    """The icons and the desktop entry (``resources/`` in a checkout)."""
    return shipped_dir("resources", "resources")


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
