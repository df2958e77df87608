"""fieldkit-cli: every command, its exit codes (0, 1 with one line, 2 for usage) and its output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fieldkit.services import records
from tests.cli.conftest import Run
from tests.conftest import DATA, PASSPHRASE, all_types_answers, cli_env, write_json

RECORDS = DATA / "records" / "v2"


def test_init_status_and_identity(run: Run, env: Path) -> None:
    status = json.loads(run("status", "--json"))
    assert status["device_name"] == "field laptop 7"
    assert status["records"] == {}
    assert len(status["fingerprint"].split()) == 10
    identity = json.loads(run("identity", "show", "--json"))
    assert identity["key_id"] == status["key_id"]
    assert len(bytes.fromhex(identity["public_key"])) == 32
    assert identity["age_recipient"].startswith("age1")
    assert "Fingerprint" in run("identity", "show")
    run("init", code=1)
    assert "already exists" in run.err


def test_init_refuses_a_weak_passphrase(
    capsys: pytest.CaptureFixture[str], env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIELDKIT_PASSPHRASE", "password123")
    run = Run(capsys)
    run("init", code=1)
    assert "at least 12 characters" in run.err
    assert not env.exists() or not (env / "vault.key").exists()


def test_no_passphrase_without_a_terminal(
    capsys: pytest.CaptureFixture[str], env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FIELDKIT_PASSPHRASE")
    monkeypatch.setattr("sys.stdin", open("/dev/null"))  # noqa: SIM115, PTH123
    run = Run(capsys)
    run("status", code=1)
    assert "FIELDKIT_PASSPHRASE" in run.err


def test_passphrase_file(
    run: Run, env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FIELDKIT_PASSPHRASE")
    secret = tmp_path / "secret.txt"
    secret.write_text(PASSPHRASE + "\n")
    assert "Device key id" in run("--passphrase-file", str(secret), "status")
    secret.write_text("wrong one\n")
    run("--passphrase-file", str(secret), "status", code=1)
    assert "not correct" in run.err
    run("--passphrase-file", str(tmp_path / "missing"), "status", code=1)


def test_vault_option_beats_the_environment(run: Run, tmp_path: Path) -> None:
    other = tmp_path / "other-vault"
    run("--vault", str(other), "init")
    assert (other / "vault.key").exists()
    assert json.loads(run("--vault", str(other), "status", "--json"))["vault"] == str(other)


def test_init_where_no_folder_can_be_made_names_the_folder(run: Run, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    run("--vault", str(blocker / "sub"), "init", code=1)
    assert f"Cannot create the vault folder {blocker / 'sub'}: a part of the path" in run.err
    assert "unexpected" not in run.err and "NotADirectoryError" not in run.err


def test_forms_list_validate_and_install(run: Run, tmp_path: Path) -> None:
    forms = {f["id"]: f for f in json.loads(run("forms", "list", "--json"))}
    assert {"illicit-market-observation", "attack-on-activist", "all-types"} <= set(forms)
    assert "illicit-market-observation" in run("forms", "list")
    assert "valid form 'all-types'" in run(
        "forms", "validate", str(DATA / "forms" / "all-types.yaml")
    )
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        (DATA / "forms" / "all-types.yaml")
        .read_text()
        .replace("relevant: \"${colour} = 'other'\"", "relevant: \"${colour} = = 'other'\"")
    )
    run("forms", "validate", str(broken), code=1)
    assert "broken.yaml:" in run.err and "colour_other" in run.err and "column" in run.err
    run("forms", "install", str(broken), code=1)
    assert "already installed" in run("forms", "install", str(DATA / "forms" / "all-types.yaml"))
    run("forms", "validate", str(tmp_path / "nothing.yaml"), code=1)
    run("forms", "validate", str(tmp_path), code=1)


FIVE_PROBLEMS = """\
fieldkit_form: 1
id: Bad Id
title: {en: Five problems}
languages: [en]
fields:
  - {name: a, type: txt, label: {en: A}}
  - {name: b, type: integer, label: {en: B}, colour: red}
  - {name: d, type: text, label: {en: D}, required: [1]}
