"""What the shell needs of the record editor and viewer (``fieldkit.gui.forms``), and how it makes
them. The composition root passes the real ones; tests may pass small stand-ins."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from fieldkit.gui.tasks import TaskRunner
    from fieldkit.vault.store import Vault


class Editor(Protocol):
    """The record editor: a draft, or a sealed record being amended."""

    @property
    def finalized(self) -> SignalInstance: ...  # (record id)
    @property
    def closed(self) -> SignalInstance: ...
    @property
    def discarded(self) -> SignalInstance: ...  # (record id)
    def flush(self) -> None: ...  # save pending typing now
    def clear(self) -> None: ...  # wipe every answer from the widgets


class Viewer(Protocol):
    """The read-only view of a sealed record."""

    @property
    def amend_requested(self) -> SignalInstance: ...  # (record id)
    @property
    def closed(self) -> SignalInstance: ...
    def clear(self) -> None: ...


EditorFactory = Callable[["Vault", str, str, QWidget | None, "TaskRunner | None"], Editor]
ViewerFactory = Callable[["Vault", str, str, QWidget | None, "TaskRunner | None"], Viewer]


@dataclass(frozen=True)
class Documents:
    """Makes editors and viewers: (vault, record id, language, parent, task runner) -> widget."""

    editor: EditorFactory
    viewer: ViewerFactory


def _editor(
    vault: Vault, record_id: str, language: str, parent: QWidget | None, runner: TaskRunner | None
) -> Editor:
    from fieldkit.gui.forms.editor import RecordEditor

    return RecordEditor(vault, record_id, language, parent, runner)


def _viewer(
    vault: Vault, record_id: str, language: str, parent: QWidget | None, runner: TaskRunner | None
) -> Viewer:
    from fieldkit.gui.forms.viewer import RecordViewer

    return RecordViewer(vault, record_id, language, parent, runner)


def real_documents() -> Documents:
    """The editor and viewer of ``fieldkit.gui.forms``, imported when first used."""
    return Documents(editor=_editor, viewer=_viewer)
