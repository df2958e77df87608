"""Export to USB and receipts: refusals, progress, status badges, a lock during the export dialog,
and the purge policy in the settings."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from fieldkit.gui.export_dialog import ExportDialog
from fieldkit.gui.receipt_dialog import ReceiptDialog
from fieldkit.gui.records_model import BadgesRole, RecordTableModel
from fieldkit.gui.settings_dialog import SettingsDialog
from fieldkit.gui.unlock import UnlockPage
from fieldkit.services import enrolment, receipts, records
from tests.gui.conftest import WAIT_MS, Shell, unlock
from tests.gui.hq_support import Headquarters, make_hq, seal

CTRL = Qt.KeyboardModifier.ControlModifier
PANIC = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def hq(tmp_path: Path) -> Headquarters:
    return make_hq(tmp_path / "hq")


def _press(qtbot: Any, shell: Shell, key: Qt.Key, modifiers: Qt.KeyboardModifier) -> Any:
    window = shell.window
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT_MS)
    QTest.keyClick(window, key, modifiers)
    assert window.bundles is not None
    return window.bundles.dialog


def _export_dialog(qtbot: Any, shell: Shell) -> ExportDialog:
    dialog = _press(qtbot, shell, Qt.Key.Key_E, CTRL)
    assert isinstance(dialog, ExportDialog) and dialog.isVisible()
    qtbot.waitUntil(lambda: "Counting" not in dialog.summary.text(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: dialog.refresh.isEnabled(), timeout=WAIT_MS)
    return dialog


def _model(shell: Shell) -> RecordTableModel:
    assert shell.window.workspace is not None
    return shell.window.workspace.records.model


def _badges(shell: Shell) -> dict[str, tuple[str, ...]]:
    """Record title -> the status badges the list shows."""
    model = _model(shell)
    shown = {}
    for row in range(model.rowCount()):
        item = model.item(row)
        assert item is not None
        shown[item.title] = model.index(row, RecordTableModel.STATUS).data(BadgesRole)
    return shown


def _reload(qtbot: Any, shell: Shell, count: int) -> None:
    _model(shell).reload()
    qtbot.waitUntil(lambda: _model(shell).rowCount() == count, timeout=WAIT_MS)


def test_export_refuses_plainly_when_not_enrolled(qtbot: Any, unlocked: Shell, stick: Path) -> None:
    seal(unlocked.session.vault, ["Fuel levy at the ford"])
    dialog = _export_dialog(qtbot, unlocked)
    assert "not enrolled" in dialog.summary.text()
    assert dialog.drives.count() == 1 and "KINGSTON" in dialog.drives.item(0).text()
    assert not dialog.export.isEnabled()
    assert dialog.enrol.isVisibleTo(dialog)
    dialog.enrol.click()
    assert not dialog.isVisible()
    assert unlocked.window.bundles is not None
    assert type(unlocked.window.bundles.dialog).__name__ == "EnrolDialog"
    assert list(stick.iterdir()) == []


def test_export_refuses_plainly_when_nothing_waits(
    qtbot: Any, unlocked: Shell, stick: Path, hq: Headquarters
) -> None:
    vault = unlocked.session.vault
    enrolment.enroll(vault, hq.enrolment_file())
    records.create(vault, "all-types", {"subject": "a draft stays here"})
    dialog = _export_dialog(qtbot, unlocked)
    assert "Nothing to export" in dialog.summary.text()
    assert not dialog.export.isEnabled() and not dialog.enrol.isVisibleTo(dialog)


def test_export_to_a_stick_then_import_its_receipt(
    qtbot: Any, unlocked: Shell, stick: Path, hq: Headquarters, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = unlocked.session.vault
    enrolment.enroll(vault, hq.enrolment_file())
    seal(vault, ["Fuel levy at the ford", "Gold buyers at the market", "Timber convoy"])
    records.create(vault, "all-types", {"subject": "Unfinished note"})
    _reload(qtbot, unlocked, 4)
    dialog = _export_dialog(qtbot, unlocked)
    assert "3 sealed revisions will go to Mission HQ Bamako" in dialog.summary.text()
    assert dialog.drives.chosen() == stick and dialog.export.isEnabled()
    percents: list[int] = []
    dialog.progress.valueChanged.connect(percents.append)
    dialog.export.click()
    assert dialog.working and not dialog.export.isEnabled() and not dialog.close_button.isEnabled()
    QTest.keyClick(dialog, Qt.Key.Key_Escape)  # does not abandon the export
    assert dialog.isVisible()
    qtbot.waitUntil(dialog.outcome.isVisible, timeout=WAIT_MS)
    assert dialog.error.text() == ""
    assert percents and percents[-1] == 100 and percents == sorted(percents)
    (bundle,) = stick.iterdir()
    assert bundle.suffix == ".fkb"
    outcome = dialog.outcome.text()
    assert bundle.name in outcome and "3 sealed revisions exported" in outcome
    assert "bundle number 1" in outcome
    assert not dialog.export.isEnabled() and dialog.close_button.isEnabled()
    qtbot.waitUntil(
        lambda: _badges(unlocked).get("Timber convoy") == ("exported",), timeout=WAIT_MS
    )
    assert _badges(unlocked)["Fuel levy at the ford"] == ("exported",)
    assert _badges(unlocked)["Unfinished note"] == ("draft",)
    dialog.close_button.click()
    assert not dialog.isVisible()

    receipt = hq.receipt(vault, hq.open(bundle))
    importer = _press(qtbot, unlocked, Qt.Key.Key_I, CTRL)
    assert isinstance(importer, ReceiptDialog)
    monkeypatch.setattr(importer, "choose_file", lambda: receipt)
    QTest.keyClick(importer.choose, Qt.Key.Key_Space)
    qtbot.waitUntil(importer.outcome.isVisible, timeout=WAIT_MS)
    assert "acknowledged 3 sealed revisions of bundle number 1" in importer.outcome.text()
    assert "removed" not in importer.outcome.text()
    qtbot.waitUntil(
        lambda: _badges(unlocked).get("Gold buyers at the market") == ("acknowledged",),
        timeout=WAIT_MS,
    )
    assert _badges(unlocked)["Unfinished note"] == ("draft",)
    importer.load(receipt)
    qtbot.waitUntil(lambda: "already imported" in importer.outcome.text(), timeout=WAIT_MS)


def test_a_wrong_receipt_is_refused_and_changes_nothing(
    qtbot: Any, unlocked: Shell, stick: Path, hq: Headquarters, tmp_path: Path
) -> None:
    vault = unlocked.session.vault
    enrolment.enroll(vault, hq.enrolment_file())
    from fieldkit.services import exporting

    seal(vault, ["Fuel levy at the ford"])
    bundle = exporting.export(vault, stick).path
    impostor = make_hq(tmp_path / "impostor", name="Mission HQ Bamako")
    forged = impostor.receipt(vault, hq.open(bundle), name="forged.fkr")
    garbage = tmp_path / "garbage.fkr"
    garbage.write_bytes(b"not a receipt at all")
    assert unlocked.window.bundles is not None
    importer = unlocked.window.bundles.open_receipt()
    assert importer is not None
    for wrong in (forged, garbage):
        importer.load(wrong)
        qtbot.waitUntil(lambda: not importer.working, timeout=WAIT_MS)
        assert importer.error.isVisibleTo(importer) and importer.error.text()
        assert not importer.outcome.isVisibleTo(importer)
    _reload(qtbot, unlocked, 1)
    assert _badges(unlocked)["Fuel levy at the ford"] == ("exported",)


def test_a_lock_during_the_export_dialog_closes_and_clears_it(
    qtbot: Any, unlocked: Shell, stick: Path, hq: Headquarters
) -> None:
    vault = unlocked.session.vault
    enrolment.enroll(vault, hq.enrolment_file())
    seal(vault, ["Fuel levy at the ford"])
    dialog = _export_dialog(qtbot, unlocked)
    assert dialog.drives.count() == 1 and dialog.summary.text()
    QTest.keyClick(dialog.drives, Qt.Key.Key_L, PANIC)
    assert not vault.is_open and not unlocked.session.is_open
    assert not dialog.isVisible()
    assert dialog.drives.count() == 0 and dialog.summary.text() == ""
    assert isinstance(unlocked.window.page, UnlockPage)
    assert list(stick.iterdir()) == []
    unlock(qtbot, unlocked)
    assert _badges(unlocked)["Fuel levy at the ford"] == ("final",)


def test_a_lock_while_the_export_runs_leaves_records_and_stick_consistent(
    qtbot: Any, unlocked: Shell, stick: Path, hq: Headquarters, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lock does not wait for the export: the export goes on against a locked vault, which
    refuses it, so nothing is marked exported. The next export puts the same records in bundle 1,
    so headquarters sees no gap."""
    from fieldkit.services import exporting

    vault = unlocked.session.vault
    enrolment.enroll(vault, hq.enrolment_file())
    seal(vault, ["Fuel levy at the ford", "Timber convoy"])
    started, locked, ended = threading.Event(), threading.Event(), threading.Event()
    real_export = exporting.export

    def export_across_a_lock(vault: Any, folder: Path, progress: Any = None) -> Any:
        def held(done: int, total: int) -> None:
            started.set()
            assert locked.wait(WAIT_MS / 1000)
            if progress is not None:
                progress(done, total)

        try:
            return real_export(vault, folder, held)
        finally:
            ended.set()

    monkeypatch.setattr(exporting, "export", export_across_a_lock)
    dialog = _export_dialog(qtbot, unlocked)
    dialog.export.click()
    assert started.wait(WAIT_MS / 1000), "the export began"
    unlocked.window.lock()
    assert not unlocked.session.is_open and not dialog.isVisible()
    locked.set()
    assert ended.wait(WAIT_MS / 1000), "the export ended against the locked vault"
    assert [p for p in stick.iterdir() if not p.name.endswith(".fkb")] == [], "no temporary file"
    for leftover in stick.iterdir():
        hq.open(leftover)  # a bundle left on the stick is complete and valid

    monkeypatch.setattr(exporting, "export", real_export)
    unlock(qtbot, unlocked)
    _reload(qtbot, unlocked, 2)
    assert set(_badges(unlocked).values()) == {("final",)}, "nothing was marked exported"
    dialog = _export_dialog(qtbot, unlocked)
    dialog.export.click()
    qtbot.waitUntil(dialog.outcome.isVisible, timeout=WAIT_MS)
    (bundle,) = stick.iterdir()
    assert hq.open(bundle).manifest.sequence == 1
    dialog.accept()
    _reload(qtbot, unlocked, 2)
    qtbot.waitUntil(lambda: set(_badges(unlocked).values()) == {("exported",)}, timeout=WAIT_MS)


