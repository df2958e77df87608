"""Child process for the crash test: ``fieldkit-hq ingest`` that stops, mid-attachment, once it
has read ``THRESHOLD`` bytes of attachments out of the bundle, says so on stdout, and waits to
be killed.

usage: ingest_kill_child.py BUNDLE_OR_FOLDER THRESHOLD  (FIELDKIT_HQ and
FIELDKIT_HQ_PASSPHRASE name the HQ folder and its passphrase)
"""

from __future__ import annotations

import sys
import time
from typing import Any

from fieldkit.bundle import reader
from fieldkit.hq.cli import main

STREAMING = "streaming"


def slow_point(threshold: int) -> None:
    """Wrap the reader's hook for attachment bytes: past ``threshold``, stop and wait."""
    original = reader._BundleHandler.chunk
    seen = 0

    def chunk(self: Any, data: memoryview) -> None:
        nonlocal seen
        original(self, data)
        seen += len(data)
        if seen >= threshold:
            print(STREAMING, flush=True)
            time.sleep(600)

    reader._BundleHandler.chunk = chunk  # type: ignore[method-assign]


if __name__ == "__main__":
    slow_point(int(sys.argv[2]))
    sys.exit(main(["ingest", sys.argv[1]]))
