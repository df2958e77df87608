"""The one entry point of the packaged fieldkit: it runs the program its own name names.

The one-folder build holds a single Python program and one copy of every library; the three
commands are names for it. On Linux and macOS ``fieldkit-cli`` and ``fieldkit-hq`` are symbolic
links to the ``fieldkit`` executable; on Windows they are executables of their own (a command-line
program there must be built for the console, the desktop app must not), made from the same
analysis and sharing the same ``_internal`` folder. Whatever the name, this file picks the entry
point that ``[project.scripts]`` in pyproject.toml gives the same name.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import PurePath

PROGRAMS = ("fieldkit", "fieldkit-cli", "fieldkit-hq")


def program_name(argv0: str) -> str:
    """The program a command line asks for: the name it was started by, without folder or
    ``.exe``; anything unknown (a renamed copy) is the desktop app."""
    name = PurePath(argv0.replace("\\", "/")).name.lower()
    if name.endswith(".exe"):
        name = name[: -len(".exe")]
    return name if name in PROGRAMS else "fieldkit"


def entry_point(name: str) -> Callable[[], int]:
    if name == "fieldkit-cli":
        from fieldkit.cli.main import main as cli_main

        return cli_main
    if name == "fieldkit-hq":
        from fieldkit.hq.cli.main import main as hq_main

        return hq_main
    from fieldkit.app import main as app_main

    return app_main


if __name__ == "__main__":
    sys.exit(entry_point(program_name(sys.argv[0]))())
