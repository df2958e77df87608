"""Storing an attached file and decoding its thumbnail run on the task runner: the main thread
stays free (auto-lock and panic-lock can fire), the field shows that it is busy, the thumbnail
comes afterwards (made in memory), and a lock meanwhile drops the result."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer

from fieldkit.domain.forms import FormDefinition
from fieldkit.gui.forms import thumbnails
from fieldkit.gui.forms.context import RenderContext
from fieldkit.gui.forms.fields_attachment import AttachmentInput, QueuedPreviewEntry
from fieldkit.gui.tasks import TaskRunner
from fieldkit.services import attachments
from fieldkit.vault.store import Vault
from tests.gui.forms_support.editing import WAIT_MS, png_bytes

FORM = FormDefinition.model_validate(
    {
        "id": "one-file",
        "version": "1",
        "title": {"en": "One file"},
        "languages": ["en"],
        "fields": [{"name": "scan", "type": "attachment", "label": {"en": "Scan"}}],
    }
)


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    made = TaskRunner()
    yield made
    made.cancel_all()
    made.wait(WAIT_MS)


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "checkpoint.png"
    path.write_bytes(png_bytes(40, 30))
    return path


class Held:
    """Wraps a function so that its call waits, on its worker, until released."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.started = threading.Event()
        self.release = threading.Event()
        self.threads: list[threading.Thread] = []

    def __call__(self, *args: Any) -> Any:
        self.threads.append(threading.current_thread())
        self.started.set()
        assert self.release.wait(WAIT_MS / 1000), "never released"
        return self.real(*args)


def _field(qtbot: Any, vault: Vault, runner: TaskRunner) -> AttachmentInput:
    field = AttachmentInput(RenderContext(FORM, "en", vault), FORM.fields[0], None, runner=runner)
    qtbot.addWidget(field)
    field.show()
    return field


def _main_thread_ticks(qtbot: Any, count: int = 3) -> None:
    """Wait for a main-thread timer to fire ``count`` times (it cannot if the loop is blocked)."""
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    qtbot.waitUntil(lambda: len(ticks) >= count, timeout=WAIT_MS)
    timer.stop()


def test_adding_a_file_runs_on_the_runner_and_the_thumbnail_follows(
    qtbot: Any, vault: Vault, runner: TaskRunner, photo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = Held(attachments.add_file)
    decoded = Held(thumbnails.thumbnail_image)
    monkeypatch.setattr(attachments, "add_file", stored)
    monkeypatch.setattr(thumbnails, "thumbnail_image", decoded)
    field = _field(qtbot, vault, runner)
    monkeypatch.setattr(field, "choose_files", lambda: [str(photo)])
    edits: list[int] = []
    field.edited.connect(lambda: edits.append(1))

    qtbot.mouseClick(field.add_button, Qt.MouseButton.LeftButton)
    # Back on the main thread at once, with the worker still storing the file.
    assert stored.started.wait(WAIT_MS / 1000)
    assert field.adding
    assert field.progress.isVisibleTo(field)
    assert not field.add_button.isEnabled()
    _main_thread_ticks(qtbot)
    assert field.entries == [] and edits == []
    stored.release.set()

    qtbot.waitUntil(lambda: len(field.entries) == 1, timeout=WAIT_MS)
    assert not field.adding and not field.progress.isVisibleTo(field)
    assert field.add_button.isEnabled()
    assert edits == [1]
    [entry] = field.entries
    assert isinstance(entry, QueuedPreviewEntry)
    assert entry.name.text() == "checkpoint.png"
    # The thumbnail is decoded on a worker too; the field says it is coming.
    assert decoded.started.wait(WAIT_MS / 1000)
    assert entry.loading and field.thumbnails_shown() == 0
    assert entry.thumbnail.text() == "Loading preview…"
    _main_thread_ticks(qtbot)
    decoded.release.set()
    qtbot.waitUntil(lambda: field.thumbnails_shown() == 1, timeout=WAIT_MS)
    pixmap = entry.thumbnail.pixmap()
    assert (pixmap.width(), pixmap.height()) == (96, 72)
    main = threading.main_thread()
    assert stored.threads and all(t is not main for t in stored.threads)
    assert decoded.threads and all(t is not main for t in decoded.threads)
    assert field.raw_value() == [
        {
            "sha256": entry.ref["sha256"],
            "name": "checkpoint.png",
            "media_type": "image/png",
            "size": photo.stat().st_size,
        }
    ]


def test_a_lock_while_storing_drops_the_result(
    qtbot: Any, vault: Vault, runner: TaskRunner, photo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = Held(attachments.add_file)
    monkeypatch.setattr(attachments, "add_file", stored)
    field = _field(qtbot, vault, runner)
    monkeypatch.setattr(field, "choose_files", lambda: [str(photo)])
    edits: list[int] = []
    field.edited.connect(lambda: edits.append(1))
    qtbot.mouseClick(field.add_button, Qt.MouseButton.LeftButton)
    assert stored.started.wait(WAIT_MS / 1000)
    # What the window's lock does: wipe the views, then cancel every task.
    field.wipe()
    runner.cancel_all()
    assert not field.adding
    stored.release.set()
    assert runner.wait(WAIT_MS)
    qtbot.wait(50)  # let a late result reach the main thread, if it were to
    assert field.entries == [] and field.raw_value() is None
    assert edits == []


def test_a_hidden_thumbnail_drops_the_pixels_that_arrive_late(
    qtbot: Any, vault: Vault, runner: TaskRunner, photo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = attachments.add_file(vault, photo)
    decoded = Held(thumbnails.thumbnail_image)
    monkeypatch.setattr(thumbnails, "thumbnail_image", decoded)
    field = _field(qtbot, vault, runner)
    field.set_value([ref])
    assert decoded.started.wait(WAIT_MS / 1000)
    field.set_revealed(False)  # masked before the image came
    decoded.release.set()
    assert runner.wait(WAIT_MS)
    qtbot.waitUntil(lambda: not runner.busy, timeout=WAIT_MS)
    assert field.thumbnails_shown() == 0
    assert not field.entries[0].thumbnail.isVisibleTo(field)
    field.set_revealed(True)  # shown again: decoded afresh, never kept while hidden
    qtbot.waitUntil(lambda: field.thumbnails_shown() == 1, timeout=WAIT_MS)
    assert len(decoded.threads) == 2
