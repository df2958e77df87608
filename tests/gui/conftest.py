"""GUI test fixtures: offscreen Qt, a shell wired as the composition root wires it, stand-ins for
the record editor and viewer, and vaults made through the services."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QApplication, QLineEdit, QVBoxLayout, QWidget

from fieldkit.app import Desktop
from fieldkit.app import build as build_desktop
from fieldkit.gui.editors import Documents
from fieldkit.gui.window import apply_language
from fieldkit.i18n import set_language
from fieldkit.services import drives, preferences, records, vaults
from fieldkit.services import forms as form_service
from fieldkit.services.drives import Drive
from tests.conftest import DATA, PASSPHRASE, MemoryKeyring, use_keyring

WAIT_MS = 10_000


class FakeEditor(QWidget):
    """Stands in for fieldkit.gui.forms.editor.RecordEditor: one text field for ``subject``."""

    finalized = Signal(str)
    closed = Signal()
    discarded = Signal(str)
    made: list[FakeEditor] = []  # noqa: RUF012 - a registry the tests read

    def __init__(
        self,
        vault: Any,
        record_id: str,
        language: str,
        parent: QWidget | None = None,
        runner: Any = None,
    ):
        super().__init__(parent)
        self.vault, self.record_id, self.language = vault, record_id, language
        self.subject = QLineEdit(records.detail(vault, record_id).data.get("subject", ""))
        self.subject.setAccessibleName("Subject")
        QVBoxLayout(self).addWidget(self.subject)
        self.setFocusProxy(self.subject)
        self.flushes = 0
        self.cleared = False
        FakeEditor.made.append(self)

    def flush(self) -> None:
        self.flushes += 1
        records.save_draft(self.vault, self.record_id, {"subject": self.subject.text()})

    def clear(self) -> None:
        self.subject.clear()
        self.cleared = True


class FakeViewer(QWidget):
    amend_requested = Signal(str)
    closed = Signal()
    made: list[FakeViewer] = []  # noqa: RUF012 - a registry the tests read

    def __init__(
        self,
        vault: Any,
        record_id: str,
        language: str,
        parent: QWidget | None = None,
        runner: Any = None,
    ):
        super().__init__(parent)
        self.record_id = record_id
        self.cleared = False
        FakeViewer.made.append(self)

    def clear(self) -> None:
        self.cleared = True


FAKES = Documents(editor=FakeEditor, viewer=FakeViewer)


Shell = Desktop


ShellFactory = Callable[..., Shell]


@pytest.fixture
def make_shell(qtbot: Any) -> Iterator[ShellFactory]:
    """Build the shell with ``fieldkit.app.build``, by default with editor and viewer stand-ins."""
    made: list[Shell] = []
    FakeEditor.made.clear()
    FakeViewer.made.clear()

    def build(
        folder: Path, documents: Documents = FAKES, start: bool = True, sync: Any = None
    ) -> Shell:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        shell = build_desktop(app, folder, preferences.load(), documents, sync)
        window = shell.window
        qtbot.addWidget(window)
        if start:
            window.start()
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        made.append(shell)
        return shell

    yield build
    app = QApplication.instance()
    assert app is not None
    for shell in made:
        shell.window.lock()
        shell.runner.cancel_all()
        shell.runner.wait(WAIT_MS)
        app.removeEventFilter(shell.idle)
        shell.session.close()
    set_language("en")
    apply_language()  # Qt's own catalogue and default locale back to English for the next test
    QApplication.setLayoutDirection(Qt.LayoutDirection.LeftToRight)


@pytest.fixture
def vault_folder(vault_dir: Path) -> Path:
    """A locked vault with the shipped forms and the all-types test form."""
    vault = vaults.create_vault(vault_dir, PASSPHRASE, device_name="test laptop")
    try:
        with vault.write() as session:
            form_service.install(
                session, form_service.read_form_file(DATA / "forms" / "all-types.yaml")
            )
    finally:
        vault.close()
    return vault_dir


def fill(folder: Path, subjects: list[str], **answers: Any) -> None:
    """Add all-types drafts with these subjects (through the services)."""
    vault = vaults.unlock_vault(folder, PASSPHRASE)
    try:
        lines = [(i + 1, {"subject": s, **answers}) for i, s in enumerate(subjects)]
        records.import_lines(vault, "all-types", lines)
    finally:
        vault.close()


def unlock(qtbot: Any, shell: Shell) -> None:
    """Open the vault as the unlock page does on success, and wait for the list to load."""
    shell.session.open(vaults.unlock_vault(shell.session.folder, PASSPHRASE))
    workspace = shell.window.workspace
    assert workspace is not None
    model = workspace.records.model
    qtbot.waitUntil(lambda: bool(workspace.offered_forms()) and not model.loading, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not shell.runner.busy, timeout=WAIT_MS)


@pytest.fixture
def unlocked(make_shell: ShellFactory, vault_folder: Path, qtbot: Any) -> Shell:
    shell = make_shell(vault_folder)
    unlock(qtbot, shell)
    return shell


@pytest.fixture(autouse=True)
def _no_wait_in_unlock_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The unlock page's countdown is shortened by the tests that make it run (TICK_MS); the
    rest of the real wait, which its task would sleep, is skipped with it."""
    from fieldkit.gui import unlock

    monkeypatch.setattr(unlock, "_sleep", lambda _seconds: None)


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Any:
    backend = MemoryKeyring()
    use_keyring(monkeypatch, backend)
    return backend


@pytest.fixture
def stick(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder that the drive finder reports as the one USB stick plugged in."""
    folder = tmp_path / "KINGSTON"
    folder.mkdir()
    found = [Drive(folder, "KINGSTON", 3_200_000_000, 16_000_000_000)]
    monkeypatch.setattr(drives, "removable_drives", lambda: list(found))
    return folder
