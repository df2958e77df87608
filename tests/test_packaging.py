"""The pieces of packaging/ that decide what an installer holds and what ``make package-test``
reports: the launcher's choice of program, the contents check, the reading of strace's log and
the reproducible archive. The build itself is exercised by ``make package-test``."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

PACKAGING = Path(__file__).resolve().parents[1] / "packaging"
ROOT = PACKAGING.parent


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        f"fieldkit_packaging_{name}", PACKAGING / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    sys.path.insert(0, str(PACKAGING))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(PACKAGING))
    return module


launcher = _load("launcher")
contents = _load("contents")
tracing = _load("tracing")
installers = _load("installers")


@pytest.mark.parametrize(
    ("argv0", "program"),
    [
        ("/opt/fieldkit/fieldkit", "fieldkit"),
        ("/usr/bin/fieldkit-cli", "fieldkit-cli"),
        ("fieldkit-hq", "fieldkit-hq"),
        ("C:\\Program Files\\fieldkit\\FIELDKIT-CLI.EXE", "fieldkit-cli"),
        ("/home/me/fieldkit-copy", "fieldkit"),
    ],
)
def test_the_launcher_runs_the_program_its_name_names(argv0: str, program: str) -> None:
    assert launcher.program_name(argv0) == program


def test_each_name_has_the_entry_point_of_pyproject() -> None:
    from fieldkit.app import main as app_main
    from fieldkit.cli.main import main as cli_main
    from fieldkit.hq.cli.main import main as hq_main

    assert launcher.entry_point("fieldkit") is app_main
    assert launcher.entry_point("fieldkit-cli") is cli_main
    assert launcher.entry_point("fieldkit-hq") is hq_main


def _complete_build(root: Path) -> Path:
    package = root / "_internal" / "fieldkit"
    for program in contents.PROGRAMS:
        (root / program).parent.mkdir(parents=True, exist_ok=True)
        (root / program).write_bytes(b"\x7fELF")
    native = root / "_internal" / "sqlcipher3" / "_sqlite3.cpython-311-x86_64-linux-gnu.so"
    native.parent.mkdir(parents=True)
    native.write_bytes(b"\x7fELF ... sqlcipher_export ...")
    for language in contents.LANGUAGES:
        catalogue = package / "locale" / language / "LC_MESSAGES" / "fieldkit.mo"
        catalogue.parent.mkdir(parents=True)
        catalogue.write_bytes(b"\xde\x12\x04\x95")
    shutil.copytree(ROOT / "forms", package / "shipped_forms")
    (package / "resources" / "icons").mkdir(parents=True)
    (package / "resources" / "icons" / "fieldkit.svg").write_text("<svg/>")
    for part in ("vault", "hq"):
        (package / part / "migrations").mkdir(parents=True)
        (package / part / "migrations" / "env.py").write_text("")
    return root


def test_a_complete_build_passes_the_contents_check(tmp_path: Path) -> None:
    assert contents.problems(_complete_build(tmp_path), ROOT) == []


@pytest.mark.parametrize(
    ("remove", "named"),
    [
        ("_internal/sqlcipher3", "SQLCipher"),
        ("_internal/fieldkit/locale/ar", "ar translation"),
        ("_internal/fieldkit/shipped_forms/vocabularies/gitoc-market.yaml", "gitoc-market"),
        ("fieldkit-hq", "fieldkit-hq"),
    ],
)
def test_a_build_missing_a_part_is_refused_naming_it(
    tmp_path: Path, remove: str, named: str
) -> None:
    root = _complete_build(tmp_path)
    target = root / remove
    shutil.rmtree(target) if target.is_dir() else target.unlink()
    (problem,) = contents.problems(root, ROOT)
    assert named in problem


def test_plain_sqlite_is_not_sqlcipher(tmp_path: Path) -> None:
    root = _complete_build(tmp_path)
    (native,) = (root / "_internal" / "sqlcipher3").iterdir()
    native.write_bytes(b"\x7fELF sqlite3_open")
    (problem,) = contents.problems(root, ROOT)
    assert "without SQLCipher" in problem


def test_strace_log_gives_the_writes_and_internet_connections(tmp_path: Path) -> None:
    log = tmp_path / "trace.1234"
    log.write_text(
        'openat(AT_FDCWD</work>, "/usr/lib/x.so", O_RDONLY|O_CLOEXEC) = 3</usr/lib/x.so>\n'
        'openat(AT_FDCWD</work>, "out/b.fkb", O_WRONLY|O_CREAT|O_EXCL, 0600) = 4</work/out/b.fkb>\n'
        'mkdirat(5</home/u/.cache>, "fontconfig", 0777) = 0\n'
        'renameat2(AT_FDCWD</work>, "/tmp/a", AT_FDCWD</work>, "/tmp/b", RENAME_NOREPLACE) = 0\n'
        'openat(AT_FDCWD</work>, "/etc/shadow", O_WRONLY) = -1 EACCES (Permission denied)\n'
        'unlink("/tmp/fieldkit-x") = 0\n'
        'mkdir("/home/u/.local", 0700) = 0\n'
        'connect(6<socket:[1]>, {sa_family=AF_UNIX, sun_path="/tmp/.X11-unix/X9"}, 20) = 0\n'
        "connect(7<socket:[2]>, {sa_family=AF_INET, sin_port=htons(53), "
        'sin_addr=inet_addr("10.0.0.1")}, 16) = -1 ENETUNREACH (Network is unreachable)\n'
    )
    trace = tracing.read(log, Path("/work"))
    assert trace.written == {
        Path("/work/out/b.fkb"),
        Path("/home/u/.cache/fontconfig"),
        Path("/tmp/a"),
        Path("/tmp/b"),
        Path("/tmp/fieldkit-x"),
        Path("/home/u/.local"),
    }
    assert len(trace.connections) == 1 and "AF_INET" in trace.connections[0]
    allowed = [Path("/work"), Path("/home/u/.cache"), Path("/home/u/.local/share/fieldkit")]
    assert tracing.outside(trace.written, allowed) == [
        Path("/tmp/a"),
        Path("/tmp/b"),
        Path("/tmp/fieldkit-x"),
    ]


def test_the_archive_is_the_same_whatever_the_file_times(tmp_path: Path) -> None:
    folder = tmp_path / "fieldkit"
    (folder / "_internal").mkdir(parents=True)
    (folder / "fieldkit").write_bytes(b"program")
    (folder / "fieldkit").chmod(0o700)
    (folder / "_internal" / "data.txt").write_text("data")
    (folder / "fieldkit-cli").symlink_to("fieldkit")
    digests = []
    for when in (1_700_000_000, 1_800_000_000):
        for path in folder.rglob("*"):
            os.utime(path, (when, when), follow_symlinks=False)
        target = tmp_path / f"{when}.tar.gz"
        installers.archive(folder, target, "fieldkit-1.0", 1_600_000_000)
        digests.append(hashlib.sha256(target.read_bytes()).hexdigest())
    assert digests[0] == digests[1]
