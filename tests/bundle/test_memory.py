"""performance.md: writing and reading a bundle keeps memory flat whatever its size."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = Path(__file__).with_name("memory_child.py")
ROOT = Path(__file__).resolve().parents[2]
MIB = 1024


@pytest.mark.slow
@pytest.mark.parametrize("how", ["spooled", "encrypted"])
def test_a_256_mib_attachment_is_written_and_read_with_flat_memory(
    tmp_path: Path, how: str
) -> None:
    """``encrypted``: read as HQ reads it, each attachment streamed into age encryption."""
    result = subprocess.run(
        [sys.executable, str(CHILD), str(tmp_path), str(256 << 20), how],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "PATH": "/usr/bin:/bin"},
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["intact"] is True
    # ru_maxrss is in KiB on Linux: growth of the peak over the warmed-up baseline.
    assert report["after_write"] - report["baseline"] < 64 * MIB, report
    assert report["after_read"] - report["baseline"] < 64 * MIB, report
