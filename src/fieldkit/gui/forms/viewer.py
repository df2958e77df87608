"""The record viewer: the newest sealed answers, read-only (identifying answers masked until
revealed, image attachments with thumbnails made in memory), the revision history, and Amend."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from fieldkit.errors import FieldkitError
from fieldkit.gui.forms.history import WARNING_STYLE, RevisionHistory, status_text
from fieldkit.gui.forms.renderer import FormRenderer
from fieldkit.gui.tasks import TaskRunner
from fieldkit.i18n import _
from fieldkit.services import records, vaults
from fieldkit.vault.store import Vault


class RecordViewer(QWidget):
    amend_requested = Signal(str)
    closed = Signal()

    def __init__(
        self,
        vault: Vault,
        record_id: str,
        language: str,
        parent: QWidget | None = None,
        runner: TaskRunner | None = None,
    ) -> None:
        super().__init__(parent)
        self._vault = vault
        self._runner = runner
        self._record_id = record_id
        self._language = language
        self.renderer: FormRenderer | None = None
        self.title = QLabel(self)
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.state = QLabel(self)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setVisible(False)
        self.history = RevisionHistory(self)
        self.tabs = QTabWidget(self)
        self.amend_button = QPushButton(_("Amend…"), self)
        self.amend_button.setToolTip(
            _("Correct this record: the corrections become a new revision.")
        )
        self.amend_button.clicked.connect(lambda: self.amend_requested.emit(self._record_id))
        self.close_button = QPushButton(_("Close"), self)
        self.close_button.clicked.connect(self._close)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.state)
        footer = QHBoxLayout()
        footer.addStretch(1)
        footer.addWidget(self.close_button)
        footer.addWidget(self.amend_button)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(footer)
        self._load()

    @property
    def record_id(self) -> str:
        return self._record_id

    def _load(self) -> None:
        try:
            detail = records.detail(self._vault, self._record_id)
            form = records.form_of(self._vault, self._record_id)
        except FieldkitError as exc:
            self._say(exc.user_message)
            self.amend_button.setEnabled(False)
            return
        try:
            identity = vaults.device_identity(self._vault)
            own_key, own_name = identity.key_id, identity.device_name
        except FieldkitError:
            own_key, own_name = None, ""
        self.title.setText(form.localized_title(self._language))
        self.state.setText(status_text(detail.item.status))
        self.renderer = FormRenderer(
            form, self._language, self._vault, read_only=True, runner=self._runner, parent=self
        )
        if detail.sealed is not None:
            self.renderer.set_data(detail.sealed)
        elif detail.revisions:
            self._say(_("The content of this record was purged after HQ acknowledged it."))
        else:
            self._say(_("This record has not been sealed yet."))
        self.amend_button.setEnabled(detail.sealed is not None)
        self.history.show_revisions(detail.revisions, own_key, own_name)
        self.tabs.addTab(self.renderer, _("Answers"))
        self.tabs.addTab(self.history, _("History"))
        if not detail.chain_valid:
            self.message.setStyleSheet(WARNING_STYLE)
            self._say(
                _(
                    "Warning: this record's revisions do not verify (a signature or the chain of "
                    "hashes is broken). See the history; do not rely on it, and tell HQ."
                )
            )

    def _say(self, message: str) -> None:
        self.message.setText(message)
        self.message.setVisible(bool(message))

    def _close(self) -> None:
        if self.renderer is not None:
            self.renderer.mask_all()
        self.closed.emit()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self.renderer is not None:
            self.renderer.mask_all()
        super().closeEvent(event)

    def clear(self) -> None:
        """Wipe all content from the widgets (on lock)."""
        if self.renderer is not None:
            self.renderer.clear()
        self.history.clear()
        self._say("")
