"""Installing a form from a file in the desktop app: the reading runs on the task runner, the window
keeps answering, and the result or the one-line refusal comes back to the dialog."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer

import fieldkit.services.xlsform
from fieldkit.bundle import make_enrolment, make_published_form
from fieldkit.bundle.agefile import new_identity
from fieldkit.crypto.identity import SigningKey
from fieldkit.domain.forms import FormDefinition
from fieldkit.gui.form_install import FormInstallDialog
from fieldkit.i18n import set_language
from fieldkit.services import enrolment as enrolment_service
from fieldkit.services import forms as form_service
from tests.gui.conftest import WAIT_MS, Shell, ShellFactory, unlock
from tests.gui.layout_check import settled_fits
from tests.services.test_xlsform_limits import text_row, write_sheets

SIMPLE = Path(__file__).resolve().parents[1] / "data" / "xlsform" / "simple.xlsx"


@pytest.fixture
def install_dialog(unlocked: Shell) -> FormInstallDialog:
    dialog = unlocked.window.open_form_install()
    assert isinstance(dialog, FormInstallDialog)
    return dialog


@pytest.fixture
def slow_conversion(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, ...]]:
    """The XLSForm conversion blocks on its worker until the test lets it go on."""
    entered, release = threading.Event(), threading.Event()
    convert = fieldkit.services.xlsform.convert_xlsform

    def slow(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        release.wait(WAIT_MS / 1000)
        return convert(*args, **kwargs)

    monkeypatch.setattr(fieldkit.services.xlsform, "convert_xlsform", slow)
    yield entered, release
    release.set()


def test_a_slow_xlsform_import_leaves_the_window_answering(
    qtbot: Any, unlocked: Shell, install_dialog: FormInstallDialog, slow_conversion: Any
) -> None:
    entered, release = slow_conversion
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    installed: list[Any] = []
    install_dialog.installed.connect(installed.append)

    install_dialog.load(SIMPLE)
    assert install_dialog.working and install_dialog.busy.isVisible()
    assert not install_dialog.choose.isEnabled()
    qtbot.waitUntil(entered.is_set, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: len(ticks) >= 10, timeout=WAIT_MS)  # the event loop runs meanwhile
    assert not release.is_set() and install_dialog.working and not installed

    release.set()
    qtbot.waitUntil(install_dialog.outcome.isVisible, timeout=WAIT_MS)
    timer.stop()
    assert not install_dialog.busy.isVisible() and install_dialog.choose.isEnabled()
    assert "simple_form" in install_dialog.outcome.text()
    assert "is installed" in install_dialog.outcome.text()
    assert "not carried over" in install_dialog.outcome.text()
    assert "survey, row 2 (start)" in install_dialog.dropped.toPlainText()
    assert [r.form_id for r in installed] == ["simple_form"]
    workspace = unlocked.window.workspace
    assert workspace is not None
    qtbot.waitUntil(lambda: "simple_form" in dict(workspace.offered_forms()), timeout=WAIT_MS)


def test_a_hostile_xlsform_is_refused_in_one_line_in_the_dialog(
    qtbot: Any, tmp_path: Path, install_dialog: FormInstallDialog
) -> None:
    def rows() -> Iterator[str]:
        yield text_row(f"h{i}" for i in range(1, 2001))
        for _i in range(200_000):
            yield '<row><c t="inlineStr"><is><t>x</t></is></c></row>'

    install_dialog.load(write_sheets(tmp_path / "wide.xlsx", {"survey": rows()}))
    qtbot.waitUntil(install_dialog.error.isVisible, timeout=WAIT_MS)
    message = install_dialog.error.text()
    assert message.startswith("wide.xlsx: sheet 'survey': the sheet uses more than 256 columns")
    assert "\n" not in message
    assert not install_dialog.outcome.isVisible() and not install_dialog.working


@pytest.mark.parametrize("language", ["en", "fr", "ar"])
def test_the_install_dialog_fits_in_every_language(
    qtbot: Any, make_shell: ShellFactory, vault_folder: Path, tmp_path: Path, language: str
) -> None:
    set_language(language)
    shell = make_shell(vault_folder)
    unlock(qtbot, shell)
    dialog = shell.window.open_form_install()
    assert dialog is not None
    qtbot.waitExposed(dialog)
    settled_fits(qtbot, dialog, f"form-install-{language}")
    dialog.load(SIMPLE)
    qtbot.waitUntil(dialog.outcome.isVisible, timeout=WAIT_MS)
    settled_fits(qtbot, dialog, f"form-installed-{language}")
    broken = tmp_path / "a-spreadsheet-that-is-not-an-xlsform-at-all.xlsx"
    broken.write_bytes(b"not a workbook")
    dialog.load(broken)
    qtbot.waitUntil(dialog.error.isVisible, timeout=WAIT_MS)
    settled_fits(qtbot, dialog, f"form-install-refused-{language}")


SIGNED_FORM = FormDefinition.model_validate(
    {
        "id": "hq-checkpoint",
        "version": "1",
        "title": {"en": "Checkpoint levy"},
        "languages": ["en"],
        "fields": [{"name": "amount", "type": "integer", "label": {"en": "Amount"}}],
    }
)


def _enrolled_with(shell: Shell, tmp_path: Path) -> SigningKey:
    """Pin a new HQ key on the open vault; returns that HQ's signing key."""
    hq = SigningKey.generate()
    _identity, recipient = new_identity()
    enrolment = tmp_path / "enrolment.fke"
    enrolment.write_bytes(
        make_enrolment(hq_key=hq, hq_name="Mission HQ", ingest_recipient=recipient)
    )
    enrolment_service.enroll(shell.session.vault, enrolment)
    return hq


