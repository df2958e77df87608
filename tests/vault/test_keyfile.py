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


DAMAGED = "The vault's key file is damaged; restore it from a backup of the vault folder."


def refused_by(caught: pytest.ExceptionInfo[KeyFileError]) -> str:
    """Which check refused the key file: every damage shows the user the same line, so the test
    reads the error the parser raised inside (kept as the context, not shown)."""
    assert caught.value.user_message == DAMAGED
    assert caught.value.__suppress_context__
    return f"{type(caught.value.__context__).__name__}: {caught.value.__context__}"


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (b"", "JSONDecodeError: Expecting value"),
        (b"not json", "JSONDecodeError: Expecting value"),
        (b"[]", "AttributeError: 'list' object has no attribute 'get'"),
        (b'{"fieldkit_vault_key": 2}', "ValueError: unknown format"),
        (b'{"fieldkit_vault_key": 1, "cipher": "aes-gcm"}', "ValueError: unknown format"),
        (b'{"fieldkit_vault_key": 1, "cipher": "chacha20-poly1305", '
         b'"kdf": {"algorithm": "scrypt"}}', "ValueError: unknown kdf"),
        (b"\xff\xfe\x00garbage", "JSONDecodeError: Expecting value"),
    ],
)  # fmt: skip
def test_damaged_key_file_gives_a_clear_error(damage: bytes, reason: str) -> None:
    with pytest.raises(KeyFileError) as caught:
        KeyFile.parse(damage)
    assert refused_by(caught).startswith(reason)


@pytest.mark.parametrize(
    ("name", "value"),
    [("fieldkit_vault_key", 2), ("fieldkit_vault_key", "1"), ("cipher", "aes-gcm")],
)
def test_an_otherwise_sound_key_file_of_another_format_is_refused(name: str, value: object) -> None:
    body = json.loads(KeyFile.wrap(keyfile.new_database_key(), "x" * 20, FAST).to_bytes())
    body[name] = value
    with pytest.raises(KeyFileError) as caught:
        KeyFile.parse(json.dumps(body).encode())
    assert refused_by(caught) == "ValueError: unknown format"


@pytest.mark.parametrize(("name", "value"), [("memory_kib", 1), ("iterations", 0), ("lanes", 0)])
def test_out_of_range_parameters_are_refused(name: str, value: int) -> None:
    body = json.loads(KeyFile.wrap(keyfile.new_database_key(), "x" * 20, FAST).to_bytes())
    body["kdf"][name] = value
    with pytest.raises(KeyFileError) as caught:
        KeyFile.parse(json.dumps(body).encode())
    assert refused_by(caught) == "ValueError: parameters out of range"


@pytest.mark.parametrize("counter", [0, 2, "1"])
def test_an_unknown_unlock_counter_is_refused(counter: object) -> None:
    body = json.loads(KeyFile.wrap(keyfile.new_database_key(), "x" * 20, FAST).to_bytes())
    body["unlock_counter"] = counter
    with pytest.raises(KeyFileError) as caught:
        KeyFile.parse(json.dumps(body).encode())
    assert refused_by(caught) == "ValueError: unknown unlock counter"


@pytest.mark.parametrize(
    ("name", "value"),
    [("memory_kib", 1024 * 1024 + 1), ("memory_kib", 64 * 1024 * 1024), ("iterations", 25),
     ("iterations", 10**9), ("lanes", 9)],
)  # fmt: skip
def test_parameters_above_the_ceilings_are_refused_before_any_derivation(
    monkeypatch: pytest.MonkeyPatch, name: str, value: int
) -> None:
    """A tampered key file cannot make an unlock run for hours or take all the memory."""
    body = json.loads(KeyFile.wrap(keyfile.new_database_key(), "x" * 20, FAST).to_bytes())
    body["kdf"][name] = value
    derived: list[KdfParams] = []
    monkeypatch.setattr(KdfParams, "derive", lambda self, *_args: derived.append(self))
    with pytest.raises(KeyFileError) as caught:
        KeyFile.parse(json.dumps(body).encode()).unwrap("x" * 20)
    message = caught.value.user_message
    assert "above fieldkit's limits (1024 MiB, 24 passes, 8 lanes at most)" in message
    assert "tampered" in message and "\n" not in message
    assert derived == []


