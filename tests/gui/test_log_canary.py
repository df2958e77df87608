"""The log file never holds record content or passphrases, even when things go wrong."""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from fieldkit.app import configure_logging
from fieldkit.gui.create_vault import CreateVaultPage
from fieldkit.gui.unlock import UnlockPage
from fieldkit.services import records
from tests.gui.conftest import WAIT_MS, FakeEditor, ShellFactory

CANARY_PASSPHRASE = "canary kestrel obsidian harbour 4711"
CANARY_TEXT = "CANARY-7f3a names the informant"


@pytest.fixture
def log_file(monkeypatch: pytest.MonkeyPatch) -> Any:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    path = configure_logging()
    assert path is not None
    yield path
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
            root.removeHandler(handler)
    root.setLevel(level)


def test_no_passphrase_or_record_content_reaches_the_log(
    qtbot: Any,
    make_shell: ShellFactory,
    vault_dir: Path,
    log_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(UnlockPage, "TICK_MS", 5)
    shell = make_shell(vault_dir)
    create = shell.window.show_create()
    assert isinstance(create, CreateVaultPage)
    create.passphrase.setText(CANARY_PASSPHRASE)
    create.confirmation.setText(CANARY_PASSPHRASE + " typo")
    create.submit()
    qtbot.waitUntil(lambda: not create.working, timeout=WAIT_MS)
    create.confirmation.setText(CANARY_PASSPHRASE)
    with qtbot.waitSignal(shell.session.opened, timeout=WAIT_MS):
        create.submit()
    workspace = shell.window.workspace
    assert workspace is not None
    record_id = records.create(shell.session.vault, "attack-on-activist", {})
    qtbot.waitUntil(lambda: bool(workspace.offered_forms()), timeout=WAIT_MS)
    workspace.open_record(record_id)
    FakeEditor.made[-1].subject.setText(CANARY_TEXT)
    shell.window.lock()  # the stand-in's flush fails: "subject" is no field of this form
    page = shell.window.page
    assert isinstance(page, UnlockPage)
    page.passphrase.setText(CANARY_PASSPHRASE + " wrong")
    with qtbot.waitSignal(page.wait_started, timeout=WAIT_MS):
        page.submit()
    logged = log_file.read_text(encoding="utf-8")
    assert "lock: flush editor" in logged or "flush editor" in logged
    assert "WrongPassphraseError" in logged
    for secret in ("canary", "CANARY", "kestrel", "informant"):
        assert secret not in logged
    assert not shell.session.is_open