def _settings(qtbot: Any, shell: Shell) -> SettingsDialog:
    dialog = shell.window.open_settings()
    assert dialog is not None
    qtbot.waitUntil(dialog.purge.isEnabled, timeout=WAIT_MS)
    return dialog


def test_the_purge_policy_persists_and_the_receipt_says_what_it_removed(
    qtbot: Any, unlocked: Shell, stick: Path, hq: Headquarters
) -> None:
    dialog = _settings(qtbot, unlocked)
    assert not dialog.purge.isChecked()
    assert "ids, revision hashes and signatures stay" in dialog.purge_note.text()
    dialog.purge.click()
    with qtbot.waitSignal(dialog.accepted, timeout=WAIT_MS):
        dialog.submit()
    unlocked.window.lock()
    unlock(qtbot, unlocked)
    vault = unlocked.session.vault
    assert receipts.purge_policy(vault) is True
    dialog = _settings(qtbot, unlocked)
    assert dialog.purge.isChecked()
    dialog.reject()

    from fieldkit.services import exporting

    enrolment.enroll(vault, hq.enrolment_file())
    (record_id,) = seal(vault, ["Fuel levy at the ford"])
    bundle = exporting.export(vault, stick).path
    receipt = hq.receipt(vault, hq.open(bundle))
    assert unlocked.window.bundles is not None
    importer = unlocked.window.bundles.open_receipt()
    assert importer is not None
    importer.load(receipt)
    qtbot.waitUntil(importer.outcome.isVisible, timeout=WAIT_MS)
    assert "the content of 1 record was removed from this device" in importer.outcome.text()
    detail = records.detail(vault, record_id)
    assert detail.sealed is None and detail.revisions[0].purged
    assert detail.item.status == "acknowledged"
