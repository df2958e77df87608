"""Passphrase strength, and the keyring: opt-in, and only the system's own secret store."""

from __future__ import annotations

import re
from pathlib import Path

import keyring
import pytest

from fieldkit.errors import InvalidInputError
from fieldkit.services import passphrases, vaults
from fieldkit.vault.keyfile import WrongPassphraseError
from tests.conftest import PASSPHRASE, MemoryKeyring, snapshot, use_keyring


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
    with pytest.raises(InvalidInputError, match=re.escape(verdict.advice)):
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


class PlaintextKeyring(MemoryKeyring):
    """Named like keyrings.alt's file backend, which stores secrets in base64 in a file."""


def test_remember_recall_and_forget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    backend = MemoryKeyring()
    use_keyring(monkeypatch, backend)
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
    with pytest.raises(
        passphrases.KeyringUnavailableError,
        match=r"The keyring tests\.services\.test_passphrases\.PlaintextKeyring is not one of",
    ):
        passphrases.remember(tmp_path, "never stored")
    assert backend.secrets == {}
    assert passphrases.recall(tmp_path) is None


def test_keyrings_alt_backends_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    alt = type("EncryptedKeyring", (MemoryKeyring,), {"__module__": "keyrings.alt.file"})()
    monkeypatch.setattr(keyring, "get_keyring", lambda: alt)
    with pytest.raises(
        passphrases.KeyringUnavailableError,
        match=r"The keyring keyrings\.alt\.file\.EncryptedKeyring is not one of",
    ):
        passphrases.remember(tmp_path, "never stored")


def test_only_the_system_stores_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    from keyring.backends import SecretService, Windows, kwallet, macOS

    for system in (SecretService.Keyring(), kwallet.DBusKeyring(), macOS.Keyring(),
                   Windows.WinVaultKeyring()):  # fmt: skip
        monkeypatch.setattr(keyring, "get_keyring", lambda system=system: system)
        assert passphrases.keyring_available(), type(system)
    # A subclass of a system store is some other code: refused like any other backend.
    lookalike = type("Keyring", (SecretService.Keyring,), {"__module__": "somewhere.else"})()
    monkeypatch.setattr(keyring, "get_keyring", lambda: lookalike)
    assert not passphrases.keyring_available()


def test_any_other_backend_is_refused_with_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = MemoryKeyring()  # not one of the system stores
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    with pytest.raises(passphrases.KeyringUnavailableError) as caught:
        passphrases.remember(tmp_path, "never stored")
    assert caught.value.user_message == (
        "The keyring tests.conftest.MemoryKeyring is not one of the system's own stores (Secret "
        "Service, KWallet, macOS Keychain, Windows Credential Locker); fieldkit will not remember "
        "the passphrase in it and will keep asking for it."
    )
    assert backend.secrets == {}
    assert passphrases.recall(tmp_path) is None


def test_a_backend_named_in_the_environment_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.conftest.MemoryKeyring")
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # keyring reads it afresh
    assert type(keyring.get_keyring()) is MemoryKeyring
    with pytest.raises(
        passphrases.KeyringUnavailableError, match=r"tests\.conftest\.MemoryKeyring"
    ):
        passphrases.remember(tmp_path, "never stored")
    assert keyring.get_keyring().secrets == {}  # type: ignore[attr-defined]


def test_the_chainer_is_reduced_to_its_system_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from keyring.backends import chainer

    other, system = PlaintextKeyring(), MemoryKeyring()
    use_keyring(monkeypatch, system)  # MemoryKeyring stands in for a system store
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [other, system])
    monkeypatch.setattr(keyring, "get_keyring", chainer.ChainerBackend)
    passphrases.remember(tmp_path, "kept by the system store only")
    assert other.secrets == {} and list(system.secrets.values()) == [
        "kept by the system store only"
    ]
    monkeypatch.setattr(chainer.ChainerBackend, "backends", [other])
    with pytest.raises(passphrases.KeyringUnavailableError, match="PlaintextKeyring"):
        passphrases.remember(tmp_path, "never stored")


def test_no_keyring_means_asking_without_fuss(tmp_path: Path) -> None:
    # The test session runs with keyring's "fail" backend, as on a machine without one.
    assert not passphrases.keyring_available()
    assert passphrases.recall(tmp_path) is None
    passphrases.forget(tmp_path)
    with pytest.raises(passphrases.KeyringUnavailableError, match="has no secure keyring"):
        passphrases.remember(tmp_path, "x")


def test_a_broken_keyring_falls_back_to_asking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken(MemoryKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            raise RuntimeError("locked")

    use_keyring(monkeypatch, Broken())
    assert passphrases.recall(tmp_path) is None


# -- use cases shared by the GUI and the CLI ---------------------------------------------------

NEW_PASSPHRASE = "harbour lantern quietly orbit 77"


def test_remember_verified_refuses_a_wrong_passphrase(
    vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = MemoryKeyring()
    use_keyring(monkeypatch, backend)
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
    use_keyring(monkeypatch, backend)
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
    use_keyring(monkeypatch, backend)
    vaults.create_vault(vault_dir, PASSPHRASE).close()
    backend.secrets[("fieldkit", passphrases._account(vault_dir))] = PASSPHRASE
    passphrases.change(vault_dir, PASSPHRASE, NEW_PASSPHRASE, NEW_PASSPHRASE)
    assert backend.secrets == {}  # the old one opens nothing any more
    vaults.unlock_vault(vault_dir, NEW_PASSPHRASE).close()