def test_a_form_signed_by_the_enrolled_hq_installs_from_the_dialog(
    qtbot: Any, tmp_path: Path, unlocked: Shell, install_dialog: FormInstallDialog
) -> None:
    hq = _enrolled_with(unlocked, tmp_path)
    signed = tmp_path / "hq-checkpoint-1.fkf"
    signed.write_bytes(make_published_form(hq_key=hq, form=SIGNED_FORM))

    install_dialog.load(signed)

    qtbot.waitUntil(install_dialog.outcome.isVisible, timeout=WAIT_MS)
    assert "signed by your headquarters, is installed" in install_dialog.outcome.text()
    (row,) = [
        f
        for f in form_service.list_installed(unlocked.session.vault, "en")
        if f.form_id == "hq-checkpoint"
    ]
    assert row.signed_by == hq.key_id
    workspace = unlocked.window.workspace
    assert workspace is not None
    qtbot.waitUntil(lambda: "hq-checkpoint" in workspace.signed_forms(), timeout=WAIT_MS)
    install_dialog.reject()
    picker = workspace.new_record()
    shown = {
        picker.forms.item(i).data(Qt.ItemDataRole.UserRole): picker.forms.item(i).text()
        for i in range(picker.forms.count())
    }
    assert shown["hq-checkpoint"] == "Checkpoint levy (from your headquarters)"
    assert shown["attack-on-activist"] == "Attack on an activist"
    picker.reject()


def test_a_form_signed_by_another_key_is_refused_in_the_dialog(
    qtbot: Any, tmp_path: Path, unlocked: Shell, install_dialog: FormInstallDialog
) -> None:
    _enrolled_with(unlocked, tmp_path)
    forged = tmp_path / "hq-checkpoint-1.fkf"
    forged.write_bytes(make_published_form(hq_key=SigningKey.generate(), form=SIGNED_FORM))

    install_dialog.load(forged)

    qtbot.waitUntil(install_dialog.error.isVisible, timeout=WAIT_MS)
    assert install_dialog.error.text() == (
        "The form is not signed by the headquarters this device is enrolled with; it was not "
        "installed."
    )
    assert not install_dialog.outcome.isVisible()
    installed = form_service.list_installed(unlocked.session.vault, "en")
    assert "hq-checkpoint" not in {f.form_id for f in installed}
