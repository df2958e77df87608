"""Forms published at HQ reach devices signed: `fieldkit-hq forms publish | list`, and
`fieldkit-cli forms install FILE.fkf`, which installs only a form the enrolled HQ signed.

Each refusal is one line on stderr, exit 1, and leaves the device's forms as they were."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fieldkit.bundle.container import FRAME_HEADER, PUBLISHED_FORM_MAGIC
from fieldkit.cli.main import main as device_main
from fieldkit.hq.cli import main as hq_main
from tests.conftest import DATA, PASSPHRASE, snapshot
from tests.hq.support import Run

ROOT = Path(__file__).resolve().parents[2]
ALL_TYPES = DATA / "forms" / "all-types.yaml"
VOCABULARIES = ROOT / "forms" / "vocabularies"
BIN = Path(sys.executable).parent


@pytest.fixture
def hq(capsys: pytest.CaptureFixture[str], hq_dir: Path) -> Run:
    run = Run(capsys, hq_main, "fieldkit-hq")
    run("init", "--name", "Mission HQ")
    return run


@pytest.fixture
def device(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Run:
    monkeypatch.setenv("FIELDKIT_VAULT", str(tmp_path / "vault"))
    monkeypatch.setenv("FIELDKIT_PASSPHRASE", PASSPHRASE)
    run = Run(capsys, device_main, "fieldkit-cli")
    run("init", "--device-name", "Kidal laptop 3")
    return run


def _enrol(hq: Run, device: Run, hq_dir: Path) -> str:
    """Pin HQ's keys on the device; returns HQ's signing key id."""
    status = json.loads(hq("status", "--json"))
    device("enroll", str(hq_dir / "enrolment.fke"), "--fingerprint", status["fingerprint"])
    return str(status["signing_key_id"])


def _published(hq: Run, hq_dir: Path) -> Path:
    shown = hq("forms", "publish", str(ALL_TYPES), "--vocabularies", str(VOCABULARIES))
    path = hq_dir / "forms" / "all-types-1.fkf"
    assert f"Published form 'all-types' version 1: {path}" in shown
    return path


def _forms(device: Run) -> dict[str, dict[str, object]]:
    return {f["id"]: f for f in json.loads(device("forms", "list", "--json"))}


def _frame_offsets(data: bytes) -> list[tuple[int, int, int]]:
    """(type, payload offset, length) of each frame of a signed form file."""
    offset, found = len(PUBLISHED_FORM_MAGIC) + 1, []
    while offset < len(data):
        kind, length = FRAME_HEADER.unpack_from(data, offset)
        found.append((kind, offset + FRAME_HEADER.size, length))
        offset += FRAME_HEADER.size + length
    return found


def test_a_form_published_at_hq_installs_on_an_enrolled_device_through_both_programs(
    tmp_path: Path,
) -> None:
    env = dict(os.environ)
    env.update(
        {
            "FIELDKIT_HQ": str(tmp_path / "hq"),
            "FIELDKIT_HQ_PASSPHRASE": PASSPHRASE,
            "FIELDKIT_VAULT": str(tmp_path / "vault"),
            "FIELDKIT_PASSPHRASE": PASSPHRASE,
        }
    )

    def run(program: str, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / program), *args], env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    run("fieldkit-hq", "init", "--name", "Mission HQ")
    published = run(
        "fieldkit-hq", "forms", "publish", str(ALL_TYPES), "--vocabularies", str(VOCABULARIES)
    )
    signed = tmp_path / "hq" / "forms" / "all-types-1.fkf"
    assert "Published form 'all-types' version 1" in published and signed.is_file()
    (listed,) = json.loads(run("fieldkit-hq", "forms", "list", "--json"))
    assert (listed["id"], listed["version"], listed["problem"]) == ("all-types", "1", None)
    assert "all-types-1.fkf" in run("fieldkit-hq", "forms", "list")
    status = json.loads(run("fieldkit-hq", "status", "--json"))

    run("fieldkit-cli", "init", "--device-name", "Kidal laptop 3")
    run("fieldkit-cli", "enroll", str(tmp_path / "hq" / "enrolment.fke"), "--fingerprint",
        status["fingerprint"])  # fmt: skip
    on_stick = tmp_path / "stick" / "all-types-1.fkf"
    on_stick.parent.mkdir()
    on_stick.write_bytes(signed.read_bytes())
    installed = run("fieldkit-cli", "forms", "install", str(on_stick))

    assert "Installed form 'all-types' version 1, signed by headquarters." in installed
    forms = {f["id"]: f for f in json.loads(run("fieldkit-cli", "forms", "list", "--json"))}
    assert forms["all-types"]["signed_by"] == status["signing_key_id"]
    assert forms["all-types"]["published_at"] == listed["published"]
    assert forms["attack-on-activist"]["signed_by"] is None  # shipped: a local form
    table = run("fieldkit-cli", "forms", "list")
    assert "signed by HQ" in table and "local file" in table


def test_a_device_not_enrolled_refuses_a_signed_form(hq: Run, device: Run, hq_dir: Path) -> None:
    signed = _published(hq, hq_dir)
    before = _forms(device)

    device("forms", "install", str(signed), code=1)

    assert "this device is not enrolled with a headquarters" in device.err
    assert "nothing was installed" in device.err
    assert _forms(device) == before and "all-types" not in before


def test_a_form_signed_by_another_hq_is_refused(
    hq: Run, device: Run, hq_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _enrol(hq, device, hq_dir)
    monkeypatch.setenv("FIELDKIT_HQ", str(tmp_path / "other-hq"))
    hq("init", "--name", "Someone else")
    forged = _published(hq, tmp_path / "other-hq")
    before = _forms(device)

    device("forms", "install", str(forged), code=1)

    assert device.err == (
        "fieldkit-cli: The form is not signed by the headquarters this device is enrolled with; "
        "it was not installed.\n"
    )
    assert _forms(device) == before


def test_a_tampered_definition_is_refused(
    hq: Run, device: Run, hq_dir: Path, tmp_path: Path
) -> None:
    _enrol(hq, device, hq_dir)
    data = _published(hq, hq_dir).read_bytes()
    tampered = tmp_path / "all-types-1.fkf"
    tampered.write_bytes(data.replace(b'"identifying"', b'"IDENTIFYING"', 1))
    assert tampered.read_bytes() != data
    before = _forms(device)

    device("forms", "install", str(tampered), code=1)

    assert "The signed form is damaged or has been tampered with" in device.err
    assert "does not match its hash" in device.err and "it was not installed" in device.err
    assert _forms(device) == before


def test_a_wrong_signature_is_refused(hq: Run, device: Run, hq_dir: Path, tmp_path: Path) -> None:
    _enrol(hq, device, hq_dir)
    data = bytearray(_published(hq, hq_dir).read_bytes())
    (signature,) = [(start, length) for kind, start, length in _frame_offsets(data) if kind == 2]
    data[signature[0] + signature[1] - 1] ^= 0x01  # the last byte of the signature
    wrong = tmp_path / "all-types-1.fkf"
    wrong.write_bytes(bytes(data))
    before = _forms(device)

    device("forms", "install", str(wrong), code=1)

    assert "damaged or has been tampered with (the signature does not verify)" in device.err
    assert _forms(device) == before


@pytest.mark.parametrize("unsigned", ["yaml", "no-signature"])
def test_an_unsigned_fkf_is_refused(
    hq: Run, device: Run, hq_dir: Path, tmp_path: Path, unsigned: str
) -> None:
    _enrol(hq, device, hq_dir)
    data = _published(hq, hq_dir).read_bytes()
    path = tmp_path / "all-types-1.fkf"
    if unsigned == "yaml":
        path.write_bytes(ALL_TYPES.read_bytes())
        reason = "This file is not a form signed by a fieldkit headquarters (.fkf)."
    else:
        (signature,) = [(s, n) for kind, s, n in _frame_offsets(data) if kind == 2]
        path.write_bytes(
            data[: signature[0] - FRAME_HEADER.size] + data[signature[0] + signature[1] :]
        )
        reason = "an item is missing, extra or out of order"
    before = _forms(device)

    device("forms", "install", str(path), code=1)

    assert reason in device.err
    assert _forms(device) == before


def test_a_local_copy_of_a_published_form_is_marked_signed_when_the_signed_file_comes(
    hq: Run, device: Run, hq_dir: Path
) -> None:
    hq_key_id = _enrol(hq, device, hq_dir)
    device("forms", "install", str(ALL_TYPES))
    assert _forms(device)["all-types"]["signed_by"] is None

    shown = device("forms", "install", str(_published(hq, hq_dir)))

    assert "was already installed" in shown
    assert _forms(device)["all-types"]["signed_by"] == hq_key_id


def test_hq_publishes_a_shipped_form_with_the_vocabularies_beside_it(hq: Run, hq_dir: Path) -> None:
    shown = hq("forms", "publish", str(ROOT / "forms" / "attack-on-activist.yaml"))

    assert "Published form 'attack-on-activist' version 2" in shown
    again = hq("forms", "publish", str(ROOT / "forms" / "attack-on-activist.yaml"))
    assert "was published already" in again
    table = hq("forms", "list")
    assert "attack-on-activist-2.fkf" in table and "Attack on an activist" in table
    damaged = hq_dir / "forms" / "damaged-1.fkf"
    damaged.write_bytes((hq_dir / "forms" / "attack-on-activist-2.fkf").read_bytes()[:-20])
    listed = {item["file"]: item for item in json.loads(hq("forms", "list", "--json"))}
    assert listed["attack-on-activist-2.fkf"]["problem"] is None
    assert listed["damaged-1.fkf"]["id"] is None
    assert (
        "The signed form is damaged or has been tampered with" in listed["damaged-1.fkf"]["problem"]
    )


def test_hq_publishes_version_one_of_a_shipped_form_with_its_pinned_vocabularies(hq: Run) -> None:
    previous = ROOT / "forms" / "previous" / "attack-on-activist-1.yaml"
    vocabularies = ROOT / "forms" / "vocabularies"
    shown = hq("forms", "publish", str(previous), "--vocabularies", str(vocabularies))
    assert "Published form 'attack-on-activist' version 1" in shown
    listed = {item["file"]: item for item in json.loads(hq("forms", "list", "--json"))}
    assert listed["attack-on-activist-1.fkf"]["problem"] is None


def test_hq_refuses_an_xlsform_and_a_changed_form_under_a_published_version(
    hq: Run, hq_dir: Path, tmp_path: Path
) -> None:
    xlsform = DATA / "xlsform" / "simple.xlsx"
    hq("forms", "publish", str(xlsform), code=1)
    assert "headquarters publishes fieldkit YAML forms" in hq.err
    assert "fieldkit-cli forms import-xlsform simple.xlsx --out FORM.yaml" in hq.err
    assert not (hq_dir / "forms").exists()

    _published(hq, hq_dir)
    before = snapshot(hq_dir / "forms")
    changed = tmp_path / "all-types.yaml"
    changed.write_text(ALL_TYPES.read_text().replace("Fill in what you know.", "Fill it in."))
    hq("forms", "publish", str(changed), "--vocabularies", str(VOCABULARIES), code=1)
    assert "was published already with different content" in hq.err
    assert snapshot(hq_dir / "forms") == before


def test_a_wrong_hq_passphrase_publishes_nothing(
    hq: Run, hq_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIELDKIT_HQ_PASSPHRASE", "wrong " + PASSPHRASE)

    hq("forms", "publish", str(ALL_TYPES), "--vocabularies", str(VOCABULARIES), code=1)

    assert "passphrase is wrong" in hq.err
    assert not (hq_dir / "forms").exists()
