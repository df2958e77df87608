"""The record editor: a draft (new record or amendment) saved as the user types, then sealed.

Autosave: every change restarts a 400 ms timer; when it fires, the readable answers go to
``records.save_draft`` on the main thread (a save takes about a millisecond). :meth:`flush`
saves at once; the shell calls it before locking and on closing, and the Close button and
:meth:`closeEvent` call it too. Typing the domain cannot read yet (``-`` in a number, half a
position) stays in its widget with its message and is left out of the draft until it can be
read. After :meth:`clear` (on lock) the editor is inert: it never saves again.

Keyboard: Tab runs through the form's fields, then Discard, Close and Finalize, and from there
leaves the editor for the rest of the window (or, when nothing else there takes the focus, comes
back to the first field). The renderer keeps the buttons linked after its last field whenever its
structure changes. Ctrl+Return (or Ctrl+Enter) asks to finalize from anywhere in the editor.
Beside the form, the outline lists its sections (see :mod:`.outline`): Ctrl+Page Down and
Ctrl+Page Up go to the next and previous section, Ctrl+Shift+O puts the focus on the outline
(it is not a Tab stop, so that Tab keeps to the form).

The editor never puts record content into a window title or a notification.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from fieldkit.domain.validation import Problem
from fieldkit.errors import FieldkitError
from fieldkit.gui.bidi import isolate
from fieldkit.gui.forms.outline import FormOutline
from fieldkit.gui.forms.problems_dialog import ProblemsDialog
from fieldkit.gui.forms.renderer import FormRenderer
from fieldkit.gui.tasks import TaskRunner
from fieldkit.i18n import N_, _, ngettext
from fieldkit.services import records
from fieldkit.vault.store import Vault

log = logging.getLogger(__name__)

AUTOSAVE_MS = 400
FINALIZE_KEYS = ("Ctrl+Return", "Ctrl+Enter")
"""Finalize from anywhere in the editor (Enter is the keypad's Return)."""
NEXT_SECTION_KEYS = "Ctrl+PgDown"
PREVIOUS_SECTION_KEYS = "Ctrl+PgUp"
OUTLINE_KEYS = "Ctrl+Shift+O"
"""Focus the outline of the form's sections."""
SEAL_QUESTION = N_(
    "Seal this record? A sealed revision can never be changed; corrections become amendments."
)


class RecordEditor(QWidget):
    finalized = Signal(str)
    """The record id, after its draft was sealed."""
    closed = Signal()
    discarded = Signal(str)

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
        self._dirty = False
        self._active = False
        self.renderer: FormRenderer | None = None
        self.outline: FormOutline | None = None
        self.pending_dialog: QWidget | None = None
        """The dialog waiting for an answer (problems, confirmation), if any."""
        self._dialogs: list[QMessageBox | ProblemsDialog] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(AUTOSAVE_MS)
        self._timer.timeout.connect(self._save)

        self.title = QLabel(self)
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.kind = QLabel(self)
        self.status = QLabel(self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        self.status.setAccessibleName(_("Save status"))
        self.finalize_button = QPushButton(_("Finalize…"), self)
        self.finalize_button.clicked.connect(self.request_finalize)
        self.discard_button = QPushButton(_("Discard draft…"), self)
        self.discard_button.clicked.connect(self.request_discard)
        self.close_button = QPushButton(_("Close"), self)
        self.close_button.clicked.connect(self.request_close)
        self.finalize_action = QAction(self)
        self.finalize_action.setShortcuts([QKeySequence(keys) for keys in FINALIZE_KEYS])
        self.finalize_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.finalize_action.triggered.connect(self.request_finalize)
        self.addAction(self.finalize_action)
        for keys, go in (
            (NEXT_SECTION_KEYS, lambda: self._step_section(1)),
            (PREVIOUS_SECTION_KEYS, lambda: self._step_section(-1)),
            (OUTLINE_KEYS, self.focus_outline),
        ):
            action = QAction(self)
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(go)
            self.addAction(action)
        shortcut = QKeySequence(FINALIZE_KEYS[0]).toString(QKeySequence.SequenceFormat.NativeText)
        self.finalize_button.setToolTip(
            _("Seal this record ({shortcut}).").format(shortcut=isolate(shortcut))
        )
        self.finalize_button.setAccessibleDescription(
            _("Seals this record. Shortcut: {shortcut}.").format(shortcut=shortcut)
        )

        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.kind)
        self.body = QVBoxLayout()
        footer = QHBoxLayout()
        footer.addWidget(self.status, 1)
        footer.addWidget(self.discard_button)
        footer.addWidget(self.close_button)
        footer.addWidget(self.finalize_button)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addLayout(self.body, 1)
        layout.addLayout(footer)
        self._load()

    @property
    def record_id(self) -> str:
        return self._record_id

    # -- loading ---------------------------------------------------------------------------------

    def _load(self) -> None:
        try:
            detail = records.detail(self._vault, self._record_id)
            data = detail.draft
            if data is None:
                data = records.start_amendment(self._vault, self._record_id)
            form = records.form_of(self._vault, self._record_id)
        except FieldkitError as exc:
            self._say(exc.user_message)
            self.finalize_button.setEnabled(False)
            self.discard_button.setEnabled(False)
            return
        self.title.setText(form.localized_title(self._language))
        count = detail.item.revision_count
        self.kind.setText(
            _("Amendment: will be sealed as revision {n}").format(n=count + 1)
            if count
            else _("New record (draft)")
        )
        self.renderer = FormRenderer(
            form, self._language, self._vault, runner=self._runner, parent=self
        )
        self.renderer.set_data(data)
        self.renderer.changed.connect(self._changed)
        self.renderer.set_tab_successors(self.footer_buttons())
        self.outline = FormOutline(self.renderer, self)
        self.outline.setVisible(len(self.outline.sections) > 1)
        self.outline.setAccessibleDescription(
            _("{described} Shortcut to come here: {shortcut}.").format(
                described=self.outline.accessibleDescription(),
                shortcut=QKeySequence(OUTLINE_KEYS).toString(
                    QKeySequence.SequenceFormat.NativeText
                ),
            )
        )
        beside = QHBoxLayout()
        beside.addWidget(self.outline)
        beside.addWidget(self.renderer, 1)
        self.body.addLayout(beside)
        self._active = True
        self._say(_("All changes saved."))
        if self.renderer.added_entries():
            self._changed()  # saved soon: the first victim keeps the pseudonym shown now

    # -- saving ----------------------------------------------------------------------------------

    def _changed(self) -> None:
        if not self._active:
            return
        self._dirty = True
        self._say(_("Saving…"))
        self._timer.start()

    def _save(self) -> bool:
        """Save the readable answers now; False (with the reason shown) if that failed."""
        self._timer.stop()
        if not self._active or self.renderer is None:
            return True
        data, unreadable = self.renderer.answers()
        try:
            records.save_draft(self._vault, self._record_id, data, language=self._language)
        except FieldkitError as exc:
            log.info("draft not saved: %s", type(exc).__name__)
            self._say(_("Not saved: {reason}").format(reason=exc.user_message))
            return False
        except RuntimeError:  # the vault was locked under us
            self._say(_("Not saved: the vault is locked."))
            return False
        self._dirty = False
        if unreadable:
            self._say(
                ngettext(
                    "Saved, except {n} answer that cannot be read yet (see its message).",
                    "Saved, except {n} answers that cannot be read yet (see their messages).",
                    len(unreadable),
                ).format(n=len(unreadable))
            )
        else:
            self._say(_("All changes saved."))
        return True

    def flush(self) -> None:
        """Save pending typing now (before lock, on close)."""
        if self._dirty or self._timer.isActive():
            self._save()

    def has_unsaved_changes(self) -> bool:
        return self._active and self._dirty

    def _say(self, message: str) -> None:
        self.status.setText(message)

    # -- keyboard --------------------------------------------------------------------------------

    def _step_section(self, by: int) -> None:
        if self.outline is not None and self.outline.isVisible():
            self.outline.step(by)

    def focus_outline(self) -> None:
        """Put the keyboard focus on the outline, on the section being worked on."""
        if self.outline is None or not self.outline.isVisible():
            return
        current = self.outline.current_section()
        self.outline.setCurrentRow(max(current, 0))
        self.outline.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def footer_buttons(self) -> list[QWidget]:
        """The buttons below the form, in tab order."""
        return [self.discard_button, self.close_button, self.finalize_button]

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802 - Qt's name
        """Tab from the last button leaves the editor: Qt's own chain would lead back into the
        form (its field containers stay behind in the chain when the fields are reordered)."""
        focused = QApplication.focusWidget()
        usable = [b for b in self.footer_buttons() if b.isVisibleTo(self) and b.isEnabled()]
        if not next or not usable or focused is not usable[-1]:
            return super().focusNextPrevChild(next)
        target = self._next_outside(focused) or self._first_stop()
        if target is None:
            return super().focusNextPrevChild(next)
        target.setFocus(Qt.FocusReason.TabFocusReason)
        return True

    def _next_outside(self, start: QWidget) -> QWidget | None:
        """The next widget after ``start`` in the window's focus chain that takes Tab focus and is
        not part of this editor."""
        window = self.window()
        widget = start.nextInFocusChain()
        while widget is not start and widget is not None:
            if not (widget is self or self.isAncestorOf(widget)) and _takes_tab(widget, window):
                return widget
            widget = widget.nextInFocusChain()
        return None

    def _first_stop(self) -> QWidget | None:
        chain = self.renderer.focus_chain() if self.renderer is not None else []
        return next(
            (w for w in [*chain, *self.footer_buttons()] if _takes_tab(w, self.window())), None
        )

    # -- finalizing ------------------------------------------------------------------------------

    def request_finalize(self) -> None:
        """Show the problems if there are any (and refuse), else ask to confirm sealing."""
        if not self._active or self.renderer is None:
            return
        if (self._dirty or self._timer.isActive()) and not self._save():
            return
        problems = self.renderer.show_all_problems()
        if problems:
            self._show_problems(problems)
            return
        box = QMessageBox(
            QMessageBox.Icon.Question, _("Finalize record"), _(SEAL_QUESTION), parent=self
        )
        seal = box.addButton(_("Seal"), QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)

        def answered(button: QAbstractButton) -> None:
            self.pending_dialog = None
            if button is seal:
                self._seal()

        box.buttonClicked.connect(answered)
        self._open(box)

    def _show_problems(self, problems: list[Problem]) -> None:
        if self.renderer is None:
            return
        dialog = ProblemsDialog(problems, self.renderer.describe, self)
        dialog.problem_chosen.connect(self.renderer.focus_path)
        dialog.finished.connect(self._dialog_done)
        self._open(dialog)

    def _seal(self) -> None:
        if not self._active or self.renderer is None or not self._save():
            return
        try:
            records.finalize(self._vault, self._record_id, language=self._language)
        except records.ValidationFailedError as exc:
            self._show_problems(exc.problems)
            return
        except FieldkitError as exc:
            self._warn(exc.user_message)
            return
        self._active = False
        self.renderer.mask_all()
        self._say(_("Sealed."))
        self.finalized.emit(self._record_id)

    # -- discarding and closing ------------------------------------------------------------------

    def request_discard(self) -> None:
        if not self._active:
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            _("Discard draft"),
            _("Discard this draft? What was typed since the last sealed revision is lost."),
            parent=self,
        )
        discard = box.addButton(_("Discard"), QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)

        def answered(button: QAbstractButton) -> None:
            self.pending_dialog = None
            if button is discard:
                self._discard()

        box.buttonClicked.connect(answered)
        self._open(box)

    def _discard(self) -> None:
        self._timer.stop()
        try:
            records.discard_draft(self._vault, self._record_id)
        except FieldkitError as exc:
            self._warn(exc.user_message)
            return
        self._active = False
        self._dirty = False
        if self.renderer is not None:
            self.renderer.clear()
        self.discarded.emit(self._record_id)

    def request_close(self) -> None:
        """Save, mask and close; if the last changes cannot be saved, ask first."""
        if self._active and (self._dirty or self._timer.isActive()) and not self._save():
            box = QMessageBox(
                QMessageBox.Icon.Warning,
                _("Close the editor"),
                _("The last changes could not be saved. Close anyway and lose them?"),
                parent=self,
            )
            lose = box.addButton(_("Close and lose them"), QMessageBox.ButtonRole.DestructiveRole)
            keep = box.addButton(_("Keep editing"), QMessageBox.ButtonRole.RejectRole)
            box.setDefaultButton(keep)

            def answered(button: QAbstractButton) -> None:
                self.pending_dialog = None
                if button is lose:
                    self._close_now()

            box.buttonClicked.connect(answered)
            self._open(box)
            return
        self._close_now()

    def _close_now(self) -> None:
        self._timer.stop()
        self._dirty = False
        if self.renderer is not None:
            self.renderer.mask_all()
        self.closed.emit()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.flush()
        if self.renderer is not None:
            self.renderer.mask_all()
        super().closeEvent(event)

    # -- locking ---------------------------------------------------------------------------------

    def clear(self) -> None:
        """Wipe all content from the widgets (on lock). The editor never saves afterwards."""
        self._timer.stop()
        self._active = False
        self._dirty = False
        self.pending_dialog = None
        for dialog in self._dialogs:
            dialog.reject()
            if isinstance(dialog, ProblemsDialog):
                dialog.list.clear()
            else:
                dialog.setText("")
        self._dialogs.clear()
        if self.renderer is not None:
            self.renderer.clear()
        self.status.clear()

    # -- dialogs ---------------------------------------------------------------------------------

    def _open(self, dialog: QMessageBox | ProblemsDialog) -> None:
        """Dialogs are window-modal and never block in a nested event loop. They stay children
        of the editor until it goes (deleting one on close while the shell deletes the editor
        crashes PySide), and ``clear()`` empties them."""
        self.pending_dialog = dialog
        self._dialogs.append(dialog)
        dialog.open()

    def _dialog_done(self) -> None:
        self.pending_dialog = None

    def _warn(self, message: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, _("Finalize record"), message, parent=self)
        box.addButton(QMessageBox.StandardButton.Ok)
        box.finished.connect(self._dialog_done)
        self._open(box)


def _takes_tab(widget: QWidget, window: QWidget) -> bool:
    """Whether Tab may stop at ``widget`` (as Qt decides: through its focus proxy, if any)."""
    proxy, further = widget, widget.focusProxy()
    while further is not None:
        proxy, further = further, further.focusProxy()
    if proxy is not widget and proxy.isAncestorOf(widget):
        return False  # a part of a compound widget (the line edit of a combo box)
    return (
        not widget.isWindow()
        and widget.isVisibleTo(window)
        and widget.isEnabled()
        and proxy.isEnabled()
        and bool(proxy.focusPolicy() & Qt.FocusPolicy.TabFocus)
    )
