"""Passphrase strength, and the keyring: opt-in, never a plain-text backend."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from fieldkit.errors import InvalidInputError
from fieldkit.services import passphrases, vaults
from fieldkit.vault.keyfile import WrongPassphraseError
from tests.conftest import PASSPHRASE, snapshot


@pytest.mark.parametrize(
    "weak",
    [
        "",
        "short",
        "password1234",
        "qwertyuiopasdf",
        "aaaaaaaaaaaaaaaa",
        "123456789012",
        "Password2024!",
    ],
)
def test_weak_passphrases_are_refused_with_advice(weak: str) -> None:
    verdict = passphrases.strength(weak)
    assert not verdict.acceptable
    assert verdict.advice
    with pytest.raises(InvalidInputError):
        passphrases.check_new_passphrase(weak)


@pytest.mark.parametrize(
    "strong",
    [
        "violet anchor mosquito tundra 42",
        "Tamarind-Quokka-Lighthouse-1987",
        "ngoma ya bahari inalia usiku",
    ],
)
def test_strong_passphrases_pass(strong: str) -> None:
    verdict = passphrases.strength(strong)
    assert verdict.acceptable and verdict.score >= passphrases.MIN_SCORE
    assert verdict.label in ("strong", "very strong")
    passphrases.check_new_passphrase(strong, strong)


def test_confirmation_must_match() -> None:
    with pytest.raises(InvalidInputError, match="differ"):
        passphrases.check_new_passphrase(
            "violet anchor mosquito tundra 42", "violet anchor mosquito tundra 43"
        )


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps secrets in memory, standing in for the operating system's."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        self.secrets.pop((service, username))


class PlaintextKeyring(MemoryKeyring):
    """Named like keyrings.alt's file backend, which stores secrets in base64 in a file."""


def test_remember_recall_and_forget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    assert passphrases.keyring_available()
    passphrases.remember(tmp_path, "the passphrase itself")
    assert passphrases.recall(tmp_path) == "the passphrase itself"
    assert passphrases.recall(tmp_path / "other") is None
    [(service, account)] = backend.secrets
    assert service == "fieldkit" and str(tmp_path) not in account
    passphrases.forget(tmp_path)
    assert passphrases.recall(tmp_path) is None
    passphrases.forget(tmp_path)  # forgetting twice is fine


def test_plaintext_keyrings_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = PlaintextKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    assert not passphrases.keyring_available()
    with pytest.raises(passphrases.KeyringUnavailableError):
        passphrases.remember(tmp_path, "never stored")
    assert backend.secrets == {}
    assert passphrases.recall(tmp_path) is None


def test_keyrings_alt_backends_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    alt = type("EncryptedKeyring", (MemoryKeyring,), {"__module__": "keyrings.alt.file"})()
    monkeypatch.setattr(keyring, "get_keyring", lambda: alt)
    with pytest.raises(passphrases.KeyringUnavailableError):
        passphrases.remember(tmp_path, "never stored")


def test_no_keyring_means_asking_without_fuss(tmp_path: Path) -> None:
    # The test session runs with keyring's "fail" backend, as on a machine without one.
    assert not passphrases.keyring_available()
    assert passphrases.recall(tmp_path) is None
    passphrases.forget(tmp_path)
    with pytest.raises(passphrases.KeyringUnavailableError):
        passphrases.remember(tmp_path, "x")


def test_a_broken_keyring_falls_back_to_asking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken(MemoryKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            raise RuntimeError("locked")

    monkeypatch.setattr(keyring, "get_keyring", Broken)
    assert passphrases.recall(tmp_path) is None


# -- use cases shared by the GUI and the CLI ---------------------------------------------------

NEW_PASSPHRASE = "harbour lantern quietly orbit 77"


def test_remember_verified_refuses_a_wrong_passphrase(
    vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    before = snapshot(vault_dir)
    with pytest.raises(WrongPassphraseError):
        passphrases.remember_verified(vault_dir, "a typo in the passphrase")
    assert backend.secrets == {}
    assert snapshot(vault_dir) == before  # not counted as a guess either
    passphrases.remember_verified(vault_dir, PASSPHRASE)
    assert passphrases.recall(vault_dir) == PASSPHRASE


def test_change_checks_the_confirmation_and_keeps_the_keyring_in_step(
    vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    with pytest.raises(InvalidInputError, match="differ"):
        passphrases.change(vault_dir, PASSPHRASE, NEW_PASSPHRASE, NEW_PASSPHRASE + "!")
    passphrases.change(vault_dir, PASSPHRASE, NEW_PASSPHRASE, NEW_PASSPHRASE)
    assert passphrases.recall(vault_dir) is None  # nothing was remembered: nothing is now
    passphrases.remember(vault_dir, NEW_PASSPHRASE)
    passphrases.change(vault_dir, NEW_PASSPHRASE, PASSPHRASE, PASSPHRASE)
    assert passphrases.recall(vault_dir) == PASSPHRASE
    vaults.unlock_vault(vault_dir, PASSPHRASE).close()


def test_change_forgets_a_remembered_passphrase_the_keyring_will_not_replace(
    vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Stubborn(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise RuntimeError("refused")

    backend = Stubborn()
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    backend.secrets[("fieldkit", passphrases._account(vault_dir))] = PASSPHRASE
    passphrases.change(vault_dir, PASSPHRASE, NEW_PASSPHRASE, NEW_PASSPHRASE)
    assert backend.secrets == {}  # the old one opens nothing any more
    vaults.unlock_vault(vault_dir, NEW_PASSPHRASE).close()
