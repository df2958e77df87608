"""Erasing a vault on headquarters' order: the key file is overwritten and gone, the remembered
passphrase forgotten, the right passphrase no longer opens the vault, and every way of opening
it says why in one line; an order that is not HQ's for this device erases nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fieldkit.bundle import DamagedError, UntrustedSignerError
from fieldkit.bundle.erase_order import make_erase_order
from fieldkit.crypto.identity import SigningKey
from fieldkit.errors import ConflictError
from fieldkit.services import erasure, passphrases, unlocking, vaults
from fieldkit.vault.keyfile import KEY_FILE
from fieldkit.vault.rotation import rotated_key_file
from tests.conftest import PASSPHRASE, MemoryKeyring, cli_env, snapshot, use_keyring

HQ = SigningKey.generate()
ISSUED = "2026-12-07T10:00:00Z"
ERASED_LINE = "because headquarters (Mission HQ) reported this device lost."


def _secrets_of_key_file(data: bytes) -> list[bytes]:
    """The key file's bytes, and each of its long values (the salt, the wrapped key...)."""
    found = [data]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, str) and len(value) >= 16:
            found.append(value.encode())

    walk(json.loads(data))
    assert len(found) >= 3
    return found


def _holding(folder: Path, needle: bytes) -> list[str]:
    return [name for name, data in snapshot(folder).items() if needle in data]


def _key_id(vault: Any) -> str:
    return vaults.device_identity(vault).key_id


def test_an_order_for_this_device_erases_the_vault(
    vault: Any, vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring = MemoryKeyring()
    use_keyring(monkeypatch, keyring)
    passphrases.remember_verified(vault_dir, PASSPHRASE)
    assert keyring.secrets  # remembered
    key_id = _key_id(vault)
    vault.close()
    old_key_file = (vault_dir / KEY_FILE).read_bytes()
    needles = _secrets_of_key_file(old_key_file)
    assert all(_holding(vault_dir, n) for n in needles)  # the test can see the key file

    order = make_erase_order(HQ, key_id, ISSUED)
    notice = erasure.obey_erase_order(vault_dir, order, HQ.public.public_key, "Mission HQ", key_id)

    assert not (vault_dir / KEY_FILE).exists()
    for needle in needles:
        assert _holding(vault_dir, needle) == []
    assert keyring.secrets == {}  # the remembered passphrase is forgotten
    assert (notice.hq_name, notice.issued) == ("Mission HQ", ISSUED)
    assert erasure.erased_notice(vault_dir) == notice
    written = json.loads((vault_dir / "erased.json").read_text())
    assert written == {"hq_name": "Mission HQ", "issued": ISSUED, "erased_at": notice.erased_at}
    for opening in (
        lambda: vaults.unlock_vault(vault_dir, PASSPHRASE),
        lambda: unlocking.unlock(vault_dir, PASSPHRASE, wait=None),
        lambda: unlocking.unlock_remembered(vault_dir),
    ):
        with pytest.raises(erasure.VaultErasedError) as refused:
            opening()
        message = str(refused.value)
        assert isinstance(refused.value, ConflictError)
        assert message == (f"This vault was erased on {notice.erased_at[:10]} {ERASED_LINE}")
    with pytest.raises(ConflictError, match=r"reported this device lost\. To start a new vault"):
        vaults.create_vault(vault_dir, PASSPHRASE)


def test_a_key_replacement_under_way_is_erased_too(vault: Any, vault_dir: Path) -> None:
    key_id = _key_id(vault)
    vault.close()
    rotating = rotated_key_file(vault_dir)
    rotating.write_bytes((vault_dir / KEY_FILE).read_bytes().replace(b"{", b"{ ", 1))
    leftover = vault_dir / ".fieldkit-tmp-0123456789abcdef"
    leftover.write_bytes(b"a half-written copy of the key file")
    order = make_erase_order(HQ, key_id, ISSUED)
    erasure.obey_erase_order(vault_dir, order, HQ.public.public_key, "Mission HQ", key_id)
    assert not rotating.exists() and not leftover.exists()
    assert _holding(vault_dir, b"half-written") == []


def test_the_key_file_is_overwritten_before_it_is_removed(
    vault: Any, vault_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the file held just before its removal: random bytes of the same length."""
    vault.close()
    path = vault_dir / KEY_FILE
    before = path.read_bytes()
    seen: list[bytes] = []
    unlink = Path.unlink

    def watching(self: Path, missing_ok: bool = False) -> None:
        if self == path:
            seen.append(self.read_bytes())
        unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", watching)
    erasure.erase_vault(vault_dir, erasure.ErasedNotice("Mission HQ", ISSUED, ISSUED))
    assert len(seen) == 1 and len(seen[0]) == len(before) and seen[0] != before
    assert not any(seen[0][i : i + 16] in before for i in range(0, len(before) - 16, 16))


@pytest.mark.parametrize("wrong", ["other device", "other hq", "altered", "malformed"])
def test_an_order_that_is_not_hqs_for_this_device_erases_nothing(
    vault: Any, vault_dir: Path, monkeypatch: pytest.MonkeyPatch, wrong: str
) -> None:
    keyring = MemoryKeyring()
    use_keyring(monkeypatch, keyring)
    passphrases.remember_verified(vault_dir, PASSPHRASE)
    key_id = _key_id(vault)
    vault.close()
    before = snapshot(vault_dir)
    order: Any = make_erase_order(HQ, key_id, ISSUED)
    expected: type[Exception] = DamagedError
    if wrong == "other device":
        order = make_erase_order(HQ, SigningKey.generate().key_id, ISSUED)
        expected = UntrustedSignerError
    elif wrong == "other hq":
        order = make_erase_order(SigningKey.generate(), key_id, ISSUED)
        expected = UntrustedSignerError
    elif wrong == "altered":
        order["issued"] = "2026-12-07T10:00:01Z"
    else:
        order = {"device": key_id}
    with pytest.raises(expected):
        erasure.obey_erase_order(vault_dir, order, HQ.public.public_key, "Mission HQ", key_id)
    assert snapshot(vault_dir) == before
    assert erasure.erased_notice(vault_dir) is None
    assert keyring.secrets  # still remembered
    vaults.unlock_vault(vault_dir, PASSPHRASE).close()


def test_the_command_line_says_why_the_vault_no_longer_opens(vault: Any, vault_dir: Path) -> None:
    key_id = _key_id(vault)
    vault.close()
    order = make_erase_order(HQ, key_id, ISSUED)
    notice = erasure.obey_erase_order(vault_dir, order, HQ.public.public_key, "Mission HQ", key_id)
    env = cli_env(vault_dir)
    env.pop("FIELDKIT_PASSPHRASE")  # the line comes before any passphrase is asked for
    done = subprocess.run(
        [str(Path(sys.executable).parent / "fieldkit-cli"), "status"],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"fieldkit-cli: This vault was erased on {notice.erased_at[:10]} {ERASED_LINE}"
    ]
    assert not (vault_dir / KEY_FILE).exists()
