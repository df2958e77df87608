"""Runs one of fieldkit's programs and reports, from inside it, whether it could dump core.

usage: dump_child.py MARK PROGRAM [ARGUMENTS...]   PROGRAM: fieldkit, fieldkit-cli, fieldkit-hq,
                                                   or none (the harness alone, for comparison)

The first time the program opens a file under the folder MARK (its log file, its passphrase
file), an audit hook prints one JSON line, ``{"dumpable": N, "core_limit": "..."}`` (from
``prctl(PR_GET_DUMPABLE)`` and ``/proc/self/limits``), and ends the process. No fieldkit code is
changed: the hook only watches.
"""

from __future__ import annotations

import ctypes
import json
import os
import sys
from pathlib import Path
from typing import Any

PR_GET_DUMPABLE = 3


def _report() -> None:
    libc = ctypes.CDLL(None)
    dumpable = int(libc.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0))
    limits = Path("/proc/self/limits").read_text(encoding="ascii").splitlines()
    core = next(line for line in limits if line.startswith("Max core file size"))
    soft, hard = core.split()[4:6]
    print(json.dumps({"dumpable": dumpable, "core_limit": [soft, hard]}), flush=True)
    os._exit(0)


def main() -> int:
    mark, program, arguments = sys.argv[1], sys.argv[2], sys.argv[3:]

    def watch(event: str, args: tuple[Any, ...]) -> None:
        opened = args[0] if event == "open" else None
        if isinstance(opened, str | Path) and str(Path(opened).absolute()).startswith(mark):
            _report()

    sys.addaudithook(watch)
    if program == "none":
        Path(mark, "probe").open("w").close()
        return 1
    if program == "fieldkit":
        from fieldkit.app import main as run
    elif program == "fieldkit-cli":
        from fieldkit.cli.main import main as run
    else:
        from fieldkit.hq.cli.main import main as run
    run(arguments)
    return 1  # the hook ends the process before this


if __name__ == "__main__":
    sys.exit(main())