"""


def test_forms_validate_lists_every_problem_on_stdout(run: Run, tmp_path: Path) -> None:
    five = tmp_path / "five.yaml"
    five.write_text(FIVE_PROBLEMS)
    out = run("forms", "validate", str(five), code=1)  # the runner checks: one line on stderr
    lines = out.splitlines()
    assert len(lines) == 5, lines
    assert all(line.startswith("five.yaml:") for line in lines)
    assert any("'version' is missing" in line for line in lines)
    assert any("field 'b': 'colour'" in line for line in lines)
    assert run.err == "fieldkit-cli: five.yaml: 5 problems; the form cannot be used.\n"


def test_forms_install_lists_every_problem_on_stdout(run: Run, tmp_path: Path) -> None:
    five = tmp_path / "five.yaml"
    five.write_text(FIVE_PROBLEMS)
    installed = run("forms", "list", "--json")
    validated = run("forms", "validate", str(five), code=1)
    out = run("forms", "install", str(five), code=1)  # the runner checks: one line on stderr
    assert out == validated and len(out.splitlines()) == 5
    assert "(and" not in run.err
    assert run.err == "fieldkit-cli: five.yaml: 5 problems; the form cannot be used.\n"
    assert run("forms", "list", "--json") == installed
    one = tmp_path / "one.yaml"
    one.write_text(
        (DATA / "forms" / "all-types.yaml").read_text().replace("type: integer", "type: int", 1)
    )
    assert run("forms", "install", str(one), code=1) == ""
    assert run.err.startswith("fieldkit-cli: one.yaml:") and "int" in run.err


def test_record_lifecycle(run: Run, tmp_path: Path) -> None:
    answers = write_json(tmp_path / "a.json", all_types_answers())
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    record_id = run(
        "record", "new", "all-types", "--data", str(answers), "--attach", f"files={photo}"
    ).strip()
    assert len(record_id) == 32
    assert "Sealed revision 1" in run("record", "finalize", record_id)
    run("record", "finalize", record_id, code=1)
    assert "nothing to finalize" in run.err
    first = json.loads(run("record", "show", record_id, "--json", "--reveal"))["data"]
    amended = write_json(tmp_path / "b.json", first | {"subject": "Amended subject"})
    assert "Sealed revision 2" in run("record", "amend", record_id[:10], "--data", str(amended))
    shown = json.loads(run("record", "show", record_id, "--json"))
    assert [r["number"] for r in shown["revisions"]] == [1, 2]
    assert shown["chain_valid"] is True
    assert shown["data"]["witness_name"] == "••••••"
    assert shown["data"]["files"] == "••••••"
    revealed = json.loads(run("record", "show", record_id, "--json", "--reveal"))
    assert revealed["data"]["witness_name"] == "Witness Alpha"
    assert revealed["data"]["files"][0]["name"] == "photo.png"
    text = run("record", "show", record_id)
    assert "Amended subject" in text and "Witness Alpha" not in text and "valid" in text
    assert "Person 2" in text and "Guardian: Uncle" in text


def test_record_new_final_and_validation_errors(run: Run, tmp_path: Path) -> None:
    bad = write_json(tmp_path / "bad.json", all_types_answers(count=-5, people=[]))
    run("record", "new", "all-types", "--data", str(bad), "--final", code=1)
    assert "count (constraint): Must not be negative." in run.err
    assert "people (min_count)" in run.err
    unknown = write_json(tmp_path / "unknown.json", {"nope": 1})
    run("record", "new", "all-types", "--data", str(unknown), code=1)
    assert "nope (unknown)" in run.err
    not_json = tmp_path / "x.json"
    not_json.write_text("{")
    run("record", "new", "all-types", "--data", str(not_json), code=1)
    assert "not valid JSON" in run.err
    run("record", "new", "no-such-form", code=1)
    assert "No form 'no-such-form'" in run.err
    assert json.loads(run("status", "--json"))["records"] == {}


def test_a_draft_naming_an_attachment_not_in_the_vault_is_refused(run: Run, tmp_path: Path) -> None:
    ghost = {"sha256": "b" * 64, "name": "ghost.png", "media_type": "image/png", "size": 3}
    answers = write_json(tmp_path / "a.json", all_types_answers(files=[ghost]))
    run("record", "new", "all-types", "--data", str(answers), code=1)
    assert "files: the attachment bbbbbbbbbbbb is not stored in this vault" in run.err
    assert json.loads(run("record", "list", "--json")) == []


NINE_PROBLEMS = {"count": -5, "people": [{"age": 200 + i} for i in range(7)]}
NINE_LINES = [
    "subject (required): is required",
    "count (constraint): Must not be negative.",
    *[f"people[{i}].age (constraint): Too old." for i in range(1, 8)],
]


def test_finalize_new_final_and_amend_list_every_problem(run: Run, tmp_path: Path) -> None:
    bad = write_json(tmp_path / "bad.json", NINE_PROBLEMS)
    draft = run("record", "new", "all-types", "--data", str(bad)).strip()
    assert run("record", "finalize", draft, code=1).splitlines() == NINE_LINES
    assert "and 4 more" in run.err  # the one line on stderr (the runner checks there is one)
    assert run(
        "record", "new", "all-types", "--data", str(bad), "--final", code=1
    ).splitlines() == (NINE_LINES)
    good = write_json(tmp_path / "good.json", all_types_answers())
    sealed = run("record", "new", "all-types", "--data", str(good), "--final").strip()
    assert run("record", "amend", sealed, "--data", str(bad), code=1).splitlines() == NINE_LINES
    lines = tmp_path / "bad.jsonl"
    lines.write_text(json.dumps(all_types_answers()) + "\n" + json.dumps(NINE_PROBLEMS) + "\n")
    listed = run("record", "import", "all-types", str(lines), "--final", code=1).splitlines()
    assert listed == [f"line 2: {line}" for line in NINE_LINES]


def test_record_import_list_and_search(run: Run, tmp_path: Path) -> None:
    names = ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]
    lines = [
        all_types_answers(subject=f"Convoy {name}", day=f"2026-0{n}")
        for n, name in enumerate(names, 1)
    ]
    jsonl = tmp_path / "batch.jsonl"
    jsonl.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    assert run("record", "import", "all-types", str(jsonl), "--final").strip() == "5"
    valid = json.loads((RECORDS / "illicit-market-observation.valid.json").read_text())
    valid.pop("attachments")
    record = write_json(tmp_path / "market.json", valid)
    run("record", "new", "illicit-market-observation", "--data", str(record), "--final")
    everything = json.loads(run("record", "list", "--json"))
    assert len(everything) == 6
    assert len(json.loads(run("record", "list", "--json", "--limit", "2"))) == 2
    assert [
        r["title"] for r in json.loads(run("record", "list", "--json", "--search", "convoy charl"))
    ] == ["Convoy Charlie"]
    assert (
        len(json.loads(run("record", "list", "--json", "--form", "illicit-market-observation")))
        == 1
    )
    dated = json.loads(run("record", "list", "--json", "--from", "2026-02", "--to", "2026-03-31"))
    assert sorted(r["title"] for r in dated) == ["Convoy Bravo", "Convoy Charlie"]
    assert json.loads(run("record", "list", "--json", "--status", "draft")) == []
    assert "No records match." in run("record", "list", "--search", "nothing-like-this")
    table = run("record", "list")
    assert "Convoy Echo" in table and "final" in table
    run("record", "list", "--limit", "0", code=2)
    run("record", "list", "--status", "lost", code=2)


def test_audit_verify_detects_tampering(run: Run, env: Path, tmp_path: Path) -> None:
    answers = write_json(tmp_path / "a.json", all_types_answers())
    run("record", "new", "all-types", "--data", str(answers), "--final")
    assert "Audit log intact" in run("audit", "verify")
    from fieldkit.services.vaults import unlock_vault

    vault = unlock_vault(env, PASSPHRASE)
    with vault.write() as session:
        conn = session.connection()
        conn.exec_driver_sql("DROP TRIGGER audit_no_delete")
        conn.exec_driver_sql("DELETE FROM audit WHERE seq = 2")
    vault.close()
    run("audit", "verify", code=1)
    assert "tampered" in run.err


def test_passphrase_change_remember_and_forget(
    run: Run, env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = "lantern orchard basalt quiver 9"
    monkeypatch.setenv("FIELDKIT_NEW_PASSPHRASE", new)
    assert "Passphrase changed" in run("passphrase", "change")
    run("status", code=1)
    monkeypatch.setenv("FIELDKIT_PASSPHRASE", new)
    run("status")
    monkeypatch.setenv("FIELDKIT_NEW_PASSPHRASE", "short")
    run("passphrase", "change", code=1)
    run("passphrase", "remember", code=1)  # the test keyring backend refuses to store
    assert "keyring" in run.err
    run("passphrase", "forget")


def test_settings(run: Run, tmp_path: Path) -> None:
    run("settings", "set", "attachment-max-mib", "1")
    assert "attachment-max-mib  1" in run("settings", "show")
    run("settings", "set", "attachment-max-mib", "lots", code=1)
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * (2 * 1024 * 1024))
    run("record", "new", "all-types", "--attach", str(big), code=1)
    assert "attachment limit of 1 MiB" in run.err
    run("settings", "set", "device-name", "Laptop 9")
    assert json.loads(run("status", "--json"))["device_name"] == "Laptop 9"


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    run = Run(capsys)
    run(code=2)
    run("record", code=2)
    run("record", "new", code=2)
    run("frobnicate", code=2)
    assert "fieldkit-cli" in run("--help")


@pytest.mark.parametrize("bad", ["notadate", "2026-13-45", "2026-02-30", "26-01-01", "2026/01"])
@pytest.mark.parametrize("option", ["--from", "--to"])
def test_record_list_refuses_a_date_that_is_not_one(run: Run, option: str, bad: str) -> None:
    run("record", "list", option, bad, code=2)
    assert "is not a date; give YYYY, YYYY-MM or YYYY-MM-DD" in run.err
    assert "No records match" not in run.err


def test_record_list_takes_years_months_and_days(run: Run, tmp_path: Path) -> None:
    for date in ("2026", "2026-03", "2024-02-29"):
        assert "No records match." in run("record", "list", "--from", date, "--to", date)


def test_unknown_record(run: Run) -> None:
    run("record", "show", "deadbeefdeadbeef", code=1)
    assert "No record" in run.err


def test_a_shortened_id_needs_as_many_characters_as_the_readme_says(run: Run) -> None:
    readme = " ".join((Path(__file__).parents[2] / "README.md").read_text().split())
    assert f"a record id may be shortened to its first {records.MIN_ID_PREFIX} or more" in readme
    record_id = run("record", "new", "all-types").strip()
    shortest = record_id[: records.MIN_ID_PREFIX]
    assert json.loads(run("record", "show", shortest, "--json"))["id"] == record_id
    run("record", "show", shortest[:-1], code=1)
    assert "No record" in run.err


NO_QT_RUNNER = """
import sys
from fieldkit.cli.main import main
code = main(sys.argv[1:])
assert not [m for m in sys.modules if m.startswith(("PySide6", "shiboken6"))]
sys.exit(code)
"""


def _subprocess(vault_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            NO_QT_RUNNER,
            *args,
        ],
        env=cli_env(vault_dir, **env),
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_cli_never_imports_qt(vault_dir: Path, tmp_path: Path) -> None:
    assert _subprocess(vault_dir, "init").returncode == 0
    answers = write_json(tmp_path / "a.json", {"narrative": "qt-free"})
    for args in (
        ("status",),
        ("forms", "list"),
        ("record", "new", "illicit-market-observation", "--data", str(answers)),
        ("record", "list"),
        ("audit", "verify"),
    ):
        result = _subprocess(vault_dir, *args)
        assert result.returncode == 0, result.stderr


def test_the_installed_entry_point(vault_dir: Path) -> None:
    script = Path(sys.executable).with_name("fieldkit-cli")
    result = subprocess.run(
        [str(script), "status"], env=cli_env(vault_dir), capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert result.stderr.startswith("fieldkit-cli: No vault in ")
    assert "Traceback" not in result.stderr


def test_xlsform_import_validate_and_install(run: Run, tmp_path: Path) -> None:
    source = DATA / "xlsform" / "simple.xlsx"
    out = tmp_path / "simple.yaml"
    assert "1 item not carried over" in run(
        "forms", "import-xlsform", str(source), "--out", str(out)
    )
    assert "row 2 (start)" in run.err
    assert out.read_text().startswith("# fieldkit form converted from the XLSForm")
    assert "valid form 'simple_form'" in run("forms", "validate", str(out))
    printed = run("forms", "import-xlsform", str(DATA / "xlsform" / "simple.csv"))
    assert "fieldkit_form: 1" in printed
    assert "Installed form 'simple_form'" in run("forms", "install", str(source))
    assert "not carried over: survey, row 2 (start)" in run.err
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    run("forms", "import-xlsform", str(broken), "--out", str(tmp_path / "never.yaml"), code=1)
    assert "not an Excel workbook" in run.err
    assert not (tmp_path / "never.yaml").exists()
    run(
        "forms",
        "import-xlsform",
        str(source),
        "--out",
        str(tmp_path / "no" / "such" / "x.yaml"),
        code=1,
    )


def test_a_reader_that_stops_early_is_not_a_failure(vault_dir: Path, tmp_path: Path) -> None:
    """``fieldkit-cli record list | head -1`` must not report an error."""
    assert _subprocess(vault_dir, "init").returncode == 0
    lines = tmp_path / "many.jsonl"
    lines.write_text("\n".join(json.dumps({"narrative": f"note {n}"}) for n in range(3000)))
    assert (
        _subprocess(
            vault_dir, "record", "import", "illicit-market-observation", str(lines)
        ).returncode
        == 0
    )
    script = Path(sys.executable).with_name("fieldkit-cli")
    reader = subprocess.Popen(
        [str(script), "record", "list"],
        env=cli_env(vault_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout is not None and reader.stderr is not None
    assert reader.stdout.readline()
    reader.stdout.close()
    assert reader.wait(timeout=60) == 0
    assert reader.stderr.read() == ""


def test_a_wrong_passphrase_makes_the_next_attempt_wait(
    run: Run, env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fieldkit.services import unlocking

    slept: list[float] = []
    monkeypatch.setattr("fieldkit.cli.context.time.sleep", slept.append)
    monkeypatch.setenv("FIELDKIT_PASSPHRASE", "not the passphrase at all")
    run("status", code=1)
    run("status", code=1)
    assert slept == [1], "the second attempt waited for the first failure"
    monkeypatch.setenv("FIELDKIT_PASSPHRASE", PASSPHRASE)
    run("status")
    assert slept == [1, 2]
    assert unlocking.read_attempts(env).failures == 0


def test_forms_validate_and_install_refuse_too_many_required_repeat_entries(
    run: Run, tmp_path: Path
) -> None:
    many = tmp_path / "many.yaml"
    many.write_text(
        "fieldkit_form: 1\nid: many\nversion: '1'\ntitle: {en: Many}\nlanguages: [en]\n"
        "fields:\n  - name: visits\n    type: repeat\n    min_count: 50\n    fields:\n"
        "      - name: people\n        type: repeat\n        min_count: 40\n        fields:\n"
        "          - {name: who, type: text, label: {en: Who}}\n"
    )
    run("forms", "validate", str(many), code=1)
    assert run.err == (
        "fieldkit-cli: many.yaml:11: field 'people': repeat 'people' makes a blank record need "
        "2000 entries "
        "(its fewest entries times those of the repeats around it); at most 1000 are allowed: "
        "lower its min_count or that of a repeat around it\n"
    )
    run("forms", "install", str(many), code=1)
    assert "repeat 'people' makes a blank record need 2000 entries" in run.err
    assert "many" not in run("forms", "list")
