"""security.md test 7: the standard `age` tool decrypts a bundle with HQ's identity file."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from fieldkit.bundle import export_bundle_file, open_bundle
from fieldkit.bundle.agefile import identity_from_key_file
from tests.bundle.factory import Keys, form_source, sealed, source, split

AGE = shutil.which("age")
needs_age = pytest.mark.skipif(
    AGE is None,
    reason="the `age` tool is not installed (make test installs it with apt where it can; "
    "or: sudo apt-get install age)",
)


@needs_age
def test_the_age_tool_decrypts_a_bundle_with_the_hq_identity_file(
    keys: Keys, tmp_path: Path
) -> None:
    assert AGE is not None
    identity_file = tmp_path / "hq.key"
    identity_file.write_text(f"# test key\n{keys.hq[0]}\n")
    revision = sealed(keys.device)
    exported = export_bundle_file(
        tmp_path,
        device_key=keys.device,
        sequence=1,
        previous=None,
        recipients=keys.recipients,
        revisions=[revision],
        forms=[form_source()],
        attachments=[source(b"attachment")],
    )
    result = subprocess.run(
        [AGE, "--decrypt", "--identity", str(identity_file), str(exported.path)],
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    plaintext = result.stdout
    assert plaintext.startswith(b"FKBUNDLE\x01")
    frames = split(plaintext)
    assert frames[2][1][64:] == revision.content
    assert len(plaintext) == exported.info.plaintext_bytes


@needs_age
def test_a_file_the_age_tool_encrypts_is_read_by_fieldkit(keys: Keys, tmp_path: Path) -> None:
    """The other direction: age's own encryption of fieldkit plaintext opens (interoperable
    framing; in the field only devices write bundles)."""
    assert AGE is not None
    identity_file = tmp_path / "hq.key"
    identity_file.write_text(f"{keys.hq[0]}\n")
    revision = sealed(keys.device)
    exported = export_bundle_file(
        tmp_path,
        device_key=keys.device,
        sequence=1,
        previous=None,
        recipients=keys.recipients,
        revisions=[revision],
        forms=[form_source()],
        attachments=[],
    )
    plaintext = subprocess.run(
        [AGE, "-d", "-i", str(identity_file), str(exported.path)], capture_output=True, check=True
    ).stdout
    reencrypted = subprocess.run(
        [AGE, "-e", *(a for r in keys.recipients for a in ("-r", r))],
        input=plaintext,
        capture_output=True,
        check=True,
    ).stdout
    spool = tmp_path / "spool"
    spool.mkdir(mode=0o700)
    with (tmp_path / "again.fkb").open("wb") as handle:
        handle.write(reencrypted)
    with (tmp_path / "again.fkb").open("rb") as handle:
        opened = open_bundle(
            handle, [identity_from_key_file(identity_file.read_text())], keys.trusts_device, spool
        )
    assert opened.revisions[0].content == revision.content
