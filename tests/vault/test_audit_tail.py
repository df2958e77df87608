"""`audit verify` finds entries cut off the end of the log, whichever action wrote them.

Two checks do it: the chain head recorded with every append, and the cross-check of the rows
that audited actions create. Each is tested on its own: deleting the tail alone (the head
catches it), and deleting the tail and rewriting the head to match (the rows catch it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyrage
import pytest
from sqlmodel import col, select

from fieldkit.bundle import make_enrolment, make_receipt
from fieldkit.crypto.identity import SigningKey
from fieldkit.services import enrolment, exporting, receipts, records, vaults
from fieldkit.services import forms as form_service
from fieldkit.vault import audit
from fieldkit.vault.models import AuditRow, BundleRow, RevisionRow, SettingRow
from tests.conftest import DATA, PASSPHRASE, all_types_answers

NEW_PASSPHRASE = "quartz lantern heron meadow 77"


@dataclass
class Story:
    """A vault with a hand of helpers to perform each audited action."""

    vault: Any
    tmp: Path
    hq_key: SigningKey
    hq_ingest: Any

    def record(self, *, final: bool) -> str:
        return str(records.create(self.vault, "all-types", all_types_answers(), final=final))

    def enrol(self) -> None:
        document = make_enrolment(
            hq_key=self.hq_key,
            hq_name="Mission HQ",
            ingest_recipient=str(self.hq_ingest.to_public()),
        )
        path = self.tmp / "enrolment.fke"
        path.write_bytes(document)
        enrolment.enroll(self.vault, path)

    def export(self) -> exporting.ExportResult:
        self.enrol()
        self.record(final=True)
        stick = self.tmp / "stick"
        stick.mkdir(exist_ok=True)
        return exporting.export(self.vault, stick)

    def receipt(self) -> None:
        result = self.export()
        with self.vault.read() as session:
            bundle = session.get(BundleRow, result.sequence)
            hashes = [
                r.sha256
                for r in session.exec(
                    select(RevisionRow).where(RevisionRow.bundle_seq == result.sequence)
                )
            ]
        identity = vaults.device_identity(self.vault)
        assert bundle is not None
        path = self.tmp / "receipt.fkr"
        path.write_bytes(
            make_receipt(
                hq_key=self.hq_key,
                device_recipient=identity.age_recipient,
                bundle_id=bundle.bundle_id,
                manifest_sha256=bundle.manifest_sha256,
                device_key_id=identity.key_id,
                sequence=bundle.seq,
                accepted=hashes,
                known=[],
            )
        )
        receipts.import_receipt(self.vault, path)


def _form_installed(story: Story) -> None:
    text = (DATA / "forms" / "all-types.yaml").read_text(encoding="utf-8")
    path = story.tmp / "all-types-2.yaml"
    path.write_text(text.replace('version: "1"', 'version: "2"', 1), encoding="utf-8")
    assert form_service.install_file(story.vault, path).installed


def _record_created(story: Story) -> None:
    story.record(final=False)


def _record_finalized(story: Story) -> None:
    records.finalize(story.vault, story.record(final=False))


def _record_amended(story: Story) -> None:
    record_id = story.record(final=True)
    records.start_amendment(story.vault, record_id)
    records.finalize(story.vault, record_id)


def _draft_discarded(story: Story) -> None:
    assert records.discard_draft(story.vault, story.record(final=False))


def _passphrase_changed(story: Story) -> None:
    vaults.change_passphrase(story.vault.folder, PASSPHRASE, NEW_PASSPHRASE, story.vault)


def _failed_unlocks(story: Story) -> None:
    vaults.unlock_vault(story.vault.folder, PASSPHRASE, failed_attempts=3).close()


def _purged(story: Story) -> None:
    receipts.set_purge(story.vault, True)
    story.receipt()


STEPS: dict[str, Callable[[Story], None]] = {
    audit.Action.FORM_INSTALLED: _form_installed,
    audit.Action.RECORD_CREATED: _record_created,
    audit.Action.RECORD_FINALIZED: _record_finalized,
    audit.Action.RECORD_AMENDED: _record_amended,
    audit.Action.DRAFT_DISCARDED: _draft_discarded,
    audit.Action.PASSPHRASE_CHANGED: _passphrase_changed,
    audit.Action.FAILED_UNLOCKS: _failed_unlocks,
    audit.Action.ENROLLED: Story.enrol,
    audit.Action.EXPORTED: lambda story: story.export() and None,
    audit.Action.RECEIPT_IMPORTED: Story.receipt,
    audit.Action.PURGED: _purged,
}
LEAVES_A_ROW = [
    audit.Action.FORM_INSTALLED,
    audit.Action.RECORD_CREATED,
    audit.Action.RECORD_FINALIZED,
    audit.Action.RECORD_AMENDED,
    audit.Action.ENROLLED,
    audit.Action.EXPORTED,
    audit.Action.RECEIPT_IMPORTED,
    audit.Action.PURGED,
]


@pytest.fixture
def story(vault: Any, tmp_path: Path) -> Story:
    return Story(vault, tmp_path, SigningKey.generate(), pyrage.x25519.Identity.generate())


def _last_actions(vault: Any) -> list[str]:
    with vault.read() as session:
        rows = session.exec(select(AuditRow).order_by(col(AuditRow.seq)))
        return [row.action for row in rows]


def _verify(vault: Any) -> audit.AuditReport:
    with vault.read() as session:
        return audit.verify(session)


def _cut_tail(vault: Any, n: int, *, rewrite_head: bool = False) -> None:
    """What someone editing the database file could do: drop the guard and the last n entries;
    with ``rewrite_head``, also make the recorded head match the shortened log."""
    with vault.write() as session:
        conn = session.connection()
        conn.exec_driver_sql("DROP TRIGGER audit_no_delete")
        conn.exec_driver_sql("DELETE FROM audit WHERE seq > (SELECT max(seq) FROM audit) - ?", (n,))
        if rewrite_head:
            last = conn.exec_driver_sql(
                "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
            ).first()
            assert last is not None
            conn.exec_driver_sql(
                "UPDATE setting SET value = ? WHERE key = ?",
                (audit.head_value(last[0], last[1]), audit.HEAD_SETTING),
            )


def test_every_append_records_the_head_in_its_transaction(story: Story) -> None:
    _record_amended(story)
    with story.vault.read() as session:
        last = session.exec(select(AuditRow).order_by(col(AuditRow.seq).desc())).first()
        head = json.loads(session.get(SettingRow, audit.HEAD_SETTING).value)  # type: ignore[union-attr]
    assert last is not None and head == {"seq": last.seq, "hash": last.hash}
    assert _verify(story.vault).ok


@pytest.mark.parametrize("action", list(STEPS))
def test_deleting_the_last_entry_of_each_action_is_detected(story: Story, action: str) -> None:
    STEPS[action](story)
    assert _last_actions(story.vault)[-1] == action
    assert _verify(story.vault).ok, _verify(story.vault).problems
    _cut_tail(story.vault, 1)
    report = _verify(story.vault)
    assert not report.ok
    assert any("1 entry is missing from its end" in p for p in report.problems), report.problems


@pytest.mark.parametrize("action", LEAVES_A_ROW)
def test_the_rows_an_action_left_betray_its_deleted_entry_even_with_a_forged_head(
    story: Story, action: str
) -> None:
    STEPS[action](story)
    _cut_tail(story.vault, 1, rewrite_head=True)
    report = _verify(story.vault)
    assert not report.ok
    assert not any("missing from its end" in p for p in report.problems)
    assert any("has no audit entry" in p for p in report.problems), report.problems


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_deleting_the_last_n_entries_is_detected(story: Story, n: int) -> None:
    for action in (
        audit.Action.RECORD_AMENDED,
        audit.Action.FAILED_UNLOCKS,
        audit.Action.DRAFT_DISCARDED,
        audit.Action.PASSPHRASE_CHANGED,
    ):
        STEPS[action](story)
    total = len(_last_actions(story.vault))
    _cut_tail(story.vault, n)
    report = _verify(story.vault)
    assert any(
        f"ends at entry {total - n}, but entry {total} was written" in p for p in report.problems
    ), report.problems


def test_the_review_case_passphrase_change_and_form_install_at_the_end(story: Story) -> None:
    """From the review: deleting a trailing passphrase_changed and form_installed on a copy."""
    _passphrase_changed(story)
    _form_installed(story)
    assert _last_actions(story.vault)[-2:] == ["passphrase_changed", "form_installed"]
    _cut_tail(story.vault, 2)
    report = _verify(story.vault)
    assert any("2 entries are missing from its end" in p for p in report.problems)
    assert any("form 'all-types' version 2 has no audit entry" in p for p in report.problems)


def test_deleting_every_entry_or_the_head_is_detected(story: Story) -> None:
    total = len(_last_actions(story.vault))
    _cut_tail(story.vault, total)
    report = _verify(story.vault)
    assert report.entries == 0
    assert any("missing from its end" in p for p in report.problems)
    with story.vault.write() as session:
        session.connection().exec_driver_sql(
            "DELETE FROM setting WHERE key = ?", (audit.HEAD_SETTING,)
        )
    assert not _verify(story.vault).ok  # the vault's own rows still name their entries


def test_a_deleted_head_setting_is_detected(story: Story) -> None:
    with story.vault.write() as session:
        session.connection().exec_driver_sql(
            "DELETE FROM setting WHERE key = ?", (audit.HEAD_SETTING,)
        )
    report = _verify(story.vault)
    assert any("recorded end of the log is missing" in p for p in report.problems)


def test_a_head_that_does_not_match_the_last_entry_is_detected(story: Story) -> None:
    total = len(_last_actions(story.vault))
    with story.vault.write() as session:
        session.connection().exec_driver_sql(
            "UPDATE setting SET value = ? WHERE key = ?",
            (audit.head_value(total, "f" * 64), audit.HEAD_SETTING),
        )
    report = _verify(story.vault)
    assert any("not the entry recorded as the end" in p for p in report.problems)
