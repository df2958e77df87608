"""fieldkit-cli: identity export, enrol, export, receipt import, and the purge setting."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pyrage
import pytest

from fieldkit.bundle import make_enrolment, make_receipt, open_bundle, read_device_identity_file
from fieldkit.cli.main import main
from fieldkit.crypto.identity import SigningKey
from tests.cli.conftest import Run
from tests.conftest import all_types_answers, write_json


@pytest.fixture
def hq(tmp_path: Path) -> tuple[SigningKey, object, Path]:
    signing, ingest = SigningKey.generate(), pyrage.x25519.Identity.generate()
    enrolment = tmp_path / "enrolment.fke"
    enrolment.write_bytes(
        make_enrolment(
            hq_key=signing, hq_name="Mission HQ", ingest_recipient=str(ingest.to_public())
        )
    )
    return signing, ingest, enrolment


def test_identity_export(run: Run, tmp_path: Path) -> None:
    out = tmp_path / "device.json"
    assert "Device identity written" in run("identity", "export", "--out", str(out))
    identity = read_device_identity_file(out.read_bytes())
    assert identity.key_id == json.loads(run("identity", "show", "--json"))["key_id"]
    run("identity", "export", "--out", str(tmp_path / "no" / "such" / "x.json"), code=1)


def test_enrol_export_and_receipt(
    run: Run, hq: tuple[SigningKey, object, Path], tmp_path: Path
) -> None:
    signing, ingest, enrolment = hq
    stick = tmp_path / "stick"
    stick.mkdir()
    run("export", "--to", str(stick), code=1)
    assert "not enrolled" in run.err
    shown = run("enroll", str(enrolment), "--fingerprint", signing.public.fingerprint)
    assert signing.public.fingerprint in shown and "Mission HQ" in shown
    run("export", "--to", str(stick), code=1)
    assert "Nothing to export" in run.err
    answers = write_json(tmp_path / "a.json", all_types_answers())
    run("record", "new", "all-types", "--data", str(answers), "--final")
    run("record", "new", "all-types", "--data", str(answers), "--final")
    run("export", "--to", str(tmp_path / "nonexistent"), code=1)
    assert "does not exist" in run.err
    path = Path(run("export", "--to", str(stick)).strip())
    assert path.parent == stick and path.suffix == ".fkb"
    assert "2 revisions in bundle 1." in run.err, "the failed export used up no number"
    assert (
        json.loads(run("record", "list", "--json", "--status", "exported"))[0]["status"]
        == "exported"
    )

    spool = tmp_path / "spool"
    spool.mkdir(mode=0o700)
    with path.open("rb") as handle:
        opened = open_bundle(handle, [str(ingest)], lambda key_id, public: True, spool)
    identity = json.loads(run("identity", "show", "--json"))
    receipt = tmp_path / "r.fkr"
    receipt.write_bytes(
        make_receipt(
            hq_key=signing,
            device_recipient=identity["age_recipient"],
            bundle_id=opened.manifest.bundle_id,
            manifest_sha256=opened.manifest_sha256,
            device_key_id=identity["key_id"],
            sequence=opened.manifest.sequence,
            accepted=[r.sha256 for r in opened.revisions],
            known=[],
        )
    )
    assert "2 revisions acknowledged by headquarters (bundle 1)." in run(
        "receipt", "import", str(receipt)
    )
    assert "already imported" in run("receipt", "import", str(receipt))
    assert len(json.loads(run("record", "list", "--json", "--status", "acknowledged"))) == 2
    garbage = tmp_path / "garbage.fkr"
    garbage.write_bytes(b"not a receipt")
    run("receipt", "import", str(garbage), code=1)


def test_purge_setting(run: Run) -> None:
    assert "purge-acknowledged  off" in run("settings", "show")
    run("settings", "set", "purge-acknowledged", "on")
    assert "purge-acknowledged  on" in run("settings", "show")
    run("settings", "set", "purge-acknowledged", "maybe", code=1)


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_enrolling_with_a_tampered_file_is_refused(
    run: Run, hq: tuple[SigningKey, object, Path], env: Path, tmp_path: Path
) -> None:
    _signing, _ingest, enrolment = hq
    document = json.loads(enrolment.read_bytes())
    document["body"]["ingest_recipient"] = str(pyrage.x25519.Identity.generate().to_public())
    enrolment.write_text(json.dumps(document))
    before = _files(env)
    assert before, "the vault's files"

    run("enroll", str(enrolment), "--fingerprint", _signing.public.fingerprint, code=1)

    assert "enrolment file" in run.err
    assert _files(env) == before, "the vault is unchanged"
    stick = tmp_path / "stick"
    stick.mkdir()
    run("export", "--to", str(stick), code=1)
    assert "not enrolled" in run.err and list(stick.iterdir()) == []


class _Terminal(io.StringIO):
    """What a person types at a terminal."""

    def isatty(self) -> bool:
        return True


def _at_a_terminal(monkeypatch: pytest.MonkeyPatch, typed: str) -> None:
    monkeypatch.setattr(sys, "stdin", _Terminal(typed))
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)


def _not_enrolled(run: Run, tmp_path: Path) -> None:
    """Nothing was pinned: an export still finds no headquarters."""
    stick = tmp_path / "stick"
    stick.mkdir(exist_ok=True)
    run("export", "--to", str(stick), code=1)
    assert "not enrolled" in run.err


def test_enrolling_at_a_terminal_shows_the_fingerprint_and_pins_only_after_yes(
    run: Run,
    hq: tuple[SigningKey, object, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    signing, _ingest, enrolment = hq
    with monkeypatch.context() as terminal:
        _at_a_terminal(terminal, "n\n")
        assert main(["enroll", str(enrolment)]) == 1
        shown, asked = capsys.readouterr()
    assert signing.public.fingerprint in shown
    question, refusal = asked.split("[y/N] ")
    assert "fingerprint your headquarters gave you" in question
    assert refusal == "fieldkit-cli: Nothing was pinned: the fingerprint was not confirmed.\n"
    _not_enrolled(run, tmp_path)

    with monkeypatch.context() as terminal:
        _at_a_terminal(terminal, "y\n")
        shown = run("enroll", str(enrolment))
    assert signing.public.fingerprint in shown and "Enrolled with Mission HQ." in shown
    run("export", "--to", str(tmp_path / "stick"), code=1)
    assert "Nothing to export" in run.err, "enrolled now"


def test_a_fingerprint_given_on_the_command_line_pins_without_asking_when_it_matches(
    run: Run, hq: tuple[SigningKey, object, Path], tmp_path: Path
) -> None:
    signing, _ingest, enrolment = hq
    wrong = SigningKey.generate().public.fingerprint
    run("enroll", str(enrolment), "--fingerprint", wrong, code=1)
    assert "is not the one given with --fingerprint; nothing was pinned" in run.err
    _not_enrolled(run, tmp_path)

    written_otherwise = signing.public.fingerprint.replace(" ", ":").lower()
    assert "Enrolled with Mission HQ." in run(
        "enroll", str(enrolment), "--fingerprint", written_otherwise
    )


def test_enrolling_without_a_terminal_or_a_fingerprint_is_refused(
    run: Run, hq: tuple[SigningKey, object, Path], tmp_path: Path
) -> None:
    _signing, _ingest, enrolment = hq
    run("enroll", str(enrolment), code=1)
    assert "pass --fingerprint FP" in run.err and "Nothing was pinned" in run.err
    _not_enrolled(run, tmp_path)
