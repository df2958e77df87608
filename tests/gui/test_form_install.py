"""Installing a form from a file in the desktop app: the reading runs on the task runner, the window
keeps answering, and the result or the one-line refusal comes back to the dialog."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer

import fieldkit.services.xlsform
from fieldkit.gui.form_install import FormInstallDialog
from fieldkit.i18n import set_language
from tests.gui.conftest import WAIT_MS, Shell, ShellFactory, unlock
from tests.gui.layout_check import assert_fits
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
    assert_fits(dialog, f"form-install-{language}")
    dialog.load(SIMPLE)
    qtbot.waitUntil(dialog.outcome.isVisible, timeout=WAIT_MS)
    qtbot.wait(20)
    assert_fits(dialog, f"form-installed-{language}")
    broken = tmp_path / "a-spreadsheet-that-is-not-an-xlsform-at-all.xlsx"
    broken.write_bytes(b"not a workbook")
    dialog.load(broken)
    qtbot.waitUntil(dialog.error.isVisible, timeout=WAIT_MS)
    qtbot.wait(20)
    assert_fits(dialog, f"form-install-refused-{language}")
