"""The composition root and the platform check that runs before Qt is loaded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fieldkit.app import BENCH_MARKER, BENCH_MARKER_ENV, parse_args
from fieldkit.gui.display import XCB_LIBRARIES, display_problem, missing_xcb_packages


def test_no_display_at_all_is_said_plainly() -> None:
    problem = display_problem({}, platform="linux")
    assert problem is not None
    assert "DISPLAY" in problem and "fieldkit-cli" in problem


def test_missing_xcb_libraries_name_the_exact_apt_command() -> None:
    missing = {"libxcb-cursor.so.0", "libxkbcommon-x11.so.0"}
    problem = display_problem(
        {"DISPLAY": ":0"}, platform="linux", loadable=lambda name: name not in missing
    )
    assert problem is not None
    assert problem.endswith("sudo apt-get install libxcb-cursor0 libxkbcommon-x11-0")
    assert "\n" not in problem


def test_nothing_to_say_when_qt_can_show_a_window() -> None:
    assert display_problem({"DISPLAY": ":0"}, platform="linux", loadable=lambda _n: True) is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, platform="linux") is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, platform="linux") is None
    assert display_problem({}, platform="win32") is None
    assert display_problem({}, platform="darwin") is None


def test_every_library_names_its_package() -> None:
    assert missing_xcb_packages(lambda _n: False) == [pkg for _so, pkg in XCB_LIBRARIES]
    assert missing_xcb_packages(lambda _n: True) == []


def test_arguments() -> None:
    args = parse_args(["--vault", "/tmp/v", "--lang", "ar"])
    assert args.vault == "/tmp/v" and args.lang == "ar"
    assert parse_args([]).vault is None


def _run_app(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fieldkit.app", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_fieldkit_vault_dir_starts_the_window_and_logs_privately(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", **{BENCH_MARKER_ENV: "1"})
    folder = tmp_path / "vault"
    done = _run_app("--vault", str(folder), env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert BENCH_MARKER in done.stdout
    assert "Traceback" not in done.stderr
    log_file = Path(env["XDG_STATE_HOME"]) / "fieldkit" / "log" / "fieldkit.log"
    assert log_file.exists()
    assert log_file.stat().st_mode & 0o077 == 0
    assert "started" in log_file.read_text()
    assert not folder.exists()  # showing the welcome page creates nothing


def test_without_a_display_the_app_says_so_and_exits_1(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    done = _run_app("--vault", str(tmp_path / "v"), env=env)
    assert done.returncode == 1
    assert "graphical desktop" in done.stderr
    assert "qt.qpa" not in done.stderr and "Traceback" not in done.stderr


_WITHOUT_PYSIDE6 = """
import sys


class NotInstalled:
    \"\"\"Acts as if PySide6 and shiboken6 were not installed.\"\"\"

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "shiboken6"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, NotInstalled())
from fieldkit.app import main

sys.exit(main(sys.argv[1:]))
"""


def test_without_pyside6_the_app_says_what_is_missing_and_how_to_install_it(
    tmp_path: Path,
) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_PYSIDE6, "--vault", str(tmp_path / "v")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr[-2000:]
    assert "PySide6" in lines[0] and "pip install 'fieldkit[gui]'" in lines[0]
    assert not (tmp_path / "v").exists()


def test_the_missing_pyside6_is_found_before_the_display_is_looked_at() -> None:
    problem = display_problem({"DISPLAY": ":0"}, platform="linux", qt_installed=lambda: False)
    assert problem is not None and "pip install 'fieldkit[gui]'" in problem


def test_void_calls_and_emits_never_use_up_none_or_true(qtbot: object) -> None:
    """PySide6 6.12.0 on Python 3.11 drops a reference to None or True per call, and this loop
    would free them and abort the interpreter: the PySide6 in use must not be such a build."""
    import sys

    from PySide6.QtCore import QObject, Signal
    from PySide6.QtWidgets import QLabel

    class Emitter(QObject):
        ping = Signal()

    label, emitter = QLabel(), Emitter()
    for _ in range(20_000):
        label.setText("x")
        emitter.ping.emit()
    assert sys.getrefcount(None) > 1000 and sys.getrefcount(True) > 100


def test_sigterm_closes_the_vault_and_exits_0(tmp_path: Path) -> None:
    from fieldkit.services.vaults import create_vault
    from tests.conftest import PASSPHRASE

    folder = tmp_path / "vault"
    create_vault(folder, PASSPHRASE, device_name="test laptop").close()
    wal, shm = folder / "vault.db-wal", folder / "vault.db-shm"
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("app_child.py")), str(folder), PASSPHRASE],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "unlocked"
        assert wal.exists() and shm.exists()  # the open vault has them
        child.send_signal(signal.SIGTERM)
        code = child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    stderr = child.stderr.read() if child.stderr is not None else ""
    assert code == 0, stderr[-2000:]
    assert "Traceback" not in stderr
    assert not wal.exists() and not shm.exists()
    log_file = Path(os.environ["XDG_STATE_HOME"]) / "fieldkit" / "log" / "fieldkit.log"
    log_text = log_file.read_text()
    assert f"closing on signal {int(signal.SIGTERM)}" in log_text and "vault locked" in log_text


def test_the_end_of_the_desktop_session_and_quitting_lock(
    qtbot: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Logging out asks the application to commit its data (``commitDataRequest``, which a test
    cannot send: Qt alone makes its session manager); both that and the end of the event loop
    lock. The signal handlers are kept from this test process."""
    import shiboken6
    from PySide6.QtCore import SIGNAL
    from PySide6.QtWidgets import QApplication

    from fieldkit.gui.shutdown import CleanShutdown

    handlers: dict[int, object] = {}
    monkeypatch.setattr(
        signal, "signal", lambda number, handler: handlers.update({number: handler})
    )
    monkeypatch.setattr(signal, "set_wakeup_fd", lambda fd: -1)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    session_end = SIGNAL("commitDataRequest(QSessionManager&)")
    before = app.receivers(session_end)
    calls: list[str] = []
    shutdown = CleanShutdown(app, lambda: calls.append("close"), lambda: calls.append("lock"))
    try:
        assert signal.SIGTERM in handlers and signal.SIGHUP in handlers
        assert app.receivers(session_end) == before + 1
        app.aboutToQuit.emit()
        assert calls == ["lock"]
    finally:
        shiboken6.delete(shutdown)
    assert app.receivers(session_end) == before
