"""The unlocked workspace: the record list, and the one open record (editor or viewer) in its place.

Drafts and records being amended open in the editor; sealed records open in the viewer, whose
"Amend" opens the editor. Closing, finalizing or discarding brings the list back, refreshed.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QStackedWidget, QWidget

from fieldkit.domain.records import RecordStatus
from fieldkit.errors import FieldkitError
from fieldkit.gui.editors import Documents, Editor, Viewer
from fieldkit.gui.errors import log_failure, show_error
from fieldkit.gui.form_picker import FormPickerDialog
from fieldkit.gui.records_page import RecordsPage
from fieldkit.gui.session import VaultSession
from fieldkit.gui.tasks import TaskRunner
from fieldkit.i18n import current_language
from fieldkit.services import forms as form_service
from fieldkit.services import records
from fieldkit.services.forms import FormSummary
from fieldkit.vault.store import Vault

log = logging.getLogger(__name__)


def _forms_of(vault: Vault, language: str) -> list[FormSummary]:
    return form_service.list_installed(vault, language)


class Workspace(QStackedWidget):
    title_changed = Signal(str)
    """The name of the open record's form, or "" on the list (never record content)."""
    ready = Signal()
    """The forms are known and the list is loading."""
    sealed = Signal()
    """A record was sealed: there is something new to send."""

    def __init__(
        self,
        session: VaultSession,
        runner: TaskRunner,
        documents: Documents,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._runner = runner
        self._documents = documents
        self._forms: list[FormSummary] = []
        self._editor: Editor | None = None
        self._viewer: Viewer | None = None
        self._document: QWidget | None = None
        self.records = RecordsPage(runner)
        self.records.open_requested.connect(self.open_record)
        self.addWidget(self.records)
        self.picker: FormPickerDialog | None = None

    # -- after unlock ---------------------------------------------------------------------------

    def start(self) -> None:
        vault, language = self._session.vault, current_language()
        self._runner.run(
            "list forms",
            lambda: _forms_of(vault, language),
            self._forms_in,
            self._error,
            owner=self,
        )

    def _forms_in(self, forms: list[FormSummary]) -> None:
        if not self._session.is_open:
            return
        self._forms = forms
        titles = {f.form_id: f.title for f in forms if f.current}
        offered = sorted(titles.items(), key=lambda pair: pair[1].casefold())
        self.records.start(self._session.vault, titles, offered)
        self.ready.emit()

    def offered_forms(self) -> list[tuple[str, str]]:
        return sorted(
            ((f.form_id, f.title) for f in self._forms if f.current),
            key=lambda pair: pair[1].casefold(),
        )

    def signed_forms(self) -> frozenset[str]:
        """The ids of the offered forms whose offered version the enrolled HQ signed."""
        return frozenset(f.form_id for f in self._forms if f.current and f.signed_by)

    # -- new and open ---------------------------------------------------------------------------

    def new_record(self) -> FormPickerDialog:
        """Ask for a form; the chosen one gets a new draft, opened in the editor."""
        self.close_document()
        picker = FormPickerDialog(self.offered_forms(), self, signed=self.signed_forms())
        picker.accepted.connect(lambda: self._create(picker.chosen()))
        picker.finished.connect(self._picker_closed)
        self.picker = picker
        picker.open()
        return picker

    def _picker_closed(self) -> None:
        if self.picker is not None:
            self.picker.deleteLater()
        self.picker = None

    def _create(self, form_id: str | None) -> None:
        if form_id is None or not self._session.is_open:
            return
        vault, language = self._session.vault, current_language()
        self._runner.run(
            "new record",
            lambda: records.create(vault, form_id, {}, language=language),
            lambda record_id: self._open_editor(record_id, self._title_of_form(form_id)),
            self._error,
            owner=self,
        )

    def open_record(self, record_id: str) -> None:
        """Drafts and amendments in the editor, sealed records in the viewer."""
        if not self._session.is_open:
            return
        item = self.records.model.find(record_id)
        if item is None:  # not loaded in the list
            try:
                item = records.detail(self._session.vault, record_id).item
            except FieldkitError as error:
                show_error(self, error)
                return
        title = self._title_of_form(item.form_id)
        if item.status != RecordStatus.DRAFT and not item.has_draft:
            self._open_viewer(record_id, title)
        else:
            self._open_editor(record_id, title)

    def _open_editor(self, record_id: str, title: str) -> None:
        if not self._session.is_open:
            return
        self.close_document()
        try:
            editor = self._documents.editor(
                self._session.vault, record_id, current_language(), self, self._runner
            )
        except Exception as error:  # the editor could not load the record
            log_failure("open editor", error)
            show_error(self, error)
            return
        editor.finalized.connect(lambda _id: self._back_to_list())
        editor.finalized.connect(lambda _id: self.sealed.emit())
        editor.discarded.connect(lambda _id: self._back_to_list())
        editor.closed.connect(self._back_to_list)
        self._editor = editor
        self._show_document(editor, title)

    def _open_viewer(self, record_id: str, title: str) -> None:
        if not self._session.is_open:
            return
        self.close_document()
        try:
            viewer = self._documents.viewer(
                self._session.vault, record_id, current_language(), self, self._runner
            )
        except Exception as error:  # the viewer could not load the record
            log_failure("open viewer", error)
            show_error(self, error)
            return
        viewer.amend_requested.connect(lambda amended: self._open_editor(amended, title))
        viewer.closed.connect(self._back_to_list)
        self._viewer = viewer
        self._show_document(viewer, title)

    def _show_document(self, document: Editor | Viewer, title: str) -> None:
        widget = document if isinstance(document, QWidget) else None
        if widget is None:
            raise TypeError("an editor or viewer must be a QWidget")
        self._document = widget
        self.addWidget(widget)
        self.setCurrentWidget(widget)
        widget.setFocus()
        self.title_changed.emit(title)

    def _title_of_form(self, form_id: str) -> str:
        return next((f.title for f in self._forms if f.form_id == form_id and f.current), "")

    @property
    def editor(self) -> Editor | None:
        return self._editor

    @property
    def viewer(self) -> Viewer | None:
        return self._viewer

    def _back_to_list(self) -> None:
        self.close_document()
        self.records.refresh()
        self.records.table.setFocus()

    def close_document(self) -> None:
        """Save pending typing and close the open editor or viewer, if any."""
        self.flush()
        self._drop_document()

    def _drop_document(self) -> None:
        document, self._document = self._document, None
        for part in (self._editor, self._viewer):
            if part is not None:
                part.clear()
        self._editor = self._viewer = None
        if document is not None:
            self.removeWidget(document)
            document.hide()
            document.deleteLater()
        self.setCurrentWidget(self.records)
        self.title_changed.emit("")

    # -- lock -----------------------------------------------------------------------------------

    def flush(self) -> None:
        if self._editor is None:
            return
        try:
            self._editor.flush()
        except Exception as error:  # keep locking whatever happens; the log says what failed
            log_failure("flush editor", error)

    def clear(self) -> None:
        """Save pending typing, then wipe the open record and every list row (on lock)."""
        self.flush()
        self._drop_document()
        self.records.clear()
        self._forms = []

    def _error(self, error: BaseException) -> None:
        if self._session.is_open:
            show_error(self, error)
