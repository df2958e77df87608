"""The main window: which page shows (welcome, create, unlock, workspace), the actions and their
shortcuts, the window title, and locking.

Lock (Ctrl+Shift+L, the toolbar, or auto-lock after idle) saves pending typing in an open editor,
wipes every view and model, closes editors and dialogs, cancels the tasks (queued ones never
start; running ones report to nobody), closes the vault (engine disposed, key references dropped),
clears the clipboard if it holds the app's content and shows the unlock page, all at once: it
never waits on the main thread for a running task. A task that already holds the ``Vault`` cannot
start another session on it (``Vault.engine`` raises once closed); one inside a session finishes
that unit of work on its own connection, and when the tasks are over the window collects the
closed pool so that the connection is closed too. Only closing the window (at exit) waits, at most
``EXIT_WAIT_MS``, for a write in flight. The title never names more than a form.

Sending over the network runs in the background (``SyncScheduler``, one per window); its status
area is a panel and a status bar line (``SyncArea``), built at the first unlock: only the
workspace shows it, and building its table is a good part of a cold start. When headquarters
reports this device lost, the vault is erased and the window goes back to its first page, saying
why.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, Qt, QTimer, QTranslator
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QToolBar,
    QWidget,
)

from fieldkit.gui.bidi import shortcut_left_to_right
from fieldkit.gui.bundle_actions import BundleActions
from fieldkit.gui.clipboard import ClipboardGuard
from fieldkit.gui.create_vault import CreateVaultPage
from fieldkit.gui.editors import Documents
from fieldkit.gui.errors import log_failure, show_error
from fieldkit.gui.idle import IdleWatcher
from fieldkit.gui.panic import PANIC_KEYS, PanicKey
from fieldkit.gui.session import VaultSession
from fieldkit.gui.sync_scheduler import SyncScheduler
from fieldkit.gui.tasks import TaskRunner
from fieldkit.gui.unlock import UnlockPage
from fieldkit.gui.welcome import WelcomePage
from fieldkit.i18n import _, current_language, is_right_to_left, set_language
from fieldkit.services import preferences
from fieldkit.services.preferences import Preferences

if TYPE_CHECKING:
    from fieldkit.gui.form_install import FormInstallDialog
    from fieldkit.gui.settings_dialog import SettingsDialog
    from fieldkit.gui.sync_area import SyncArea
    from fieldkit.gui.workspace import Workspace

log = logging.getLogger(__name__)

APP_TITLE = "fieldkit"
EXIT_WAIT_MS = 10_000
"""How long closing the window waits for running tasks (a save, a query) before the app exits.
A lock never waits for them."""
REAP_INTERVAL_MS = 200


def apply_layout_direction() -> None:
    QApplication.setLayoutDirection(
        Qt.LayoutDirection.RightToLeft if is_right_to_left() else Qt.LayoutDirection.LeftToRight
    )


class _QtCatalogue:
    """Qt's own translation (``qtbase_<language>``) installed now, if any."""

    translator: QTranslator | None = None


def apply_language() -> None:
    """Make Qt follow fieldkit's current language: the layout direction; Qt's own strings (the
    standard buttons of message boxes and dialogs, file dialogs, the context menus of text fields,
    the calendar) from Qt's catalogue ``qtbase_<language>``, replacing the previous one; and the
    default locale, so that numbers, dates and month names follow the language too."""
    apply_layout_direction()
    language = current_language()
    QLocale.setDefault(QLocale(language))
    previous, _QtCatalogue.translator = _QtCatalogue.translator, None
    if previous is not None:
        QCoreApplication.removeTranslator(previous)
    if language == "en":  # Qt's own language
        return
    translator = QTranslator()
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load(f"qtbase_{language}", folder) and QCoreApplication.installTranslator(
        translator
    ):
        _QtCatalogue.translator = translator
    else:
        log.info("no Qt catalogue for %s: Qt's own strings stay in English", language)


