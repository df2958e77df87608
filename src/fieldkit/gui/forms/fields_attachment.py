"""Files attached to a record: added through a file dialog into the encrypted vault, listed with
name and size, image thumbnails made in memory, removable.

Adding a file stores it (encrypted) in the vault at once and puts its reference
(``sha256``, ``name``, ``media_type``, ``size``) into the answers. Thumbnails of identifying
attachments are hidden (and not even decoded) until the user reveals them.

Storing a file (up to the attachment limit, 256 MiB by default) and decoding a thumbnail (up to
32 MiB) take seconds: with a task runner both run on it, so the window, the auto-lock and the
panic lock stay alive meanwhile. The field shows a busy line and takes no more files until the
files are in; a lock (``cancel_all``), the field's deletion or a new value (``set_value``) drops a
result still on its way. Without a runner (a form rendered outside the app) the work is done in
place, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from fieldkit.domain.forms import FieldDef
from fieldkit.errors import FieldkitError
from fieldkit.gui import file_choice
from fieldkit.gui.busy import BusyIndicator
from fieldkit.gui.errors import user_message
from fieldkit.gui.forms import thumbnails
from fieldkit.gui.forms.attachment_entry import AttachmentEntry
from fieldkit.gui.forms.context import RenderContext
from fieldkit.gui.forms.fields_base import FieldInput
from fieldkit.gui.tasks import TaskRunner
from fieldkit.i18n import _
from fieldkit.services import attachments
from fieldkit.vault.store import Vault


@dataclass(frozen=True)
class Stored:
    """What :func:`store_files` did: the new references, the reasons files were refused, and
    whether files were left out because the field was full."""

    refs: list[dict[str, Any]]
    problems: list[str]
    left_out: bool


def store_files(vault: Vault, paths: list[Path], known: frozenset[str], room: int | None) -> Stored:
    """Store files in the vault, at most ``room`` new ones, skipping hashes in ``known``.

    Runs on a worker: no widget, only the vault and the files."""
    refs: list[dict[str, Any]] = []
    problems: list[str] = []
    seen = set(known)
    for path in paths:
        if room is not None and len(refs) >= room:
            return Stored(refs, problems, True)
        try:
            ref = attachments.add_file(vault, path)
        except FieldkitError as exc:
            problems.append(exc.user_message)
            continue
        if ref["sha256"] in seen:
            continue
        seen.add(ref["sha256"])
        refs.append(ref)
    return Stored(refs, problems, False)


class QueuedPreviewEntry(AttachmentEntry):
    """An attached file whose thumbnail is read and decoded on the task runner."""

    def __init__(
        self,
        ref: dict[str, Any],
        vault: Vault | None,
        read_only: bool,
        runner: TaskRunner,
        parent: QWidget | None,
    ) -> None:
        super().__init__(ref, vault, read_only, parent)
        self._source = vault
        self._runner = runner
        self._wanted = False
        self._loading = False

    @property
    def loading(self) -> bool:
        return self._loading

    def show_thumbnail(self, shown: bool) -> None:
        """Start decoding when shown (the pixmap comes later); drop the pixels when hidden."""
        self._wanted = shown
        vault = self._source
        if not shown or vault is None or not self.previewable or self.has_thumbnail():
            super().show_thumbnail(shown)  # hides, or shows what is already decoded
            return
        self.thumbnail.setText(_("Loading preview…"))
        self.thumbnail.setVisible(True)
        if self._loading:
            return
        self._loading = True
        sha256 = str(self.ref["sha256"])
        self._runner.run(
            "thumbnail",
            lambda: thumbnails.thumbnail_image(vault, sha256),
            self._decoded,
            self._not_decoded,
            owner=self,
        )

    def _decoded(self, image: QImage | None) -> None:
        self._loading = False
        if not self._wanted:
            return  # hidden meanwhile: the pixels go with the image
        if image is None:
            self.thumbnail.setText(_("No preview"))
            return
        self.thumbnail.setPixmap(thumbnails.to_pixmap(image))
        self.thumbnail.setAccessibleName(_("Preview of {name}").format(name=self.name.text()))

    def _not_decoded(self, _error: BaseException) -> None:
        self._loading = False
        if self._wanted:
            self.thumbnail.setText(_("No preview"))


class AttachmentInput(FieldInput):
    MASKS_ITSELF: ClassVar[bool] = True

    def __init__(
        self,
        ctx: RenderContext,
        field: FieldDef,
        parent: QWidget | None = None,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(ctx, field, parent)
        # The runner comes as an argument, else with the render context (None outside the app).
        self._runner: TaskRunner | None = runner if runner is not None else ctx.runner
        self._generation = 0
        """Bumped by set_value: files still being stored for an older value are dropped."""
        self._adding = False
        self.entries: list[AttachmentEntry] = []
        self._revealed = not ctx.is_identifying(field)
        self.list_layout = QVBoxLayout()
        self.list_layout.setContentsMargins(0, 0, 0, 0)
        self.empty = QLabel(_("No files."), self)
        self.add_button = QPushButton(_("Add files…"), self)
        self.add_button.clicked.connect(self.add_files)
        self.add_button.setVisible(not ctx.read_only)
        self.message = QLabel(self)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.setVisible(False)
        self.progress = BusyIndicator(self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        layout.addLayout(self.list_layout)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)

    # -- adding and removing ---------------------------------------------------------------------

    @property
    def adding(self) -> bool:
        """Files are being stored in the vault (the field takes no more meanwhile)."""
        return self._adding

    def choose_files(self) -> list[str]:
        """Ask for files (Qt's own dialog, leaving no trace: see ``gui.file_choice``)."""
        title = _("Add files to {field}").format(field=self.ctx.label(self.field))
        return [str(path) for path in file_choice.open_files(self, title)]

    def add_files(self) -> None:
        vault = self.ctx.vault
        if vault is None or self.ctx.read_only or self._adding:
            return
        self._say("")
        names = self.choose_files()
        if not names or not shiboken6.isValid(self) or not vault.is_open:
            return  # cancelled, or locked while the dialog was open
        paths = [Path(name) for name in names]
        known = frozenset(str(entry.ref["sha256"]) for entry in self.entries)
        room = None if self.field.max_files is None else self.field.max_files - len(self.entries)
        generation = self._generation
        if self._runner is None:
            self._stored(generation, store_files(vault, paths, known, room))
            return
        self._set_adding(True)
        self._runner.run(
            "add attachments",
            lambda: store_files(vault, paths, known, room),
            lambda stored: self._stored(generation, stored),
            lambda error: self._not_stored(generation, error),
            owner=self,
        )

    def _stored(self, generation: int, stored: Stored) -> None:
        if generation != self._generation:
            return
        self._set_adding(False)
        added = False
        for ref in stored.refs:
            if any(entry.ref["sha256"] == ref["sha256"] for entry in self.entries):
                continue
            self._add_entry(ref)
            added = True
        problems = list(stored.problems)
        if stored.left_out:
            problems.append(_("This field takes at most {n} files.").format(n=self.field.max_files))
        self._say("\n".join(problems))
        self._sync()
        if added:
            self.notify_edited()

    def _not_stored(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self._set_adding(False)
        self._say(user_message(error))
        self._sync()

    def _set_adding(self, adding: bool) -> None:
        self._adding = adding
        if adding:
            self.progress.start(_("Adding files…"))
        else:
            self.progress.stop()
        self._sync()

    def _add_entry(self, ref: dict[str, Any]) -> None:
        entry = (
            AttachmentEntry(ref, self.ctx.vault, self.ctx.read_only, self)
            if self._runner is None
            else QueuedPreviewEntry(ref, self.ctx.vault, self.ctx.read_only, self._runner, self)
        )
        entry.remove_requested.connect(self._remove)
        self.entries.append(entry)
        self.list_layout.addWidget(entry)
        entry.show_thumbnail(self._revealed)

    def _remove(self, widget: QWidget) -> None:
        entry = next((e for e in self.entries if e is widget), None)
        if entry is None:
            return
        self.entries.remove(entry)
        entry.show_thumbnail(False)
        entry.hide()
        entry.deleteLater()
        self.add_button.setFocus()
        self._sync()
        self.notify_edited()

    def _say(self, message: str) -> None:
        self.message.setText(message)
        self.message.setVisible(bool(message))

    def _sync(self) -> None:
        self.empty.setVisible(not self.entries)
        full = self.field.max_files is not None and len(self.entries) >= self.field.max_files
        self.add_button.setEnabled(not full and not self._adding)
        self.structure_changed.emit()

    # -- value -----------------------------------------------------------------------------------

    def raw_value(self) -> Any:
        return [dict(entry.ref) for entry in self.entries] or None

    def set_value(self, stored: Any) -> None:
        self._generation += 1
        self._adding = False
        self.progress.stop()
        for entry in list(self.entries):
            entry.show_thumbnail(False)
            entry.hide()
            entry.deleteLater()
        self.entries = []
        items = stored if isinstance(stored, list) else ([] if stored is None else [stored])
        for ref in items:
            if isinstance(ref, dict):
                self._add_entry(ref)
        self._say("")
        self._sync()

    def set_revealed(self, revealed: bool) -> None:
        self._revealed = revealed
        for entry in self.entries:
            entry.show_thumbnail(revealed)

    def thumbnails_shown(self) -> int:
        return sum(1 for entry in self.entries if entry.has_thumbnail())

    def focus_widgets(self) -> list[QWidget]:
        widgets: list[QWidget] = []
        if not self.ctx.read_only:
            widgets.extend(entry.remove for entry in self.entries)
            widgets.append(self.add_button)
        return widgets

    def set_accessible(self, name: str, description: str) -> None:
        self.setAccessibleName(name)
        self.setAccessibleDescription(description)
        self.add_button.setAccessibleName(_("Add files to {field}").format(field=name))
        self.add_button.setAccessibleDescription(description)

    def focus_input(self) -> None:
        if self.add_button.isVisible():
            self.add_button.setFocus()
