"""The whole USB path, end to end, through the installed console scripts.

Headquarters and a device enrol each other (fingerprints compared both ways), the device seals
records with attachments (one of them amended) and writes a bundle to a stick, the standard `age`
tool opens the bundle with HQ's identity, HQ ingests the stick (and again: nothing changes), the
device imports the receipt with its purge policy on, and HQ's export holds what was sent.

`fieldkit-hq` and `fieldkit-cli` run as subprocesses, configured by environment variables only,
as an operator runs them; every step checks its exit status and what it printed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from tests.conftest import DATA, PASSPHRASE, snapshot, write_json

BIN = Path(sys.executable).parent
FORM_ID = "all-types"
DEVICE_NAME = "Kidal laptop 3"
HQ_NAME = "Mission HQ Bamako"
WITNESS_A = "CANARY-WITNESS-Tq7bNe"
WITNESS_B = "CANARY-WITNESS-Lp2xRu"
SUBJECT_A = "Checkpoint levy on fuel trucks"
SUBJECT_B = "Gold buyers at the market"
BUNDLE_NAME = re.compile(r"[0-9a-f]{32}\.fkb")
RECEIPT_NAME = re.compile(r"[0-9a-f]{32}\.fkr")
MANIFEST_FRAME = struct.Struct(">BQ")
MAGIC = b"FKBUNDLE\x01"


class Tool:
    """One console script, run as a subprocess with its own environment."""

    def __init__(self, program: str, env: dict[str, str]) -> None:
        self.program = program
        self.path = BIN / program
        self.env = env
        self.err = ""

    def __call__(self, *args: str, code: int = 0) -> str:
        done = subprocess.run(
            [str(self.path), *args],
            env=self.env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,  # a prompt would fail at once instead of waiting
            timeout=300,
            check=False,
        )
        self.err = done.stderr
        assert done.returncode == code, (self.program, args, done.stdout, done.stderr)
        assert "Traceback" not in done.stdout + done.stderr, done.stderr
        if code == 1:
            assert done.stderr.count("\n") == 1, done.stderr
            assert done.stderr.startswith(f"{self.program}: "), done.stderr
        return done.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self(*args))


def shown(text: str, label: str) -> str:
    """The value of ``label`` in the aligned ``label  value`` lines the commands print."""
    found = re.findall(rf"^{re.escape(label)}\s{{2,}}(\S.*?)\s*$", text, re.MULTILINE)
    assert len(found) == 1, (label, text)
    return str(found[0])


def hq_state(hq: Tool) -> dict[str, Any]:
    """Everything HQ's read-only commands say about its repository."""
    return {
        "status": hq.json("status", "--json"),
        "records": hq.json("records", "list", "--json"),
        "devices": hq.json("devices", "list", "--json"),
        "alarms": hq.json("alarms", "list", "--json"),
    }


def private(path: Path) -> bool:
    return path.stat().st_mode & 0o077 == 0


