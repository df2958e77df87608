"""Where a program wrote, and whom it called over the network: read from ``strace``'s log.

``package_test.py`` runs each packaged program under ``strace -f`` with the calls below; this
module reads the log back into the paths written (files opened for writing or created, folders
made, names renamed, linked or removed) and the network connections attempted (``connect`` to an
internet address, whether it succeeded or not).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

STRACE_CALLS = (
    "open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,"
    "unlink,unlinkat,rmdir,truncate,connect"
)
WRITE_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC")
_CALL = re.compile(r"^(?:\[pid\s+\d+\]\s+|\d+\s+)?(\w+)\((.*)\)\s+=\s+(-?\d+|\?)")
_STRING = re.compile(r'(?:(-?\d+|AT_FDCWD)(?:<([^>]*)>)?,\s*)?"((?:[^"\\]|\\.)*)"')
_INET = re.compile(r"sa_family=AF_INET6?\b")


@dataclass
class Trace:
    written: set[Path] = field(default_factory=set)
    connections: list[str] = field(default_factory=list)


def _unescape(text: str) -> str:
    return text.encode("latin-1", "backslashreplace").decode("unicode_escape")


def _paths(arguments: str, cwd: Path) -> list[Path]:
    found = []
    for match in _STRING.finditer(arguments):
        _fd, fd_path, raw = match.groups()
        name = _unescape(raw)
        base = Path(fd_path) if fd_path else cwd
        found.append(Path(os.path.normpath(base / name)))
    return found


def read(log: Path, cwd: Path) -> Trace:
    """The writes and network connections in an ``strace -f -y`` log of programs started in
    ``cwd`` (relative names are taken from there)."""
    trace = Trace()
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        match = _CALL.match(line)
        if not match:
            continue
        call, arguments, result = match.groups()
        if call == "connect":
            if _INET.search(arguments):
                trace.connections.append(line.strip())
            continue
        if result == "?" or int(result) < 0:
            continue
        if call in ("open", "openat") and not any(flag in arguments for flag in WRITE_FLAGS):
            continue
        paths = _paths(arguments, cwd)
        if call in ("open", "openat", "creat", "truncate", "mkdir", "mkdirat", "rmdir"):
            paths = paths[:1]
        trace.written.update(paths)
    return trace


def outside(written: set[Path], allowed: list[Path]) -> list[Path]:
    """The paths written outside every folder of ``allowed`` (and outside /dev and /proc, where
    writing a terminal, /dev/null or a process's own settings leaves nothing behind). The
    folders above an allowed one (``~/.local/share`` above ``~/.local/share/fieldkit``) may be
    made: they hold nothing but the allowed folder."""
    roots = [*allowed, Path("/dev"), Path("/proc")]
    above = {parent for root in allowed for parent in root.parents}
    return sorted(
        p for p in written if p not in above and not any(p == r or r in p.parents for r in roots)
    )