def test_the_ceilings_leave_room_for_every_calibrated_key_file() -> None:
    strongest = KdfParams(keyfile.DEFAULT_MEMORY_KIB, keyfile.MAX_ITERATIONS, keyfile.DEFAULT_LANES)
    body = json.loads(KeyFile.wrap(keyfile.new_database_key(), "x" * 20, FAST).to_bytes())
    body["kdf"].update(memory_kib=strongest.memory_kib, iterations=strongest.iterations,
                       lanes=strongest.lanes)  # fmt: skip
    assert KeyFile.parse(json.dumps(body).encode()).params == strongest


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
    monkeypatch.setattr(keyfile, "TEST_PARAMS", None)
    params = keyfile.calibrated_params()
    assert params.memory_kib == keyfile.DEFAULT_MEMORY_KIB
    assert keyfile.MIN_ITERATIONS <= params.iterations <= keyfile.MAX_ITERATIONS


def test_the_environment_cannot_lower_the_key_derivation(monkeypatch: pytest.MonkeyPatch) -> None:
    """The variable that once selected the tests' cheap derivation is ignored: only the test
    suite's hook inside the process (keyfile.TEST_PARAMS) lowers the cost."""
    monkeypatch.setattr(keyfile, "TEST_PARAMS", None)
    monkeypatch.setenv("FIELDKIT_TEST_FAST_KDF", "1")
    params = keyfile.calibrated_params()
    assert params.memory_kib == keyfile.PRODUCTION_MEMORY_KIB
    assert params.iterations >= keyfile.PRODUCTION_ITERATIONS
    assert not params.below_production()


def test_the_test_hook_is_set_in_the_programs_the_tests_start() -> None:
    import subprocess
    import sys

    shown = subprocess.run(
        [sys.executable, "-c", "from fieldkit.vault import keyfile; print(keyfile.TEST_PARAMS)"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "memory_kib=8192, iterations=1, lanes=1" in shown


def _fail_derivation(self: KdfParams, passphrase: str, salt: bytes) -> bytes:
    raise AssertionError("derived again")


def test_an_early_derivation_is_used_by_the_unwrap_that_follows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dek = keyfile.new_database_key()
    keyfile.write_key_file(tmp_path, KeyFile.wrap(dek, "early passphrase 12", FAST))
    keyfile.derive_early(tmp_path, "early passphrase 12")
    monkeypatch.setattr(KdfParams, "derive", _fail_derivation)
    assert keyfile.read_key_file(tmp_path).unwrap("early passphrase 12") == dek


def test_an_early_derivation_with_another_passphrase_opens_nothing(tmp_path: Path) -> None:
    dek = keyfile.new_database_key()
    keyfile.write_key_file(tmp_path, KeyFile.wrap(dek, "early passphrase 12", FAST))
    keyfile.derive_early(tmp_path, "wrong passphrase 34")
    # Not the passphrase derived early: derived again, and the right one still opens it.
    assert keyfile.read_key_file(tmp_path).unwrap("early passphrase 12") == dek
    keyfile.derive_early(tmp_path, "wrong passphrase 34")
    with pytest.raises(WrongPassphraseError):
        keyfile.read_key_file(tmp_path).unwrap("wrong passphrase 34")


def test_an_early_derivation_for_a_replaced_key_file_is_not_used(tmp_path: Path) -> None:
    keyfile.write_key_file(tmp_path, KeyFile.wrap(keyfile.new_database_key(), "x" * 20, FAST))
    keyfile.derive_early(tmp_path, "x" * 20)
    dek = keyfile.new_database_key()
    keyfile.write_key_file(tmp_path, KeyFile.wrap(dek, "x" * 20, FAST))  # a new salt
    assert keyfile.read_key_file(tmp_path).unwrap("x" * 20) == dek