@pytest.mark.slow
def test_a_stick_goes_from_the_device_to_hq_and_its_receipt_back(tmp_path: Path) -> None:
    for program in ("fieldkit-hq", "fieldkit-cli"):
        if not (BIN / program).exists():
            pytest.fail(f"{BIN / program} is not installed: run `pip install -e .` in the venv")
    hq_dir, vault_dir, stick = tmp_path / "hq", tmp_path / "vault", tmp_path / "stick"
    work = tmp_path / "work"  # the device user's own files
    work.mkdir()
    base = dict(os.environ)  # tests/conftest.py: isolated HOME and XDG folders, failing keyring
    for name in ("FIELDKIT_HQ_DB", "FIELDKIT_LANG", "FIELDKIT_NEW_PASSPHRASE"):
        base.pop(name, None)
    base.update({"LANGUAGE": "en"})  # PYTHONPATH: tests/fast_kdf_site, the cheap key derivation
    hq = Tool(
        "fieldkit-hq",
        base | {"FIELDKIT_HQ": str(hq_dir), "FIELDKIT_HQ_PASSPHRASE": PASSPHRASE},
    )
    device = Tool(
        "fieldkit-cli",
        base | {"FIELDKIT_VAULT": str(vault_dir), "FIELDKIT_PASSPHRASE": PASSPHRASE},
    )
    for name in ("FIELDKIT_VAULT", "FIELDKIT_PASSPHRASE"):
        hq.env.pop(name, None)
    for name in ("FIELDKIT_HQ", "FIELDKIT_HQ_PASSPHRASE"):
        device.env.pop(name, None)

    # -- HQ init ---------------------------------------------------------------------------------
    out = hq("init", "--name", HQ_NAME)
    hq_fingerprint = shown(out, "Fingerprint")
    assert re.fullmatch(r"([0-9A-F]{4} ){9}[0-9A-F]{4}", hq_fingerprint), hq_fingerprint
    assert shown(out, "Enrolment file") == str(hq_dir / "enrolment.fke")
    status = hq.json("status", "--json")
    assert status["fingerprint"] == hq_fingerprint and status["name"] == HQ_NAME
    assert set(status["counts"].values()) == {0} and status["records"] == 0
    for name in ("hq.json", "hq.keys", "enrolment.fke", "hq.sqlite3"):
        assert (hq_dir / name).is_file() and private(hq_dir / name), name
    assert PASSPHRASE.encode() not in b"".join(snapshot(hq_dir).values())

    # -- device init -----------------------------------------------------------------------------
    out = device("init", "--device-name", DEVICE_NAME)
    (device_fingerprint,) = re.findall(r"^Device fingerprint: (.+)$", out, re.MULTILINE)
    device("forms", "install", str(DATA / "forms" / "all-types.yaml"))
    identity = device.json("identity", "show", "--json")
    assert identity["fingerprint"] == device_fingerprint != hq_fingerprint
    assert identity["device_name"] == DEVICE_NAME
    key_id = identity["key_id"]
    assert device.json("status", "--json")["fingerprint"] == device_fingerprint

    # -- enrolment, device -> HQ ------------------------------------------------------------------
    identity_file = work / "device.json"
    assert str(identity_file) in device("identity", "export", "--out", str(identity_file))
    out = hq("devices", "add", str(identity_file))
    assert "Device registered." in out
    assert shown(out, "Fingerprint") == device_fingerprint == identity["fingerprint"]
    assert shown(out, "Key id") == key_id
    assert shown(out, "Device") == DEVICE_NAME
    assert "registered already" in hq("devices", "add", str(identity_file))
    (registered,) = hq.json("devices", "list", "--json")
    assert registered["key_id"] == key_id and registered["fingerprint"] == device_fingerprint
    assert registered["age_recipient"] == identity["age_recipient"]
    assert registered["public_key"] == identity["public_key"]

    # -- enrolment, HQ -> device ------------------------------------------------------------------
    out = device("enroll", str(hq_dir / "enrolment.fke"), "--fingerprint", hq_fingerprint)
    assert (
        shown(out, "HQ fingerprint") == hq_fingerprint == hq.json("status", "--json")["fingerprint"]
    )
    assert shown(out, "Headquarters") == HQ_NAME
    assert shown(out, "Bundles are encrypted to") == status["ingest_recipient"]

    # -- records with attachments, one amended ----------------------------------------------------
    photo = os.urandom(300_000)
    photo_file = work / "checkpoint.jpg"
    photo_file.write_bytes(photo)
    note = b"Receipt for the levy, 40 000 francs, stamped.\n"
    note_file = work / "levy-note.txt"
    note_file.write_bytes(note)
    photo_sha, note_sha = hashlib.sha256(photo).hexdigest(), hashlib.sha256(note).hexdigest()
    answers_a = {
        "subject": SUBJECT_A,
        "story": "Drivers paid at the bridge.",
        "count": 3,
        "day": "2026-03",
        "place": "Bridge north of the market",
        "position": "12.5, -1.25",
        "witness_name": WITNESS_A,
        "people": [{"age": 34}],
    }
    answers_b = {
        "subject": SUBJECT_B,
        "count": 5,
        "day": "2026-02-11",
        "place": "Market square",
        "witness_name": WITNESS_B,
        "people": [{"age": 40}, {"age": 15, "minor_guardian": "Uncle"}],
    }
    data_a = write_json(work / "a.json", answers_a)
    data_b = write_json(work / "b.json", answers_b)
    record_a = device(
        "record", "new", FORM_ID, "--data", str(data_a), "--attach", str(photo_file), "--final"
    ).strip()
    record_b = device(
        "record", "new", FORM_ID, "--data", str(data_b), "--attach", f"files={note_file}", "--final"
    ).strip()
    assert re.fullmatch(r"[0-9a-f]{32}", record_a) and re.fullmatch(r"[0-9a-f]{32}", record_b)
    assert record_a != record_b

    first = device.json("record", "show", record_a, "--json", "--reveal")
    (photo_ref,) = first["data"]["files"]
    assert (photo_ref["sha256"], photo_ref["size"]) == (photo_sha, len(photo))
    assert first["data"]["witness_name"] == WITNESS_A
    masked = device.json("record", "show", record_a, "--json")
    assert masked["data"]["witness_name"] != WITNESS_A, "identifying answers are masked"
    # An amendment seals the whole new answers: keep the attachment, change the story.
    amended = dict(first["data"], story="Drivers paid at the bridge, twice.")
    out = device(
        "record", "amend", record_a[:8], "--data", str(write_json(work / "a2.json", amended))
    )
    assert out.startswith("Sealed revision 2 (")
    detail_a = device.json("record", "show", record_a, "--json", "--reveal")
    rev_a1, rev_a2 = detail_a["revisions"]
    assert (rev_a1["number"], rev_a2["number"]) == (1, 2)
    assert rev_a2["previous"] == rev_a1["sha256"] and rev_a1["previous"] is None
    assert out == f"Sealed revision 2 ({rev_a2['sha256'][:16]}).\n"
    assert detail_a["chain_valid"] and all(r["signature_valid"] for r in detail_a["revisions"])
    assert detail_a["data"]["story"] == "Drivers paid at the bridge, twice."
    assert detail_a["data"]["files"] == [photo_ref]
    detail_b = device.json("record", "show", record_b, "--json", "--reveal")
    (rev_b1,) = detail_b["revisions"]
    assert [f["sha256"] for f in detail_b["data"]["files"]] == [note_sha]
    hashes = {
        (record_a, 1): rev_a1["sha256"],
        (record_a, 2): rev_a2["sha256"],
        (record_b, 1): rev_b1["sha256"],
    }
    assert len(set(hashes.values())) == 3
    assert device.json("status", "--json")["records"] == {FORM_ID: {"final": 2}}

    # -- export to the stick ----------------------------------------------------------------------
    stick.mkdir()
    out = device("export", "--to", str(stick))
    bundle = Path(out.strip())
    assert out.count("\n") == 1 and bundle.parent == stick and bundle.is_file()
    assert "3 revisions in bundle 1." in device.err
    assert BUNDLE_NAME.fullmatch(bundle.name), bundle.name
    assert len(set(bundle.stem)) >= 8, "the name looks random, not like a counter"
    assert list(stick.iterdir()) == [bundle], "no temporary file is left on the stick"
    ciphertext = bundle.read_bytes()
    assert ciphertext.startswith(b"age-encryption.org/v1\n")
    assert len(ciphertext) > len(photo)
    clear = [DEVICE_NAME, "Kidal", FORM_ID, key_id, record_a, record_b, WITNESS_A, SUBJECT_A]
    for text in [*clear, key_id[:12], record_a[:12], record_b[:12]]:
        assert text.lower() not in bundle.name.lower(), text
        assert text.encode() not in ciphertext, text
    for hex_id in (key_id, record_a, record_b, photo_sha, rev_a1["sha256"]):
        assert bytes.fromhex(hex_id) not in ciphertext, hex_id
        assert hex_id[:12] not in bundle.name, hex_id
    assert photo[1000:1032] not in ciphertext and MAGIC not in ciphertext
    exported = device.json("record", "list", "--json", "--status", "exported")
    assert {r["id"] for r in exported} == {record_a, record_b}

    # -- the standard age tool opens it with HQ's identity ---------------------------------------
    key_file = tmp_path / "hq-ingest.agekey"
    assert str(key_file) in hq("keys", "export-identity", "--out", str(key_file))
    assert "keep it offline" in hq.err and private(key_file)
    assert status["ingest_recipient"] in key_file.read_text()
    age = shutil.which("age")
    age_skipped = None
    if age is None:
        age_skipped = "the standard `age` tool is not installed (apt-get install age)"
    else:
        plaintext = subprocess.run(
            [age, "--decrypt", "--identity", str(key_file), str(bundle)],
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout
        assert plaintext.startswith(MAGIC)
        kind, size = MANIFEST_FRAME.unpack_from(plaintext, len(MAGIC))
        manifest = json.loads(plaintext[len(MAGIC) + MANIFEST_FRAME.size :][:size])
        assert kind == 1 and manifest["kind"] == "fieldkit/bundle-manifest"
        assert manifest["device"]["key_id"] == key_id and manifest["sequence"] == 1
        assert manifest["previous"] is None
        assert manifest["recipients"] == [status["ingest_recipient"]]
        assert {(r["record"], r["revision"]): r["sha256"] for r in manifest["revisions"]} == hashes
        assert {a["sha256"]: a["size"] for a in manifest["attachments"]} == {
            photo_sha: len(photo),
            note_sha: len(note),
        }
        assert manifest["bundle"] not in bundle.name
        assert photo in plaintext and note in plaintext, "attachments travel whole"
        assert WITNESS_A.encode() in plaintext and WITNESS_B.encode() in plaintext
        keygen = shutil.which("age-keygen")
        if keygen is not None:  # another identity opens nothing
            wrong_key = tmp_path / "other.agekey"
            subprocess.run([keygen, "-o", str(wrong_key)], capture_output=True, check=True)
            refused = subprocess.run(
                [age, "--decrypt", "--identity", str(wrong_key), str(bundle)],
                capture_output=True,
                check=False,
                timeout=120,
            )
            assert refused.returncode != 0 and refused.stdout == b""

    # -- HQ ingests the stick ---------------------------------------------------------------------
    out = hq("ingest", str(stick))
    assert f'{bundle}: accepted: bundle 1 of device "{DEVICE_NAME}" ({key_id[:12]})' in out
    assert "3 new revisions and 0 already held" in out
    assert "1 bundle: 1 accepted, 0 already ingested, 0 rejected." in out
    (receipt_text,) = re.findall(r"Receipt: (\S+)", out)
    receipt = Path(receipt_text)
    assert receipt.parent == hq_dir / "receipts" and receipt.is_file() and private(receipt)
    assert RECEIPT_NAME.fullmatch(receipt.name), receipt.name
    assert key_id.encode() not in receipt.read_bytes()
    assert not any((hq_dir / "spool").iterdir()), "the spool is emptied"
    counts = hq.json("status", "--json")["counts"]
    assert counts["bundles"] == 1 and counts["revisions"] == 3 and counts["receipts"] == 1
    assert counts["attachments"] == 2 and counts["alarms"] == 0 and counts["devices"] == 1
    listed = {r["record_id"]: r for r in hq.json("records", "list", "--json")}
    assert set(listed) == {record_a, record_b}
    assert (listed[record_a]["revisions"], listed[record_a]["revision"]) == (2, 2)
    assert listed[record_a]["sha256"] == rev_a2["sha256"]
    assert listed[record_b]["sha256"] == rev_b1["sha256"]
    assert {r["device"] for r in listed.values()} == {key_id}
    assert {r["form_id"] for r in listed.values()} == {FORM_ID}
    (registered,) = hq.json("devices", "list", "--json")
    assert registered["last_bundle"] == 1 and registered["missing"] == []
    stored = {p.name: p for p in (hq_dir / "attachments").rglob("*") if p.is_file()}
    assert set(stored) == {f"{photo_sha}.age", f"{note_sha}.age"}
    hq_bytes = b"".join(snapshot(hq_dir).values())
    for text in (WITNESS_A, WITNESS_B):
        assert text.encode() not in hq_bytes, "identifying answers are sealed at HQ"
    assert photo[1000:1032] not in hq_bytes, "attachments are encrypted at HQ"
    if age is not None:  # HQ's stored attachments are age files for the same identity
        opened = subprocess.run(
            [age, "--decrypt", "--identity", str(key_file), str(stored[f"{photo_sha}.age"])],
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout
        assert opened == photo

    # -- ingesting the stick again adds nothing ---------------------------------------------------
    before_state, before_files = hq_state(hq), snapshot(hq_dir)
    out = hq("ingest", str(stick))
    assert f"{bundle}: already ingested: bundle 1 of device" in out
    assert "nothing added" in out and "Receipt" not in out
    assert "1 bundle: 0 accepted, 1 already ingested, 0 rejected." in out
    assert hq_state(hq) == before_state
    after_files = snapshot(hq_dir)
    assert sorted(after_files) == sorted(before_files), "no new file, no receipt written twice"
    assert after_files == before_files, "the HQ folder is byte-for-byte as it was"

    # -- the receipt goes back; the purge policy removes what HQ holds ----------------------------
    assert "purge-acknowledged  off" in device("settings", "show")
    device("settings", "set", "purge-acknowledged", "on")
    assert "purge-acknowledged  on" in device("settings", "show")
    out = device("receipt", "import", str(receipt))
    assert "3 revisions acknowledged by headquarters (bundle 1)." in out
    assert "The content of 2 records was removed from this device." in out
    assert "already imported" in device("receipt", "import", str(receipt))
    acknowledged = device.json("record", "list", "--json", "--status", "acknowledged")
    assert {r["id"] for r in acknowledged} == {record_a, record_b}
    assert all(r["title"] == "" and r["place"] == "" for r in acknowledged)
    assert device.json("record", "list", "--json", "--status", "exported") == []
    assert device.json("status", "--json")["records"] == {FORM_ID: {"acknowledged": 2}}
    for before in (detail_a, detail_b):
        after = device.json("record", "show", before["id"], "--json", "--reveal")
        assert after["id"] == before["id"] and after["status"] == "acknowledged"
        assert after["data"] is None and after["draft"] is None, "the answers are gone"
        assert after["revision_count"] == before["revision_count"]
        kept = ("number", "sha256", "previous", "sealed_at", "key_id")
        assert [{k: r[k] for k in kept} for r in after["revisions"]] == [
            {k: r[k] for k in kept} for r in before["revisions"]
        ], "ids, hashes and the chain stay"
        assert all(r["purged"] and r["status"] == "acknowledged" for r in after["revisions"])
        assert all(r["bundle_seq"] == 1 and r["acknowledged_at"] for r in after["revisions"])
        text = json.dumps(after)
        for gone in (WITNESS_A, WITNESS_B, SUBJECT_A, SUBJECT_B, photo_sha, note_sha):
            assert gone not in text, gone
        assert "purged" in device("record", "show", before["id"])
    for words in (SUBJECT_A, "Gold buyers", WITNESS_A):
        assert device.json("record", "list", "--json", "--search", words) == [], words
    assert re.fullmatch(r"Audit log intact: \d+ entries\.\n", device("audit", "verify"))
    _check_purged_attachments(vault_dir)

    # -- HQ's export holds the records and their attachment hashes --------------------------------
    export = tmp_path / "export.jsonl"
    out = hq(
        "export",
        "--format",
        "jsonl",
        "--out",
        str(export),
        "--all-revisions",
        "--include-identifying",
        "--yes",
    )
    assert "3 records written" in out and private(export)
    lines = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    by_revision = {(x["record_id"], x["revision"]): x for x in lines}
    assert {key: x["sha256"] for key, x in by_revision.items()} == hashes
    assert by_revision[(record_a, 2)]["previous"] == rev_a1["sha256"]
    assert all(x["device"] == key_id and x["form"]["id"] == FORM_ID for x in lines)
    assert by_revision[(record_a, 1)]["attachments"] == [photo_sha]
    assert by_revision[(record_a, 2)]["attachments"] == [photo_sha]
    assert by_revision[(record_b, 1)]["attachments"] == [note_sha]
    assert by_revision[(record_a, 2)]["answers"]["files"] == [photo_ref]
    assert by_revision[(record_a, 2)]["answers"]["witness_name"] == WITNESS_A
    assert by_revision[(record_b, 1)]["answers"]["people"] == answers_b["people"]

    plain = tmp_path / "plain.jsonl"
    assert "2 records written" in hq("export", "--format", "jsonl", "--out", str(plain))
    newest = {x["record_id"]: x for x in map(json.loads, plain.read_text().splitlines())}
    assert newest[record_a]["sha256"] == rev_a2["sha256"]
    assert newest[record_a]["answers"]["subject"] == SUBJECT_A
    for x in newest.values():
        assert "witness_name" not in x["answers"] and "files" not in x["answers"]
    assert WITNESS_A not in plain.read_text() and WITNESS_B not in plain.read_text()

    if age_skipped is not None:
        pytest.skip(f"every step passed but the `age` interoperability check: {age_skipped}")


def _check_purged_attachments(vault_dir: Path) -> None:
    """The user guide promises attachments leave the device too; no command lists them, so look
    inside the vault (after every command above has closed it)."""
    from fieldkit.services.vaults import unlock_vault
    from fieldkit.vault.models import AttachmentChunkRow, AttachmentRow, RevisionRow

    vault = unlock_vault(vault_dir, PASSPHRASE)
    try:
        with vault.read() as session:
            assert session.exec(select(AttachmentRow)).all() == []
            assert session.exec(select(AttachmentChunkRow)).all() == []
            revisions = session.exec(select(RevisionRow)).all()
            assert len(revisions) == 3
            assert all(r.content is None and r.signature and r.sha256 for r in revisions)
    finally:
        vault.close()
