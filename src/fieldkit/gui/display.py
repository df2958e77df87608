"""Can Qt show a window here? Checked before Qt is imported, so that the user reads one clear line
with the fix instead of Qt's "could not load the Qt platform plugin" and an abort, or a silent
exit when PySide6 is not installed at all.

No Qt import in this module.
"""

from __future__ import annotations

import ctypes
import importlib.util
import sys
from collections.abc import Callable, Mapping

from fieldkit.i18n import _

# Libraries Qt's xcb platform plugin loads, by soname, with the Debian/Ubuntu package holding each.
XCB_LIBRARIES: tuple[tuple[str, str], ...] = (
    ("libxcb-cursor.so.0", "libxcb-cursor0"),
    ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
    ("libxcb-image.so.0", "libxcb-image0"),
    ("libxcb-render-util.so.0", "libxcb-render-util0"),
    ("libxcb-xkb.so.1", "libxcb-xkb1"),
    ("libxcb-randr.so.0", "libxcb-randr0"),
    ("libxcb-shape.so.0", "libxcb-shape0"),
    ("libX11-xcb.so.1", "libx11-xcb1"),
    ("libxkbcommon.so.0", "libxkbcommon0"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
    ("libfontconfig.so.1", "libfontconfig1"),
    ("libEGL.so.1", "libegl1"),
    ("libGL.so.1", "libgl1"),
)


def _loadable(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def _qt_installed() -> bool:
    try:
        return importlib.util.find_spec("PySide6") is not None
    except (ImportError, ValueError):
        return False


def missing_xcb_packages(loadable: Callable[[str], bool] = _loadable) -> list[str]:
    """The Debian/Ubuntu packages whose library Qt's xcb plugin would fail to load."""
    return [package for soname, package in XCB_LIBRARIES if not loadable(soname)]


def display_problem(
    environ: Mapping[str, str],
    platform: str = sys.platform,
    loadable: Callable[[str], bool] = _loadable,
    qt_installed: Callable[[], bool] = _qt_installed,
) -> str | None:
    """One line saying why no window can be shown, with what to do; None when all looks fine."""
    if not qt_installed():
        return _(
            "fieldkit's desktop app needs PySide6 (Qt), which is not installed. Install it with: "
            "pip install 'fieldkit[gui]' (fieldkit-cli works without it)."
        )
    if not platform.startswith("linux") or environ.get("QT_QPA_PLATFORM"):
        return None
    wayland = bool(environ.get("WAYLAND_DISPLAY"))
    x11 = bool(environ.get("DISPLAY"))
    if not wayland and not x11:
        return _(
            "fieldkit needs a graphical desktop, and none was found (DISPLAY and WAYLAND_DISPLAY "
            "are not set). Start it from a desktop session, or use fieldkit-cli in a terminal."
        )
    if wayland and environ.get("XDG_SESSION_TYPE", "wayland") != "x11":
        return None  # Qt uses its Wayland plugin
    missing = missing_xcb_packages(loadable)
    if missing:
        return _(
            "fieldkit cannot open a window: system libraries for Qt are missing. Install them "
            "with: sudo apt-get install {packages}"
        ).format(packages=" ".join(missing))
    return None
