"""Records: drafts, sealing, amendments, old form versions, search, import, attachments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fieldkit.crypto.identity import PublicIdentity
from fieldkit.domain.records import (
    RevisionEnvelope,
    canonical_json,
    revision_signing_message,
    sha256_hex,
)
from fieldkit.errors import ConflictError, InvalidInputError, NotFoundError
from fieldkit.services import forms as form_service
from fieldkit.services import records
from fieldkit.services.datafiles import read_json_lines
from fieldkit.services.records import ValidationFailedError
from fieldkit.services.vaults import device_identity
from fieldkit.vault import audit, repo
from fieldkit.vault.models import RevisionRow
from fieldkit.vault.repo import RecordFilter
from tests.conftest import DATA, all_types_answers


def test_new_record_is_a_draft_with_defaults_and_summary(vault: Any) -> None:
    record_id = records.create(
        vault, "all-types", {"subject": "Fuel smuggling", "place": "Border post"}
    )
    detail = records.detail(vault, record_id)
    assert detail.item.status == "draft"
    assert detail.item.title == "Fuel smuggling"
    assert detail.item.place == "Border post"
    assert detail.draft == {"subject": "Fuel smuggling", "place": "Border post"}
    assert detail.revisions == []


def test_a_draft_may_be_incomplete_but_not_malformed(vault: Any) -> None:
    record_id = records.create(vault, "all-types", {})
    outcome = records.save_draft(vault, record_id, {"count": -1})
    assert {(p.field, p.rule) for p in outcome.problems} >= {
        ("count", "constraint"),
        ("subject", "required"),
    }
    with pytest.raises(ValidationFailedError) as caught:
        records.save_draft(vault, record_id, {"count": "many"})
    assert "count (type)" in caught.value.user_message
    with pytest.raises(ValidationFailedError) as caught:
        records.save_draft(vault, record_id, {"no_such_field": 1})
    assert [(p.path, p.rule) for p in caught.value.problems] == [("no_such_field", "unknown")]


def test_finalize_seals_a_signed_chained_revision(vault: Any) -> None:
    record_id = records.create(vault, "all-types", all_types_answers())
    info = records.finalize(vault, record_id)
    assert info.number == 1 and info.previous is None and info.signature_valid
    with vault.read() as session:
        row = repo.head_revision(session, record_id)
        assert row is not None and row.content is not None
    envelope = RevisionEnvelope.from_json(json.loads(row.content))
    assert canonical_json(envelope.to_json()) == row.content
    assert sha256_hex(row.content) == row.sha256
    identity = device_identity(vault)
    assert envelope.device == identity.key_id
    assert PublicIdentity(identity.public_key).verify(
        row.signature, revision_signing_message(row.content)
    )
    assert not PublicIdentity(identity.public_key).verify(row.signature, row.content)
    assert envelope.data["colour"] == "green"
    assert envelope.data["flags"] == ["fieldkit-yes-no:1:yes"]
    assert envelope.data["position"]["lat"] == pytest.approx(12.504167)
    detail = records.detail(vault, record_id)
    assert detail.item.status == "final" and detail.draft is None and detail.chain_valid


def test_finalize_refuses_invalid_answers_naming_field_and_rule(vault: Any) -> None:
    record_id = records.create(
        vault, "all-types", all_types_answers(count=-2, colour="other", people=[{"age": 200}])
    )
    with pytest.raises(ValidationFailedError) as caught:
        records.finalize(vault, record_id)
    problems = {(p.path, p.rule) for p in caught.value.problems}
    assert problems == {
        ("count", "constraint"),
        ("colour_other", "required"),
        ("people[1].age", "constraint"),
    }
    assert records.detail(vault, record_id).item.status == "draft"


def test_irrelevant_answers_are_cleared_when_sealing(vault: Any) -> None:
    answers = all_types_answers(colour="red", colour_other="should vanish")
    answers["people"] = [{"age": 40, "minor_guardian": "should vanish too"}]
    record_id = records.create(vault, "all-types", answers, final=True)
    sealed = records.detail(vault, record_id).sealed
    assert sealed is not None
    assert "colour_other" not in sealed
    assert sealed["people"] == [{"age": 40}]


def test_amendment_is_a_new_revision_chained_to_the_last(vault: Any) -> None:
    record_id = records.create(vault, "all-types", all_types_answers(), final=True)
    second = records.amend(vault, record_id, all_types_answers(subject="Corrected subject"))
    draft = records.start_amendment(vault, record_id)
    draft["count"] = 7
    records.save_draft(vault, record_id, draft)
    assert records.detail(vault, record_id).item.has_draft
    third = records.finalize(vault, record_id)
    detail = records.detail(vault, record_id)
    assert [r.number for r in detail.revisions] == [1, 2, 3]
    assert second.previous == detail.revisions[0].sha256
    assert third.previous == second.sha256
    assert detail.chain_valid
    assert detail.sealed is not None and detail.sealed["count"] == 7
    assert detail.sealed["subject"] == "Corrected subject"
    assert detail.item.title == "Corrected subject"


def test_sealed_revisions_never_change(vault: Any) -> None:
    record_id = records.create(vault, "all-types", all_types_answers(), final=True)
    for statement in (
        "UPDATE revision SET content = x'00'",
        "UPDATE revision SET sha256 = 'forged'",
        "UPDATE revision SET signature = x'00'",
        "UPDATE revision SET content = NULL",  # purging needs an acknowledged revision
        "DELETE FROM revision",
    ):
        with pytest.raises(Exception, match="sealed revisions"), vault.write() as session:
            session.connection().exec_driver_sql(statement)
    assert records.detail(vault, record_id).chain_valid


def test_a_changed_signature_shows_as_invalid(vault: Any) -> None:
    record_id = records.create(vault, "all-types", all_types_answers(), final=True)
    with vault.write() as session:
        conn = session.connection()
        conn.exec_driver_sql("DROP TRIGGER revision_sealed_no_update")
        conn.exec_driver_sql("UPDATE revision SET content = replace(content, 'green', 'brown')")
    detail = records.detail(vault, record_id)
    assert not detail.revisions[0].signature_valid
    assert not detail.chain_valid


def test_nothing_to_finalize_and_nothing_to_amend(vault: Any) -> None:
    record_id = records.create(vault, "all-types", all_types_answers(), final=True)
    with pytest.raises(ConflictError, match="has nothing to finalize: it is sealed"):
        records.finalize(vault, record_id)
    draft_id = records.create(vault, "all-types", {})
    with pytest.raises(ConflictError, match="is a draft; finalize it instead of amending it"):
        records.amend(vault, draft_id, all_types_answers())


def test_records_are_found_by_short_id_and_unknown_ids_are_refused(vault: Any) -> None:
    record_id = records.create(vault, "all-types", {"subject": "short id"})
    assert records.detail(vault, record_id[:8]).item.id == record_id
    with pytest.raises(NotFoundError, match=r"No record '0{32}' in this vault"):
        records.detail(vault, "0" * 32)
    with pytest.raises(NotFoundError, match=r"No record '\.\./etc' in this vault"):
        records.detail(vault, "../etc")


def test_discarding_drafts(vault: Any) -> None:
    draft_id = records.create(vault, "all-types", {"subject": "to discard"})
    assert records.discard_draft(vault, draft_id) is True
    with pytest.raises(NotFoundError, match="No record"):
        records.detail(vault, draft_id)
    sealed_id = records.create(vault, "all-types", all_types_answers(), final=True)
    records.start_amendment(vault, sealed_id)
    assert records.discard_draft(vault, sealed_id) is False
    assert records.detail(vault, sealed_id).draft is None


def test_old_records_keep_their_form_version(vault: Any, tmp_path: Path) -> None:
    record_id = records.create(vault, "all-types", all_types_answers(), final=True)
    text = (DATA / "forms" / "all-types.yaml").read_text(encoding="utf-8")
    changed = text.replace('version: "1"', 'version: "2"').replace(
        'constraint: ". >= 0"', 'constraint: ". >= 10"'
    )
    path = tmp_path / "all-types-v2.yaml"
    path.write_text(changed, encoding="utf-8")
    assert form_service.install_file(vault, path).installed
    # New records use version 2 and its stricter rule ...
    new_id = records.create(vault, "all-types", all_types_answers())
    assert records.detail(vault, new_id).item.form_version == "2"
    with pytest.raises(ValidationFailedError) as caught:
        records.finalize(vault, new_id)
    assert [(p.path, p.rule) for p in caught.value.problems] == [("count", "constraint")]
    # ... while the old record is still read and amended against version 1.
    old = records.detail(vault, record_id)
    assert old.item.form_version == "1"
    records.amend(vault, record_id, all_types_answers(count=3))
    assert records.detail(vault, record_id).item.form_version == "1"


def test_same_form_version_with_other_content_is_refused(vault: Any, tmp_path: Path) -> None:
    text = (DATA / "forms" / "all-types.yaml").read_text(encoding="utf-8")
    path = tmp_path / "changed.yaml"
    path.write_text(text.replace("All field types", "Changed title"), encoding="utf-8")
    with pytest.raises(ConflictError, match="new version"):
        form_service.install_file(vault, path)
    assert form_service.install_file(vault, DATA / "forms" / "all-types.yaml").installed is False


def test_search_and_filters(vault: Any) -> None:
    gold = records.create(
        vault, "all-types", all_types_answers(subject="Gold convoy", day="2026-02-10"), final=True
    )
    ivory = records.create(
        vault, "all-types", all_types_answers(subject="Ivory cache", day="2026-05")
    )
    records.create(vault, "all-types", all_types_answers(subject="Timber", day="2025"))

    def ids(**kwargs: Any) -> set[str]:
        return {item.id for item in records.list_items(vault, RecordFilter(**kwargs))}

    assert ids(search="gold") == {gold}
    assert ids(search="GOLD conv") == {gold}
    assert ids(search="Rouge") == set()  # "red" was not chosen anywhere
    assert ids(search="Vert") == {gold, ivory} | ids(search="vert")  # labels in every language
    assert ids(search='"; DROP TABLE record; --') == set()
    assert ids(status="final") == {gold}
    assert ids(status="draft", form_id="all-types") >= {ivory}
    assert ids(date_from="2026-01-01", date_to="2026-03-31") == {gold}
    assert ids(date_from="2026-05-15") == {ivory}  # a month-precision date overlaps the range
    assert gold not in ids(date_to="2025-12-31")
    assert records.count(vault, RecordFilter(form_id="all-types")) == 3


def test_identifying_answers_are_not_indexed_for_search(vault: Any) -> None:
    records.create(
        vault, "all-types", all_types_answers(witness_name="Zebulon Quartermaine"), final=True
    )
    assert records.list_items(vault, RecordFilter(search="Quartermaine")) == []


def test_import_is_all_or_nothing_and_names_the_line(vault: Any, tmp_path: Path) -> None:
    good = json.dumps(all_types_answers())
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join([good, good, "", json.dumps(all_types_answers(count="x")), good]))
    with pytest.raises(ValidationFailedError) as caught:
        records.import_lines(vault, "all-types", read_json_lines(path), final=True)
    assert "line 4" in caught.value.user_message
    assert [(p.path, p.rule) for p in caught.value.problems] == [("count", "type")]
    assert records.count(vault, RecordFilter()) == 0
    path.write_text("\n".join([good] * 3) + "\n")
    assert records.import_lines(vault, "all-types", read_json_lines(path), final=True) == 3
    assert records.count(vault, RecordFilter(status="final")) == 3


def test_import_reports_bad_json_with_its_line(vault: Any, tmp_path: Path) -> None:
    path = tmp_path / "broken.jsonl"
    path.write_text('{"subject": "ok"}\n{"subject": \n')
    with pytest.raises(InvalidInputError, match="line 2"):
        records.import_lines(vault, "all-types", read_json_lines(path))
    assert records.count(vault, RecordFilter()) == 0


def test_attachments_are_stored_and_recorded_by_hash(vault: Any, tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + b"jpeg-bytes" * 1000)
    record_id = records.create(
        vault, "all-types", all_types_answers(), attachments=[(None, photo)], final=True
    )
    sealed = records.detail(vault, record_id).sealed
    assert sealed is not None
    [ref] = sealed["files"]
    assert ref["name"] == "photo.jpg" and ref["media_type"] == "image/jpeg"
    assert ref["sha256"] == sha256_hex(photo.read_bytes())
    with vault.read() as session:
        row = repo.head_revision(session, record_id)
        assert isinstance(row, RevisionRow) and row.content is not None
    assert RevisionEnvelope.from_json(json.loads(row.content)).attachments == (ref["sha256"],)


def test_attachment_size_limit_is_configurable_and_enforced(vault: Any, tmp_path: Path) -> None:
    from fieldkit.services import attachments as attachment_service

    attachment_service.set_max_bytes(vault, 1024 * 1024)
    big = tmp_path / "video.mp4"
    big.write_bytes(b"\0" * (1024 * 1024 + 1))
    with pytest.raises(InvalidInputError, match="attachment limit of 1 MiB"):
        records.create(vault, "all-types", all_types_answers(), attachments=[(None, big)])
    assert records.count(vault, RecordFilter()) == 0
    with pytest.raises(InvalidInputError, match="must be between 1 MiB and 64 GiB"):
        attachment_service.set_max_bytes(vault, 10)


def test_a_reference_to_a_missing_attachment_cannot_be_sealed(vault: Any) -> None:
    ghost = {"sha256": "a" * 64, "name": "ghost.png", "media_type": "image/png", "size": 3}
    with pytest.raises(InvalidInputError, match="not stored"):
        records.create(vault, "all-types", all_types_answers(files=[ghost]), final=True)


GHOST = {"sha256": "a" * 64, "name": "ghost.png", "media_type": "image/png", "size": 3}
NOT_STORED = "files: the attachment aaaaaaaaaaaa is not stored in this vault"


def test_a_draft_cannot_name_an_attachment_not_in_the_vault(vault: Any) -> None:
    with pytest.raises(InvalidInputError, match=NOT_STORED):
        records.create(vault, "all-types", all_types_answers(files=[GHOST]))
    assert records.count(vault, RecordFilter()) == 0


def test_saving_a_draft_refuses_an_attachment_not_in_the_vault(vault: Any, tmp_path: Path) -> None:
    from fieldkit.services import attachments as attachment_service

    record_id = records.create(vault, "all-types", {"subject": "Draft"})
    with pytest.raises(InvalidInputError, match=NOT_STORED):
        records.save_draft(vault, record_id, {"subject": "Changed", "files": [GHOST]})
    assert records.detail(vault, record_id).draft == {"subject": "Draft"}
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 10)
    stored = attachment_service.add_file(vault, photo)
    records.save_draft(vault, record_id, all_types_answers(files=[stored]))
    assert records.finalize(vault, record_id).number == 1


def test_importing_drafts_refuses_an_attachment_not_in_the_vault(
    vault: Any, tmp_path: Path
) -> None:
    lines = tmp_path / "drafts.jsonl"
    lines.write_text(json.dumps({"subject": "fine"}) + "\n" + json.dumps({"files": [GHOST]}) + "\n")
    with pytest.raises(InvalidInputError, match=f"line 2: {NOT_STORED}"):
        records.import_lines(vault, "all-types", read_json_lines(lines))
    assert records.count(vault, RecordFilter()) == 0


def test_lists_follow_the_reader_s_language(vault: Any) -> None:
    answers = json.loads(
        (DATA / "records" / "v2" / "illicit-market-observation.valid.json").read_text()
    )
    answers.pop("attachments")
    record_id = records.create(vault, "illicit-market-observation", answers, final=True)
    titles = {
        language: records.list_items(vault, RecordFilter(), language=language)[0].title
        for language in ("en", "fr", "ar")
    }
    places = {
        language: records.detail(vault, record_id, language).item.place for language in ("en", "fr")
    }
    assert titles["en"].startswith("Non-renewable resource crimes")
    assert titles["fr"] != titles["en"] and titles["ar"] not in (titles["en"], titles["fr"])
    assert places == {"en": "Kayes, Mali", "fr": "Kayes, Mali"}
    assert records.list_items(vault, RecordFilter(search="renouvelables"))[0].id == record_id


def _acknowledge_and_purge(vault: Any, record_id: str) -> None:
    """What importing a receipt does with the purge setting on (services/receipts.py)."""
    from fieldkit.domain.records import RecordStatus, utc_timestamp
    from fieldkit.services import receipts

    with vault.write() as session:
        hashes = [row.sha256 for row in repo.revisions(session, record_id)]
        records.mark_status(
            session, hashes, RecordStatus.ACKNOWLEDGED, acknowledged_at=utc_timestamp()
        )
        assert receipts.purge_acknowledged(session) == 1


def _revision_rows(vault: Any) -> list[tuple[Any, ...]]:
    with vault.read() as session:
        return [
            tuple(row)
            for row in session.connection().exec_driver_sql(
                "SELECT record_id, number, sha256, content FROM revision ORDER BY record_id, number"
            )
        ]


def test_a_purged_record_cannot_be_amended_by_any_path(vault: Any) -> None:
    record_id = records.create(vault, "all-types", all_types_answers(), final=True)
    records.amend(vault, record_id, all_types_answers(count=4))
    _acknowledge_and_purge(vault, record_id)
    before = _revision_rows(vault)
    expected = f"Record {record_id[:12]} cannot be amended: its content was purged."
    with pytest.raises(ConflictError) as by_start:
        records.start_amendment(vault, record_id)
    with pytest.raises(ConflictError) as by_amend:
        records.amend(vault, record_id, all_types_answers(count=5))
    with pytest.raises(ConflictError) as by_draft:  # a draft typed without starting one
        records.save_draft(vault, record_id, all_types_answers(count=6))
    assert by_start.value.user_message == expected
    assert by_amend.value.user_message == expected
    assert by_draft.value.user_message == expected
    assert _revision_rows(vault) == before
    detail = records.detail(vault, record_id)
    assert detail.draft is None and len(detail.revisions) == 2


def test_a_purge_is_not_reported_as_tampering(vault: Any) -> None:
    record_id = records.create(vault, "all-types", all_types_answers(), final=True)
    records.amend(vault, record_id, all_types_answers(count=4))
    _acknowledge_and_purge(vault, record_id)
    detail = records.detail(vault, record_id)
    assert detail.purged and detail.sealed is None
    assert [(r.purged, r.signature_valid) for r in detail.revisions] == [(True, None)] * 2
    assert detail.chain_valid
    shown = detail.to_json()
    assert shown["purged"] is True and shown["chain_valid"] is True
    assert [r["signature_valid"] for r in shown["revisions"]] == [None, None]
    assert [r["purged"] for r in shown["revisions"]] == [True, True]
    kept = records.create(vault, "all-types", all_types_answers(), final=True)
    assert records.detail(vault, kept).to_json()["purged"] is False


def test_a_purged_record_with_a_broken_chain_is_still_invalid(vault: Any) -> None:
    """Judged on the hashes that remain: a purged revision that does not name the hash of the
    one before it breaks the chain."""
    record_id = records.create(vault, "all-types", all_types_answers(), final=True)
    records.amend(vault, record_id, all_types_answers(count=4))
    _acknowledge_and_purge(vault, record_id)
    with vault.write() as session:
        conn = session.connection()
        conn.exec_driver_sql("DROP TRIGGER revision_sealed_no_update")
        conn.exec_driver_sql("UPDATE revision SET previous = 'forged' WHERE number = 2")
    detail = records.detail(vault, record_id)
    assert detail.purged and not detail.chain_valid
    assert detail.to_json()["chain_valid"] is False


def test_short_ids_reach_every_sealing_and_saving_path(vault: Any) -> None:
    record_id = records.create(vault, "all-types", all_types_answers())
    records.save_draft(vault, record_id[:8], all_types_answers(subject="Salt caravan"))
    assert records.finalize(vault, record_id[:8]).number == 1
    assert records.amend(vault, record_id[:10], all_types_answers(subject="Salt")).number == 2
    detail = records.detail(vault, record_id)
    assert detail.item.title == "Salt" and detail.chain_valid and detail.draft is None
    with pytest.raises(NotFoundError, match=r"No record 'f{32}' in this vault"):
        records.finalize(vault, "f" * 32)


def test_the_search_index_follows_drafts_seals_and_amendments(vault: Any) -> None:
    def found(word: str) -> set[str]:
        return {item.id for item in records.list_items(vault, RecordFilter(search=word))}

    record_id = records.create(vault, "all-types", all_types_answers(subject="Alpha depot"))
    records.save_draft(vault, record_id, all_types_answers(subject="Bravo depot"))
    assert found("bravo") == {record_id} and found("alpha") == set()
    detail = records.detail(vault, record_id)
    assert detail.item.title == "Bravo depot" and detail.item.status == "draft"
    records.finalize(vault, record_id)
    assert found("bravo") == {record_id}
    records.amend(vault, record_id, all_types_answers(subject="Charlie depot"))
    assert found("charlie") == {record_id} and found("bravo") == set()
    # A draft of an amendment changes neither the list nor the index until it is sealed.
    records.start_amendment(vault, record_id)
    records.save_draft(vault, record_id, all_types_answers(subject="Delta depot"))
    assert found("delta") == set() and found("charlie") == {record_id}
    assert records.detail(vault, record_id).item.title == "Charlie depot"
    with vault.read() as session:
        assert audit.verify(session).ok


def test_imported_sealed_records_verify_and_chain_the_audit_log(vault: Any) -> None:
    lines = [(n, all_types_answers(subject=f"Convoy {n}")) for n in range(1, 6)]
    assert records.import_lines(vault, "all-types", iter(lines), final=True) == 5
    items = records.list_items(vault, RecordFilter(search="convoy"))
    assert len(items) == 5
    for item in items:
        detail = records.detail(vault, item.id)
        assert detail.chain_valid and detail.revisions[0].signature_valid
        with vault.read() as session:
            content = repo.head_revision(session, item.id)
            assert content is not None and content.content is not None
            envelope = RevisionEnvelope.from_json(json.loads(content.content))
            assert canonical_json(envelope.to_json()) == content.content
    with vault.read() as session:
        report = audit.verify(session)
    assert report.ok, report.problems


def test_a_text_only_summary_reads_the_same_in_every_language(vault: Any) -> None:
    """A summary made of text answers is the same in every language of the form, and one
    without a title falls back to the form's title in each language."""
    untitled = records.create(vault, "all-types", {})
    titled = records.create(vault, "all-types", all_types_answers(subject="Fuel levy"))
    shown = {
        language: {
            item.id: (item.title, item.place)
            for item in records.list_items(vault, RecordFilter(), language=language)
        }
        for language in ("en", "fr")
    }
    assert shown["en"][untitled] == ("All field types", "")
    assert shown["fr"][untitled] == ("Tous les types de champs", "")
    place = "Bridge north of the market"
    assert shown["en"][titled] == shown["fr"][titled] == ("Fuel levy", place)
    assert records.list_items(vault, RecordFilter(search="Tous"))[0].id == untitled