class MainWindow(QMainWindow):
    def __init__(
        self,
        session: VaultSession,
        runner: TaskRunner,
        idle: IdleWatcher,
        clipboard: ClipboardGuard,
        documents: Documents,
        prefs: Preferences,
        parent: QWidget | None = None,
        scheduler: SyncScheduler | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.runner = runner
        self.idle = idle
        self.clipboard = clipboard
        self.documents = documents
        self.prefs = prefs
        self.mode = ""
        self.page: QWidget | None = None
        self.workspace: Workspace | None = None
        self.settings: SettingsDialog | None = None
        self.erased_notice: QMessageBox | None = None
        self.bundles: BundleActions | None = None
        self.sync_area: SyncArea | None = None
        self.sync = scheduler or SyncScheduler(session, runner)
        self.sync.setParent(self)
        self.sync.erased.connect(self.vault_erased)
        self.sync.delivered.connect(self.refresh_records)
        self.sync.forms_installed.connect(self._forms_changed)
        self._stack = QStackedWidget()
        self.setCentralWidget(self._stack)
        self._reaper = QTimer(self)
        self._reaper.setInterval(REAP_INTERVAL_MS)
        self._reaper.timeout.connect(self._reap)
        self.setWindowTitle(APP_TITLE)
        self.resize(1100, 720)
        session.opened.connect(self._unlocked)
        session.key_replacing.connect(self._before_key_replacement)
        idle.timed_out.connect(self._idle_lock)
        idle.set_minutes(prefs.auto_lock_minutes)
        runner.failed.connect(lambda _name, error: show_error(self, error))
        self._build_actions()
        app = QApplication.instance()
        if app is not None:
            PanicKey(app, self).pressed.connect(self.lock)

    # -- actions --------------------------------------------------------------------------------

    def _action(self, text: str, shortcut: str, slot: object) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        shortcut_left_to_right(action)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.new_action = self._action(_("New record…"), "Ctrl+N", self.new_record)
        self.find_action = self._action(_("Search records"), "Ctrl+F", self.focus_search)
        self.install_form_action = self._action(_("Install a form…"), "", self.open_form_install)
        self.settings_action = self._action(_("Settings…"), "Ctrl+,", self.open_settings)
        self.lock_action = self._action(_("Lock now"), PANIC_KEYS, self.lock)
        self.lock_action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        self.quit_action = self._action(_("Quit"), "Ctrl+Q", self.close)
        if self.bundles is not None:
            self.bundles.deleteLater()
        bundles = BundleActions(self, self.session, self.runner, self._close_document)
        bundles.records_changed.connect(self.refresh_records)
        bundles.enrolled.connect(self.sync.enrolled)
        self.bundles = bundles
        menu = self.menuBar()
        menu.clear()
        records_menu = menu.addMenu(_("&Records"))
        records_menu.addAction(self.new_action)
        records_menu.addAction(self.find_action)
        records_menu.addSeparator()
        records_menu.addAction(self.install_form_action)
        records_menu.addSeparator()
        records_menu.addAction(self.quit_action)
        vault_menu = menu.addMenu(_("&Vault"))
        vault_menu.addAction(self.lock_action)
        vault_menu.addAction(self.settings_action)
        self.headquarters_menu = menu.addMenu(_("&Headquarters"))
        bundles.fill_menu(self.headquarters_menu)
        if self.sync_area is not None:
            self.sync_area.remove()
            self.sync_area = None  # built again in the new language by _enable_actions
        self.toolbar = QToolBar(_("Main toolbar"))
        self.toolbar.setObjectName("main-toolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.setAccessibleName(_("Main toolbar"))
        for action in (
            self.new_action,
            self.find_action,
            bundles.export_action,
            bundles.receipt_action,
            self.settings_action,
            self.lock_action,
        ):
            self.toolbar.addAction(action)
        self.addToolBar(self.toolbar)
        self._enable_actions()

    def _enable_actions(self) -> None:
        unlocked = self.mode == "workspace"
        if unlocked and self.sync_area is None:
            from fieldkit.gui.sync_area import SyncArea

            self.sync_area = SyncArea(self, self.sync)
            self.sync_area.fill_menu(self.headquarters_menu)
        bundle_actions = self.bundles.actions() if self.bundles is not None else []
        if self.sync_area is not None:
            bundle_actions += self.sync_area.actions()
            self.sync_area.set_unlocked(unlocked)
        for action in (
            self.new_action,
            self.find_action,
            self.install_form_action,
            self.settings_action,
            self.lock_action,
            *bundle_actions,
        ):
            action.setEnabled(unlocked)
        self.toolbar.setVisible(unlocked)
        self.menuBar().setVisible(unlocked)

    # -- pages ----------------------------------------------------------------------------------

    def start(self) -> None:
        """The first page: unlock (trying a remembered passphrase) or, with no vault, welcome."""
        from fieldkit.vault.erased import notice_path
        from fieldkit.vault.keyfile import key_path  # what vaults.vault_exists checks, but light

        # An erased vault shows the unlock page, which says why it no longer opens.
        if key_path(self.session.folder).exists() or notice_path(self.session.folder).exists():
            self.show_unlock().try_remembered()
        else:
            self.show_welcome()

    def _show(self, mode: str, page: QWidget) -> None:
        old, self.page = self.page, page
        self.mode = mode
        self._stack.addWidget(page)
        self._stack.setCurrentWidget(page)
        if old is not None and old is not page:
            self._stack.removeWidget(old)
            old.deleteLater()
        self._enable_actions()
        self.set_form_title("")
        page.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_welcome(self) -> WelcomePage:
        page = WelcomePage()
        page.start_requested.connect(self.show_create)
        page.language_chosen.connect(self.change_language)
        self._show("welcome", page)
        return page

    def show_create(self) -> CreateVaultPage:
        page = CreateVaultPage(self.session, self.runner)
        page.back_requested.connect(self.show_welcome)
        page.language_chosen.connect(self.change_language)
        self._show("create", page)
        return page

    def show_unlock(self) -> UnlockPage:
        page = UnlockPage(self.session, self.runner)
        self._show("unlock", page)
        return page

    def _unlocked(self) -> None:
        from fieldkit.gui.workspace import Workspace

        workspace = Workspace(self.session, self.runner, self.documents)
        workspace.title_changed.connect(self.set_form_title)
        workspace.sealed.connect(self.sync.poke)
        self.workspace = workspace
        self._show("workspace", workspace)
        self.clipboard.watch()
        self.idle.start()
        workspace.start()

    def _before_key_replacement(self) -> None:
        """Save pending typing and close the open record: the vault it was opened from closes
        when the key is replaced, and the workspace is rebuilt on the new one."""
        if self.workspace is not None:
            self._step("close the open record", self.workspace.close_document)

    def set_form_title(self, form_title: str) -> None:
        """``fieldkit``, or ``fieldkit — <form name>`` while a record is open; nothing more."""
        self.setWindowTitle(f"{APP_TITLE} — {form_title}" if form_title else APP_TITLE)

    # -- workspace actions ----------------------------------------------------------------------

    def new_record(self) -> None:
        if self.workspace is not None and self.session.is_open:
            self.workspace.new_record()

    def focus_search(self) -> None:
        if self.workspace is not None:
            self.workspace.close_document()
            self.workspace.records.focus_search()

    def _close_document(self) -> None:
        """Save pending typing and close the open record (before work on the whole vault)."""
        if self.workspace is not None:
            self.workspace.close_document()

    def refresh_records(self) -> None:
        if self.workspace is not None and self.session.is_open:
            self.workspace.records.refresh()

    def open_form_install(self) -> FormInstallDialog | None:
        """The dialog that installs a form from a file; the forms offered are reloaded after."""
        if self.workspace is None or not self.session.is_open:
            return None
        from fieldkit.gui.form_install import FormInstallDialog

        dialog = FormInstallDialog(self.session, self.runner, self)
        dialog.installed.connect(lambda _result: self._forms_changed())
        dialog.open()
        return dialog

    def _forms_changed(self) -> None:
        if self.workspace is not None and self.session.is_open:
            self.workspace.start()

    def open_settings(self) -> SettingsDialog | None:
        if not self.session.is_open:
            return None
        from fieldkit.gui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.session, self.runner, self.prefs, self)
        dialog.applied.connect(self.apply_preferences)
        dialog.sync_applied.connect(self.sync.apply_settings)
        dialog.finished.connect(dialog.deleteLater)
        self.settings = dialog
        dialog.open()
        return dialog

    def apply_preferences(self, prefs: Preferences) -> None:
        self.prefs = prefs
        self.idle.set_minutes(prefs.auto_lock_minutes)
        if prefs.language and prefs.language != current_language():
            self._switch_language(prefs.language)

    def change_language(self, code: str) -> None:
        """Chosen before a vault exists: save it and rebuild the page in that language."""
        self.prefs = self.prefs.with_changes(language=code)
        preferences.save(self.prefs)
        self._switch_language(code)

    def _switch_language(self, code: str) -> None:
        set_language(code)
        apply_language()
        self.setLayoutDirection(QApplication.layoutDirection())
        for toolbar in self.findChildren(QToolBar):
            self.removeToolBar(toolbar)
            toolbar.deleteLater()
        for action in self.actions():
            self.removeAction(action)
        self._build_actions()
        if self.mode == "workspace" and self.session.is_open:
            if self.workspace is not None:
                self.workspace.close_document()
            self._unlocked()
        elif self.mode == "create":
            self.show_create()
        elif self.mode == "unlock":
            self.show_unlock()
        else:
            self.show_welcome()
        log.info("language switched to %s", code)

    # -- locking --------------------------------------------------------------------------------

    def _idle_lock(self) -> None:
        log.info("auto-lock after idle")
        self.lock()

    def lock(self) -> None:
        """Lock at once, never waiting on a running task (see the module's docstring)."""
        if not self.session.is_open:
            return
        self._tear_down()
        self.show_unlock()
        if not self.runner.wait(0):
            self._reaper.start()

    def vault_erased(self, message: str) -> None:
        """Headquarters reported this device lost and the vault was erased (its key is gone):
        clear everything as a lock does, go back to the first page and say why."""
        self._tear_down()
        self.start()
        if not self.runner.wait(0):
            self._reaper.start()
        box = QMessageBox(QMessageBox.Icon.Warning, APP_TITLE, message, parent=self)
        box.setAccessibleName(_("The vault was erased"))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _result: setattr(self, "erased_notice", None))
        self.erased_notice = box
        box.open()

    def _tear_down(self) -> None:
        self.idle.stop()
        # Each step runs whatever the one before did: the vault must end up closed.
        if self.workspace is not None:
            self._step("wipe views", self.workspace.clear)  # saves pending typing first
        self._step("close dialogs", self._close_dialogs)
        self.runner.cancel_all()  # tasks still running report to nobody
        self.session.close()
        self._step("clear clipboard", self.clipboard.clear_if_ours)
        self.workspace = None

    def _reap(self) -> None:
        """Once the tasks that ran at lock time are over, collect what they left: a connection
        they held goes back to the closed vault's pool, which only the garbage collector closes."""
        if not self.runner.wait(0):
            return
        self._reaper.stop()
        gc.collect()
        log.info("lock: the tasks running at lock time are over")

    @staticmethod
    def _step(name: str, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception as error:  # logged by type; locking goes on
            log_failure(f"lock: {name}", error)

    def _close_dialogs(self) -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog) and widget.isVisible():
                widget.reject()
        self.settings = None
        if self.bundles is not None:
            self.bundles.forget()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        self.sync.stop()
        self.lock()
        # At exit only: let a write in flight end before the process does (bounded).
        if not self.runner.wait(EXIT_WAIT_MS):
            log.warning("exit: a task was still running after %d ms", EXIT_WAIT_MS)
        event.accept()
