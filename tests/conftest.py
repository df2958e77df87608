"""Shared fixtures: a fast key derivation, isolated folders, a vault with the test forms."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend

from fieldkit.i18n import set_language
from fieldkit.vault import keyfile

PASSPHRASE = "violet anchor mosquito tundra 42"
DATA = Path(__file__).parent / "data"
FAST_KDF_SITE = Path(__file__).parent / "fast_kdf_site"
"""Its sitecustomize.py gives the programs the tests start the same cheap key derivation."""
FAST_KDF = keyfile.KdfParams(memory_kib=keyfile.FLOOR_MEMORY_KIB, iterations=1, lanes=1)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test touches the real data folder, keyring or environment of the machine."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    # The cheap key derivation, for this process and (through sitecustomize) for its children.
    monkeypatch.setattr(keyfile, "TEST_PARAMS", FAST_KDF)
    python_path = os.pathsep.join(filter(None, [str(FAST_KDF_SITE), os.environ.get("PYTHONPATH")]))
    monkeypatch.setenv("PYTHONPATH", python_path)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    # A program run inside the test process (main(argv)) must not lower the test process's own
    # core limit for good: the children of later tests would inherit it. The programs' own
    # hardening is tested on real child processes (tests/security/test_crash_dumps.py).
    monkeypatch.setattr("fieldkit.console.no_crash_dumps", _not_in_the_test_process)
    monkeypatch.setattr("fieldkit.app.no_crash_dumps", _not_in_the_test_process)
    for name in (
        "FIELDKIT_VAULT",
        "FIELDKIT_PASSPHRASE",
        "FIELDKIT_NEW_PASSPHRASE",
        "FIELDKIT_LANG",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANGUAGE", "en")
    set_language("en")


def _not_in_the_test_process() -> None:
    pass


@pytest.fixture
def vault_dir(tmp_path: Path) -> Path:
    return tmp_path / "vault"


@pytest.fixture
def vault(vault_dir: Path) -> Iterator[Any]:
    """An unlocked vault holding the shipped forms and the all-types test form."""
    from fieldkit.services import forms as form_service
    from fieldkit.services.vaults import create_vault

    opened = create_vault(vault_dir, PASSPHRASE, device_name="test laptop")
    with opened.write() as session:
        form_service.install(
            session, form_service.read_form_file(DATA / "forms" / "all-types.yaml")
        )
    yield opened
    opened.close()


def all_types_answers(**overrides: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "subject": "Checkpoint levy on fuel trucks",
        "story": "Drivers paid at the bridge.",
        "count": 3,
        "weight": 12.5,
        "day": "2026-03",
        "seen_at": "2026-03-14T09:30:00+01:00",
        "colour": "green",
        "flags": ["yes"],
        "place": "Bridge north of the market",
        "position": "12°30'15\"N 1°15'W",
        "witness_name": "Witness Alpha",
        "people": [{"age": 34}, {"age": 15, "minor_guardian": "Uncle"}],
    }
    answers.update(overrides)
    return answers


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder`` with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def cli_env(vault_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"FIELDKIT_VAULT": str(vault_dir), "FIELDKIT_PASSPHRASE": PASSPHRASE})
    env.update(extra)
    return env


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps secrets in this process only (a stand-in for the system keyring)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username))


def use_keyring(monkeypatch: pytest.MonkeyPatch, backend: KeyringBackend) -> None:
    """Make ``backend`` the keyring, and its class one of the system stores fieldkit accepts."""
    from fieldkit.services import passphrases

    system = passphrases._system_keyrings
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    monkeypatch.setattr(passphrases, "_system_keyrings", lambda: (*system(), type(backend)))
