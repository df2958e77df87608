"""The composition root of the desktop app: the one place that wires the program together.

In this order: no core or crash dumps (:mod:`fieldkit.hardening`), umask 077, logging, locale
(fieldkit's catalogue first; Qt's own catalogue ``qtbase_<language>`` and Qt's default locale once
the application object exists, in :func:`build`), vault location, services, window. Heavy modules
(the vault engine, SQLAlchemy, zxcvbn) are imported only after the unlock window shows, and in the
background, so that the window comes up fast.
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import os
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from fieldkit.hardening import no_crash_dumps
from fieldkit.i18n import SUPPORTED_LANGUAGES, _, set_language

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from fieldkit.gui.clipboard import ClipboardGuard
    from fieldkit.gui.editors import Documents
    from fieldkit.gui.idle import IdleWatcher
    from fieldkit.gui.session import VaultSession
    from fieldkit.gui.sync_scheduler import SyncScheduler
    from fieldkit.gui.tasks import TaskRunner
    from fieldkit.gui.window import MainWindow
    from fieldkit.services.preferences import Preferences

log = logging.getLogger("fieldkit")

LOG_FILE = "fieldkit.log"
BENCH_MARKER_ENV = "FIELDKIT_BENCH_MARKER"
"""When set, print ``BENCH_MARKER`` once the first window is on screen, and quit (benchmarks)."""
BENCH_MARKER = "fieldkit: first window shown"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="fieldkit", description=_("fieldkit: offline, encrypted field documentation.")
    )
    parser.add_argument(
        "--vault",
        metavar="DIR",
        help=_("the vault folder (default: $FIELDKIT_VAULT, else your data folder)"),
    )
    parser.add_argument("--lang", choices=SUPPORTED_LANGUAGES, help=_("the language to use"))
    return parser.parse_args(argv)


def _log_uncaught(
    kind: type[BaseException], error: BaseException, tb: TracebackType | None
) -> None:
    """Log an unexpected error by type and code location, never by message (it may quote data)."""
    where = " < ".join(
        f"{f.name}@{Path(f.filename).name}:{f.lineno}" for f in traceback.extract_tb(tb)[::-1][:6]
    )
    log.critical("uncaught %s at %s", kind.__name__, where)


def configure_logging() -> Path | None:
    """Log to a private file in the user's log folder; ids and error types only, never content.
    Returns the log file, or None when it cannot be written (then nothing is logged)."""
    from fieldkit.files import make_private_dir
    from fieldkit.services.locations import log_dir

    path: Path | None = log_dir() / LOG_FILE
    handler: logging.Handler
    try:
        make_private_dir(log_dir())
        handler = logging.handlers.RotatingFileHandler(
            log_dir() / LOG_FILE, maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        handler, path = logging.NullHandler(), None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    sys.excepthook = _log_uncaught
    threading.excepthook = lambda hook: _log_uncaught(
        hook.exc_type, hook.exc_value or hook.exc_type(), hook.exc_traceback
    )
    return path


def main(argv: Sequence[str] | None = None) -> int:
    no_crash_dumps()
    os.umask(0o077)
    args = parse_args(argv)
    configure_logging()

    from fieldkit.services import preferences
    from fieldkit.services.locations import resolve_vault_dir

    prefs = preferences.load()
    set_language(args.lang or prefs.language)
    folder = resolve_vault_dir(args.vault)

    from fieldkit.gui.display import display_problem

    problem = display_problem(os.environ)
    if problem:
        print(problem, file=sys.stderr)
        return 1

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0]])
    app.setApplicationName("fieldkit")
    app.setDesktopFileName("fieldkit")
    desktop = build(app, folder, prefs)

    from fieldkit.gui.shutdown import CleanShutdown

    CleanShutdown(app, desktop.window.close, desktop.window.lock)
    desktop.window.start()
    desktop.window.show()
    log.info("started")
    if os.environ.get(BENCH_MARKER_ENV):
        QTimer.singleShot(0, lambda: (print(BENCH_MARKER, flush=True), app.quit()))
    else:
        QTimer.singleShot(0, lambda: desktop.runner.run("warm up", _warm_up))
    code = app.exec()
    desktop.session.close()
    return int(code)


@dataclass(frozen=True)
class Desktop:
    window: MainWindow
    session: VaultSession
    runner: TaskRunner
    idle: IdleWatcher
    clipboard: ClipboardGuard


def build(
    app: QApplication,
    folder: Path,
    prefs: Preferences,
    documents: Documents | None = None,
    sync: Callable[[VaultSession, TaskRunner], SyncScheduler] | None = None,
) -> Desktop:
    """The services and the window, wired (the language is set already). ``sync`` makes the
    background sync's scheduler (by default the real one, on Qt's network information)."""
    from fieldkit.gui.clipboard import ClipboardGuard
    from fieldkit.gui.editors import real_documents
    from fieldkit.gui.idle import IdleWatcher
    from fieldkit.gui.session import VaultSession
    from fieldkit.gui.tasks import TaskRunner
    from fieldkit.gui.window import MainWindow, apply_language

    apply_language()  # Qt's own strings, locale and layout direction follow the language set
    app.setWindowIcon(application_icon())
    runner = TaskRunner()
    session = VaultSession(folder)
    idle = IdleWatcher(app, prefs.auto_lock_minutes)
    clipboard = ClipboardGuard(app.clipboard())
    scheduler = sync(session, runner) if sync is not None else None
    window = MainWindow(
        session, runner, idle, clipboard, documents or real_documents(), prefs, None, scheduler
    )
    return Desktop(window, session, runner, idle, clipboard)


def application_icon() -> QIcon:
    """fieldkit's icon (``resources/icons/fieldkit.svg``), for every window and the task bar."""
    from PySide6.QtGui import QIcon

    from fieldkit.services.locations import resources_dir

    return QIcon(str(resources_dir() / "icons" / "fieldkit.svg"))


def _warm_up() -> None:
    """Import the vault and record services in the background while the user types."""
    import fieldkit.services.records
    import fieldkit.services.vaults  # noqa: F401


if __name__ == "__main__":
    sys.exit(main())
