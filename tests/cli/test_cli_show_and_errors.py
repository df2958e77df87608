"""``record show`` on drafts (answers as typed), and what an unexpected failure looks like: one
line on stderr, the details in the log file only, never a traceback or record content."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fieldkit.cli import commands_records, commands_vault
from fieldkit.cli.main import log_file, main
from fieldkit.domain.geo import parse_geopoint
from fieldkit.services import records, vaults
from fieldkit.services.forms import read_form_file
from tests.cli.conftest import Run
from tests.conftest import DATA, PASSPHRASE, all_types_answers, write_json
from tests.domain.test_shipped_forms import form as shipped_form
from tests.services.test_records import _acknowledge_and_purge

POSITIONS = {
    "decimal": "12.8420, -11.2360",
    "dms": "12°30'15\"N 1°15'W",
    "mgrs": "28PGA 50000 50000",
}


@pytest.mark.parametrize("kind", sorted(POSITIONS))
def test_show_a_draft_reads_each_form_of_position(run: Run, tmp_path: Path, kind: str) -> None:
    typed = POSITIONS[kind]
    answers = write_json(
        tmp_path / "draft.json", {"subject": "Checkpoint", "position": typed, "count": "12"}
    )
    record_id = run("record", "new", "all-types", "--data", str(answers)).strip()

    text = run("record", "show", record_id)

    point = parse_geopoint(typed).to_json()
    assert f"Position: {point['lat']}, {point['lon']} (±{point['precision_m']} m)" in text
    assert "Count: 12" in text
    assert "Status   draft" in text
    shown = json.loads(run("record", "show", record_id, "--json"))
    assert shown["draft"]["position"] == typed  # JSON shows the draft as it was saved
    assert shown["data"] is None


def test_an_answer_the_domain_cannot_read_is_shown_as_typed() -> None:
    form = read_form_file(DATA / "forms" / "all-types.yaml")
    fields = form.fields_by_name()
    shown = commands_records._shown
    assert shown(form, fields["position"], "near the old bridge", "en") == "near the old bridge"
    assert shown(form, fields["count"], "about twelve", "en") == "about twelve"
    assert shown(form, fields["flags"], ["maybe"], "en") == '["maybe"]'
    assert shown(form, fields["colour"], "green", "en") == "Green"
    assert shown(form, fields["position"], "", "en") is None


def test_a_draft_with_malformed_repeat_entries_is_shown(run: Run, env: Path) -> None:
    """Answers a draft holds that no form reads (written by an older version, say) are shown
    as they are, without a crash."""
    record_id = run("record", "new", "all-types").strip()
    vault = vaults.unlock_vault(env, PASSPHRASE)
    try:
        with vault.write() as session:
            row = records.resolve(session, record_id)
            row.draft = json.dumps({"subject": "S", "people": ["not an entry"], "count": "x"})
            session.add(row)
    finally:
        vault.close()
    text = run("record", "show", record_id)
    assert "Person 1" in text and "not an entry" in text and "Count: x" in text


def test_a_group_with_nothing_to_show_has_no_heading(run: Run, tmp_path: Path) -> None:
    answers = write_json(tmp_path / "a.json", {"subject": "No place given"})
    record_id = run("record", "new", "all-types", "--data", str(answers)).strip()
    assert "Where" not in run("record", "show", record_id).splitlines()
    placed = write_json(tmp_path / "b.json", {"subject": "S", "place": "Ford"})
    record_id = run("record", "new", "all-types", "--data", str(placed)).strip()
    lines = run("record", "show", record_id).splitlines()
    assert lines[lines.index("Where") + 1] == "  Place: Ford"


def _purged_record(run: Run, env: Path, tmp_path: Path) -> str:
    answers = write_json(tmp_path / "a.json", all_types_answers())
    record_id = run("record", "new", "all-types", "--data", str(answers), "--final").strip()
    run("record", "amend", record_id, "--data", str(answers))
    vault = vaults.unlock_vault(env, PASSPHRASE)
    try:
        _acknowledge_and_purge(vault, record_id)
    finally:
        vault.close()
    return record_id


def test_show_a_purged_record(run: Run, env: Path, tmp_path: Path) -> None:
    record_id = _purged_record(run, env, tmp_path)
    shown = json.loads(run("record", "show", record_id, "--json"))
    assert shown["purged"] is True and shown["data"] is None
    assert shown["chain_valid"] is True  # a purge is not tampering
    assert [(r["purged"], r["signature_valid"]) for r in shown["revisions"]] == [(True, None)] * 2
    text = run("record", "show", record_id)
    assert text.rstrip("\n").splitlines()[-1] == (
        "The content of this record was removed on this device after headquarters acknowledged "
        "it; its hashes and signatures are kept."
    )
    assert "INVALID" not in text and "Where" not in text and "Person" not in text
    assert text.count(" purged") == 2  # the signature column of both revisions


def test_amend_refuses_a_purged_record(run: Run, env: Path, tmp_path: Path) -> None:
    record_id = _purged_record(run, env, tmp_path)
    before = run("record", "show", record_id, "--json")
    answers = write_json(tmp_path / "new.json", all_types_answers(subject="After the purge"))
    run("record", "amend", record_id, "--data", str(answers), code=1)
    assert run.err == (
        f"fieldkit-cli: Record {record_id[:12]} cannot be amended: its content was purged.\n"
    )
    assert run("record", "show", record_id, "--json") == before


CANARY = "canary-7f3a-do-not-print"


def _broken_status(_ctx: object) -> int:
    raise KeyError(CANARY)  # a defect whose message quotes content


def test_an_unexpected_failure_is_one_line_with_details_in_the_log(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(commands_vault, "cmd_status", _broken_status)

    run("status", code=1)  # Run checks: exactly one line, starting "fieldkit-cli: "

    logged = log_file()
    assert run.err == (
        "fieldkit-cli: unexpected failure (KeyError); nothing was changed by the unfinished "
        f"step. Details are in {logged}.\n"
    )
    assert "Traceback" not in run.err and CANARY not in run.err
    details = logged.read_text(encoding="utf-8")
    assert "unexpected KeyError" in details and "_broken_status" in details
    assert CANARY not in details
    assert logged.stat().st_mode & 0o077 == 0


def test_with_verbose_the_details_also_reach_stderr_but_no_content(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(commands_vault, "cmd_status", _broken_status)
    assert main(["-v", "status"]) == 1
    err = run.capsys.readouterr().err
    assert "unexpected KeyError" in err and "_broken_status" in err
    assert err.rstrip("\n").splitlines()[-1].startswith("fieldkit-cli: unexpected failure")
    assert CANARY not in err


def test_without_a_writable_log_folder_the_line_says_how_to_see_details(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocker))
    monkeypatch.setattr(commands_vault, "cmd_status", _broken_status)
    run("status", code=1)
    assert "Run the command again with -v" in run.err
    assert "Traceback" not in run.err and CANARY not in run.err


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("en", "Egypt, Spain, United Arab Emirates"),
        ("fr", "Égypte, Émirats arabes unis, Espagne"),
        ("ar", "إسبانيا, الإمارات العربية المتحدة, مصر"),
    ],
)
def test_countries_are_shown_sorted_by_name_in_the_language(language: str, shown: str) -> None:
    form = shipped_form("illicit-market-observation")
    transit = form.fields_by_name()["route_transit"]
    stored = ["ARE", "EGY", "ESP"]  # the order of their codes
    assert commands_records._shown(form, transit, stored, language) == shown


def test_lines_read_ahead_come_in_order_and_a_problem_in_its_turn() -> None:
    from fieldkit.cli.commands_records import _read_ahead
    from fieldkit.errors import InvalidInputError

    def lines() -> Iterator[tuple[int, Any]]:
        yield 1, {"a": 1}
        yield 2, {"a": 2}
        raise InvalidInputError("notes.jsonl, line 3: not JSON")

    waits = iter([True, True, True, True])
    read = _read_ahead(lines(), lambda: next(waits, False))
    assert next(read) == (1, {"a": 1})
    assert next(read) == (2, {"a": 2})
    with pytest.raises(InvalidInputError, match="line 3: not JSON"):
        next(read)


def test_lines_past_the_read_ahead_are_read_as_they_come() -> None:
    from fieldkit.cli.commands_records import _read_ahead

    read = _read_ahead(iter([(1, "a"), (2, "b"), (3, "c")]), iter([True, False]).__next__)
    assert list(read) == [(1, "a"), (2, "b"), (3, "c")]
