"""No fieldkit program can dump core: a core file would hold record content and the passphrase.

Each program runs in a child whose core file size limit is raised first; an audit hook reports,
from inside the program once it is running, what Linux would do on a crash.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="prctl and /proc are Linux's"
)
CHILD = Path(__file__).with_name("dump_child.py")
ROOT = Path(__file__).resolve().parents[2]


def _allow_core_files() -> None:
    """In the child, before it starts: core files allowed, as a user's shell may allow them."""
    hard = resource.getrlimit(resource.RLIMIT_CORE)[1]
    wanted = 1 << 20 if hard == resource.RLIM_INFINITY else min(1 << 20, hard)
    resource.setrlimit(resource.RLIMIT_CORE, (wanted, hard))


def _observe(tmp_path: Path, program: str, *arguments: str) -> dict[str, Any]:
    mark = tmp_path / "mark"
    mark.mkdir()
    env = os.environ | {
        "HOME": str(mark),
        "XDG_CONFIG_HOME": str(mark / "config"),
        "XDG_STATE_HOME": str(mark / "state"),
        "XDG_DATA_HOME": str(mark / "data"),
        "XDG_CACHE_HOME": str(mark / "cache"),
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": str(ROOT),
    }
    for variable in ("FIELDKIT_VAULT", "FIELDKIT_PASSPHRASE", "FIELDKIT_HQ_PASSPHRASE"):
        env.pop(variable, None)
    (mark / "pass").write_text("a passphrase\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(CHILD), str(mark), program, *arguments],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        preexec_fn=_allow_core_files,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def test_the_harness_sees_a_process_that_could_dump_core(tmp_path: Path) -> None:
    report = _observe(tmp_path, "none")
    assert report["dumpable"] == 1
    assert report["core_limit"][0] != "0"


@pytest.mark.parametrize(
    ("program", "arguments"),
    [
        ("fieldkit", ["--vault", "mark/vault"]),
        ("fieldkit-cli", ["--vault", "mark/vault", "--passphrase-file", "mark/pass", "status"]),
        ("fieldkit-hq", ["--hq", "mark/hq", "--passphrase-file", "mark/pass", "init"]),
    ],
)
def test_no_program_can_dump_core_or_be_attached_to(
    tmp_path: Path, program: str, arguments: list[str]
) -> None:
    report = _observe(tmp_path, program, *arguments)
    assert report["core_limit"] == ["0", "0"], "the core file size limit is 0, soft and hard"
    assert report["dumpable"] == 0, "the process is not dumpable (PR_SET_DUMPABLE 0)"
