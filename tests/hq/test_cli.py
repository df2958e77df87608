"""fieldkit-hq on SQLite, with a real device vault on the other side: every command, exit
statuses 0, 1 (one line on stderr) and 2, and a wrong passphrase that changes nothing."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from fieldkit.cli.main import main as device_main
from fieldkit.hq.cli import main as hq_main
from tests.conftest import DATA, PASSPHRASE, all_types_answers, write_json
from tests.hq.support import Run, holds, snapshot

WITNESS = "CANARY-WITNESS-Hm3vQe"


@pytest.fixture
def hq(capsys: pytest.CaptureFixture[str], hq_dir: Path) -> Run:
    run = Run(capsys, hq_main, "fieldkit-hq")
    shown = run("init", "--name", "Mission HQ")
    assert "Fingerprint" in shown and "enrolment.fke" in shown
    return run


@pytest.fixture
def device(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Run:
    monkeypatch.setenv("FIELDKIT_VAULT", str(tmp_path / "vault"))
    monkeypatch.setenv("FIELDKIT_PASSPHRASE", PASSPHRASE)
    run = Run(capsys, device_main, "fieldkit-cli")
    run("init", "--device-name", "Kidal laptop 3")
    run("forms", "install", str(DATA / "forms" / "all-types.yaml"))
    return run


def enrol(hq: Run, device: Run, hq_dir: Path, tmp_path: Path) -> str:
    """Both ways; returns the device's key id."""
    identity = tmp_path / "device.json"
    device("identity", "export", "--out", str(identity))
    shown = hq("devices", "add", str(identity))
    key = json.loads(device("identity", "show", "--json"))
    assert "Device registered." in shown and key["fingerprint"] in shown
    assert "registered already" in hq("devices", "add", str(identity))
    hq_fingerprint = json.loads(hq("status", "--json"))["fingerprint"]
    enrolment = str(hq_dir / "enrolment.fke")
    assert hq_fingerprint in device("enroll", enrolment, "--fingerprint", hq_fingerprint)
    return str(key["key_id"])


