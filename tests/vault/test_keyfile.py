from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldkit.vault import keyfile
from fieldkit.vault.keyfile import KdfParams, KeyFile, KeyFileError, WrongPassphraseError

FAST = KdfParams(memory_kib=8 * 1024, iterations=1, lanes=1)


def test_wrap_and_unwrap_round_trip() -> None:
    dek = keyfile.new_database_key()
    wrapped = KeyFile.wrap(dek, "a long enough passphrase", FAST)
    assert wrapped.unwrap("a long enough passphrase") == dek
    assert dek not in wrapped.to_bytes()


def test_wrong_passphrase_is_refused() -> None:
    wrapped = KeyFile.wrap(keyfile.new_database_key(), "right passphrase here", FAST)
    with pytest.raises(WrongPassphraseError) as caught:
        wrapped.unwrap("wrong passphrase here")
    assert "not correct" in caught.value.user_message


def test_every_wrap_uses_fresh_salt_and_nonce() -> None:
    dek = keyfile.new_database_key()
    first = KeyFile.wrap(dek, "same passphrase twice", FAST)
    second = KeyFile.wrap(dek, "same passphrase twice", FAST)
    assert first.salt != second.salt
    assert first.nonce != second.nonce
    assert first.wrapped != second.wrapped


def test_parameters_are_bound_to_the_wrapped_key() -> None:
    """Weakening the KDF parameters in the file makes the key unreadable, not weaker."""
    dek = keyfile.new_database_key()
    body = json.loads(
        KeyFile.wrap(dek, "bound parameters test", KdfParams(16 * 1024, 2, 1)).to_bytes()
    )
    body["kdf"]["iterations"] = 1
    body["kdf"]["memory_kib"] = 8 * 1024
    tampered = KeyFile.parse(json.dumps(body).encode())
    with pytest.raises(WrongPassphraseError):
        tampered.unwrap("bound parameters test")


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"not json",
        b"[]",
        b'{"fieldkit_vault_key": 2}',
        b'{"fieldkit_vault_key": 1, "cipher": "chacha20-poly1305", "kdf": {"algorithm": "scrypt"}}',
        b"\xff\xfe\x00garbage",
    ],
)
def test_damaged_key_file_gives_a_clear_error(damage: bytes) -> None:
    with pytest.raises(KeyFileError) as caught:
        KeyFile.parse(damage)
    assert "damaged" in caught.value.user_message


def test_out_of_range_parameters_are_refused() -> None:
    body = json.loads(KeyFile.wrap(keyfile.new_database_key(), "x" * 20, FAST).to_bytes())
    body["kdf"]["memory_kib"] = 1
    with pytest.raises(KeyFileError):
        KeyFile.parse(json.dumps(body).encode())


def test_key_file_is_written_atomically_and_owner_only(tmp_path: Path) -> None:
    keyfile.write_key_file(tmp_path, KeyFile.wrap(keyfile.new_database_key(), "x" * 20, FAST))
    path = keyfile.key_path(tmp_path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["vault.key"]
    assert keyfile.read_key_file(tmp_path).params == FAST


def test_missing_key_file_says_how_to_create_a_vault(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError) as caught:
        keyfile.read_key_file(tmp_path)
    assert "fieldkit-cli init" in caught.value.user_message


def test_calibration_targets_half_a_second_to_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(keyfile.TEST_KDF_ENV)
    params = keyfile.calibrated_params()
    assert params.memory_kib == keyfile.DEFAULT_MEMORY_KIB
    assert keyfile.MIN_ITERATIONS <= params.iterations <= keyfile.MAX_ITERATIONS
