"""What every fieldkit program does first: no core dumps, no crash dumps, no debugging peers.

A core dump (or a Windows crash dump) is a copy of the program's memory on disk: record content,
the passphrase and keys in clear. Each program calls :func:`no_crash_dumps` before it reads
anything:

- everywhere but Windows, the core file size limit is set to 0 (hard limit too, so the process
  cannot raise it again);
- on Linux, the process is also marked not dumpable (``prctl(PR_SET_DUMPABLE, 0)``): no core
  file even where a core pattern pipes dumps to a collector such as systemd-coredump, and other
  processes of the same user can no longer attach to it with ptrace or read its memory through
  ``/proc``;
- on Windows, the error mode keeps Windows Error Reporting from offering its crash dialog
  (and from writing the dump that goes with it).

Each step that the platform refuses is skipped: this never stops a program from starting.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys

PR_SET_DUMPABLE = 4
_SEM_FAILCRITICALERRORS = 0x0001
_SEM_NOGPFAULTERRORBOX = 0x0002
_SEM_NOOPENFILEERRORBOX = 0x8000


def no_crash_dumps() -> None:
    """Keep this process's memory from being written to disk by a crash, or read by a peer."""
    if os.name == "nt":
        _windows_error_mode()
        return
    import resource

    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if sys.platform.startswith("linux"):
        _libc_prctl(PR_SET_DUMPABLE, 0)


def _libc_prctl(option: int, value: int) -> int | None:
    try:
        # The C library the process already has loaded: looking it up by name
        # (ctypes.util.find_library) runs ldconfig, a few milliseconds at every start.
        libc = ctypes.CDLL(None, use_errno=True)
        result = int(libc.prctl(option, value, 0, 0, 0))
    except (OSError, AttributeError):
        return None
    return None if result < 0 else result


def _windows_error_mode() -> None:
    with contextlib.suppress(OSError, AttributeError):
        kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined, unused-ignore]
        kernel32.SetErrorMode(
            _SEM_FAILCRITICALERRORS | _SEM_NOGPFAULTERRORBOX | _SEM_NOOPENFILEERRORBOX
        )