def test_a_vault_made_without_a_name_exports_an_identity_hq_registers(
    hq: Run, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIELDKIT_VAULT", str(tmp_path / "unnamed"))
    monkeypatch.setenv("FIELDKIT_PASSPHRASE", PASSPHRASE)
    device = Run(capsys, device_main, "fieldkit-cli")
    device("init")
    key_id = json.loads(device("identity", "show", "--json"))["key_id"]
    identity = tmp_path / "device.json"

    device("identity", "export", "--out", str(identity))

    shown = hq("devices", "add", str(identity))
    assert "Device registered." in shown and f"Device {key_id[:8]}" in shown
    (registered,) = json.loads(hq("devices", "list", "--json"))
    assert registered["key_id"] == key_id and registered["name"] == f"Device {key_id[:8]}"
    assert "-" in device("settings", "show").split("device-name")[1].splitlines()[0], (
        "the vault itself still has no name"
    )


def new_bundle(device: Run, tmp_path: Path, stick: Path) -> Path:
    answers = write_json(tmp_path / "a.json", all_types_answers(witness_name=WITNESS))
    device("record", "new", "all-types", "--data", str(answers), "--final")
    stick.mkdir(exist_ok=True)
    return Path(device("export", "--to", str(stick)).strip())


def test_init_refuses_twice_and_bad_settings(hq: Run, hq_dir: Path, tmp_path: Path) -> None:
    hq("init", code=1)
    assert "already holds headquarters keys" in hq.err
    other = tmp_path / "other"
    for args, reason in (
        (["--escrow-recipient", "age1nope"], "--escrow-recipient must be an age X25519 recipient"),
        (["--address", "ftp://x"], "--address must be an http or https address"),
    ):
        hq("--hq", str(other), "init", *args, code=1)
        assert reason in hq.err
    assert not other.exists()
    status = json.loads(hq("status", "--json"))
    assert status["name"] == "Mission HQ" and status["counts"]["devices"] == 0
    assert status["repository"].startswith("sqlite:///") and status["repository"].endswith(
        "hq.sqlite3"
    )
    assert "Mission HQ" in hq("status")


def test_init_refuses_a_weak_passphrase(
    capsys: pytest.CaptureFixture[str], hq_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIELDKIT_HQ_PASSPHRASE", "password")
    run = Run(capsys, hq_main, "fieldkit-hq")
    run("init", code=1)
    assert "at least 12 characters" in run.err and not hq_dir.exists()


def test_an_uninitialised_folder_is_named(capsys: pytest.CaptureFixture[str], hq_dir: Path) -> None:
    run = Run(capsys, hq_main, "fieldkit-hq")
    for command in (["status"], ["devices", "list"], ["records", "list"], ["alarms", "list"]):
        run(*command, code=1)
        assert "fieldkit-hq init" in run.err
    assert not hq_dir.exists(), "no database is made in a stray folder"


def test_usage_errors_exit_2(hq: Run, tmp_path: Path) -> None:
    out = str(tmp_path / "x")
    hq(code=2)
    hq("export", "--format", "xml", "--out", out, code=2)
    hq("export", "--format", "csv", code=2)
    hq("ingest", code=2)
    hq("devices", "revoke", "abcdef", "--from-seq", "0", code=2)
    hq("keys", code=2)


def test_a_stick_goes_to_hq_and_its_receipt_back(
    hq: Run, device: Run, hq_dir: Path, tmp_path: Path
) -> None:
    key_id = enrol(hq, device, hq_dir, tmp_path)
    stick = tmp_path / "stick"
    bundle = new_bundle(device, tmp_path, stick)

    shown = hq("ingest", str(stick))
    assert f'{bundle}: accepted: bundle 1 of device "Kidal laptop 3"' in shown
    assert "1 new revision and 0 already held" in shown
    receipt = Path(shown.split("Receipt: ")[1].split()[0])
    assert receipt.parent == hq_dir / "receipts" and receipt.exists()
    assert "1 revision acknowledged" in device("receipt", "import", str(receipt))

    again = hq("ingest", str(bundle))
    assert "already ingested" in again and "nothing added" in again and "Receipt" not in again
    assert json.loads(hq("status", "--json"))["counts"]["bundles"] == 1
    (listed,) = json.loads(hq("records", "list", "--json"))
    assert listed["form_id"] == "all-types" and listed["device"] == key_id
    assert listed["record_id"] in hq("records", "list", "--form", "all-types")
    hq("records", "list", "--form", "nope", code=1)
    assert "holds no records of form 'nope'. Forms held: all-types." in hq.err
    hq("records", "list", "--form", "all-type", code=1)
    assert "Did you mean 'all-types'? Forms held: all-types." in hq.err
    (registered,) = json.loads(hq("devices", "list", "--json"))
    assert registered["key_id"] == key_id and registered["last_bundle"] == 1
    assert "No alarms." in hq("alarms", "list")
    assert holds(hq_dir, WITNESS) == [], "identifying answers are sealed at HQ"


def test_exports_and_identities(hq: Run, device: Run, hq_dir: Path, tmp_path: Path) -> None:
    enrol(hq, device, hq_dir, tmp_path)
    stick = tmp_path / "stick"
    new_bundle(device, tmp_path, stick)
    hq("ingest", str(stick))

    plain = tmp_path / "plain.csv"
    assert "1 record written" in hq("export", "--format", "csv", "--out", str(plain))
    (row,) = csv.DictReader(plain.open(encoding="utf-8"))
    assert row["subject"] == "Checkpoint levy on fuel trucks" and "witness_name" not in row
    assert WITNESS not in plain.read_text(encoding="utf-8")
    geo = tmp_path / "map.geojson"
    hq("export", "--format", "geojson", "--out", str(geo))
    assert json.loads(geo.read_text())["features"][0]["geometry"]["type"] == "Point"

    full = tmp_path / "full.jsonl"
    hq("export", "--format", "jsonl", "--out", str(full), "--include-identifying", code=1)
    assert "--yes" in hq.err and not full.exists()
    hq("export", "--format", "jsonl", "--out", str(full), "--include-identifying", "--yes")
    assert json.loads(full.read_text())["answers"]["witness_name"] == WITNESS
    hq("export", "--format", "csv", "--out", str(tmp_path / "x.csv"), "--form", "nope", code=1)
    assert "holds no records of form 'nope'" in hq.err
    hq("export", "--format", "csv", "--out", str(tmp_path / "no" / "x.csv"), code=1)
    assert "x.csv: its folder does not exist." in hq.err


def test_the_age_tool_opens_a_bundle_with_the_exported_identity(
    hq: Run, device: Run, hq_dir: Path, tmp_path: Path
) -> None:
    enrol(hq, device, hq_dir, tmp_path)
    bundle = new_bundle(device, tmp_path, tmp_path / "stick")
    key_file = tmp_path / "hq-ingest.agekey"
    assert "written to" in hq("keys", "export-identity", "--out", str(key_file))
    assert "keep it offline" in hq.err
    hq("keys", "export-identity", "--out", str(key_file), code=1)
    assert "exists already; name a new file for the key" in hq.err
    assert key_file.stat().st_mode & 0o077 == 0
    age = shutil.which("age")
    if age is None:
        pytest.skip("the `age` tool is not installed (sudo apt-get install age)")
    plaintext = subprocess.run(
        [age, "--decrypt", "--identity", str(key_file), str(bundle)],
        capture_output=True,
        check=True,
    ).stdout
    assert plaintext.startswith(b"FKBUNDLE\x01")


def test_a_wrong_passphrase_changes_nothing(
    hq: Run, device: Run, hq_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    enrol(hq, device, hq_dir, tmp_path)
    stick = tmp_path / "stick"
    new_bundle(device, tmp_path, stick)
    before = snapshot(hq_dir)
    monkeypatch.setenv("FIELDKIT_HQ_PASSPHRASE", "wrong " + PASSPHRASE)
    hq("ingest", str(stick), code=1)
    assert "passphrase is wrong" in hq.err
    out = tmp_path / "x.jsonl"
    hq("export", "--format", "jsonl", "--out", str(out), "--include-identifying", "--yes", code=1)
    assert "passphrase is wrong" in hq.err
    hq("keys", "export-identity", code=1)
    assert "passphrase is wrong" in hq.err
    assert snapshot(hq_dir) == before and not out.exists()


def test_rejections_gaps_and_revocation(hq: Run, device: Run, hq_dir: Path, tmp_path: Path) -> None:
    key_id = enrol(hq, device, hq_dir, tmp_path)
    first = new_bundle(device, tmp_path, tmp_path / "one")
    second = new_bundle(device, tmp_path, tmp_path / "two")  # bundle 2; bundle 1 stays behind
    damaged = tmp_path / "damaged" / first.name
    damaged.parent.mkdir()
    data = bytearray(first.read_bytes())
    data[len(data) // 2] ^= 0x40
    damaged.write_bytes(bytes(data))

    shown = hq("ingest", str(damaged), str(second), code=1)
    assert f"{damaged}: rejected: The bundle is damaged or has been tampered with" in shown
    assert f"{second}: accepted: bundle 2" in shown
    assert "bundle 1 not received yet" in shown and "bundles 1 " not in shown
    assert "GAP alarm raised for 1." in shown
    assert "2 bundles: 1 accepted, 0 already ingested, 1 rejected." in shown
    assert hq.err == "fieldkit-hq: 1 bundle of 2 was rejected; see the lines above.\n"
    alarms = json.loads(hq("alarms", "list", "--json"))
    assert [(a["kind"], a["detail"]) for a in alarms] == [("gap", {"missing": [1]})]
    assert "GAP" in hq("alarms", "list")

    hq("devices", "revoke", "123456", code=1)
    assert "No device with key id 123456" in hq.err
    hq("devices", "revoke", "12", code=1)
    assert "No device with key id 12;" in hq.err
    assert "revoked from bundle 3 on" in hq("devices", "revoke", key_id[:8], "--from-seq", "3")
    assert "revoked from bundle 3" in hq("devices", "list")
    third = new_bundle(device, tmp_path, tmp_path / "three")
    shown = hq("ingest", str(third), str(first), code=1)
    assert "comes after the device was revoked (from bundle 3 on)" in shown
    assert f"{first}: accepted: bundle 1" in shown, "bundles before the revocation still count"
    assert "every bundle it signs is refused" in hq("devices", "revoke", key_id)
