"""``scripts/system-deps``, which ``make run`` and ``make test`` call first on Debian and Ubuntu.

The system's package tools are replaced by stubs on ``PATH``: ``dpkg-query`` calls every package
installed but those of a list, ``id`` gives the user id asked for, ``sudo`` works or refuses, and
``apt-get`` only writes down what it was asked to install.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "system-deps"
XCB = ("libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1")

STUBS = {
    "dpkg-query": """#!/bin/sh
pkg=$(eval echo \\${$#})
if grep -qx "$pkg" "$FAKE_MISSING"; then exit 1; fi
printf 'install ok installed'
""",
    "id": '#!/bin/sh\necho "$FAKE_UID"\n',
    "apt-get": '#!/bin/sh\necho "$@" >> "$FAKE_APT_LOG"\n',
    "sudo": """#!/bin/sh
[ "$FAKE_SUDO" = yes ] || exit 1
[ "$1" = -n ] && shift
exec "$@"
""",
    "python-without-venv": """#!/bin/sh
case "$*" in *ensurepip*) exit 1 ;; *version_info*) echo 3.11 ;; esac
""",
}


def _run(
    tmp_path: Path,
    purpose: str,
    *,
    missing: tuple[str, ...] = (),
    uid: int = 1000,
    sudo: bool = False,
    python: str | None = None,
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    stubs = tmp_path / "bin"
    stubs.mkdir(exist_ok=True)
    for name, text in STUBS.items():
        (stubs / name).write_text(text)
        (stubs / name).chmod(0o755)
    absent = tmp_path / "missing"
    absent.write_text("".join(f"{name}\n" for name in missing))
    log = tmp_path / "apt.log"
    log.write_text("")
    env = {
        "PATH": f"{stubs}:/usr/bin:/bin",
        "FAKE_MISSING": str(absent),
        "FAKE_UID": str(uid),
        "FAKE_SUDO": "yes" if sudo else "no",
        "FAKE_APT_LOG": str(log),
    }
    args = [str(SCRIPT), purpose] + ([python] if python else [])
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False, timeout=60)
    return done, log.read_text().splitlines()


@pytest.fixture(autouse=True)
def _debian_only() -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("scripts/system-deps is for Debian and Ubuntu")
    if not os.access(SCRIPT, os.X_OK):
        pytest.fail(f"{SCRIPT} is not executable")


def test_nothing_missing_does_nothing(tmp_path: Path) -> None:
    done, apt = _run(tmp_path, "run")
    assert done.returncode == 0 and done.stderr == "" and apt == []


def test_run_without_root_or_sudo_stops_with_the_exact_command(tmp_path: Path) -> None:
    done, apt = _run(tmp_path, "run", missing=XCB)
    assert done.returncode == 1 and apt == []
    command = "sudo apt-get update && sudo apt-get install -y " + " ".join(XCB)
    assert command in done.stderr
    assert "platform plugin" not in done.stderr


def test_tests_go_on_without_what_they_can_skip(tmp_path: Path) -> None:
    done, apt = _run(tmp_path, "test", missing=("age",))
    assert done.returncode == 0 and apt == []
    assert "sudo apt-get install -y age" in done.stderr and "skipped" in done.stderr


@pytest.mark.parametrize(("uid", "sudo"), [(0, False), (1000, True)])
def test_root_or_sudo_installs_what_is_missing(tmp_path: Path, uid: int, sudo: bool) -> None:
    done, apt = _run(tmp_path, "run", missing=XCB, uid=uid, sudo=sudo)
    assert done.returncode == 0, done.stderr
    assert apt[0] == "update -qq"
    assert apt[1].split()[-3:] == list(XCB)


def test_a_python_that_cannot_make_a_venv_asks_for_its_venv_package(tmp_path: Path) -> None:
    python = str(tmp_path / "bin" / "python-without-venv")
    done, apt = _run(tmp_path, "test", missing=("python3.11-venv",), python=python)
    assert done.returncode == 1 and apt == []
    assert "sudo apt-get install -y python3.11-venv" in done.stderr


def test_a_python_that_can_make_a_venv_needs_nothing_more(tmp_path: Path) -> None:
    done, apt = _run(tmp_path, "test", python=sys.executable)
    assert done.returncode == 0 and done.stderr == "" and apt == []


def test_an_unknown_purpose_is_a_usage_error(tmp_path: Path) -> None:
    done, _apt = _run(tmp_path, "everything")
    assert done.returncode == 2 and "usage: scripts/system-deps run|test|package" in done.stderr


def test_the_tests_install_chromium_for_the_workspace(tmp_path: Path) -> None:
    done, apt = _run(tmp_path, "test", missing=("chromium", "chromium-driver"), uid=0)
    assert done.returncode == 0, done.stderr
    assert apt[1].split()[-2:] == ["chromium", "chromium-driver"]


def test_packaging_needs_its_tools_and_stops_without_them(tmp_path: Path) -> None:
    tools = ("minisign", "xvfb", "xdotool", "strace")
    done, apt = _run(tmp_path, "package", missing=(*XCB, *tools))
    assert done.returncode == 1 and apt == []
    assert "sudo apt-get install -y " + " ".join((*XCB, *tools)) in done.stderr
    done, apt = _run(tmp_path, "package", missing=tools, uid=0)
    assert done.returncode == 0, done.stderr
    assert apt[1].split()[-4:] == list(tools)
