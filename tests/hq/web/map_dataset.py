"""An HQ for the map's tests: the demonstration records plus records with coordinates.

The shared workspace HQ's records have no coordinates; the map needs some to draw points and
clusters. This HQ is its own (its own folder and server), so that the other pages' tests keep
counting the demonstration's records.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pytest

from fieldkit.hq.paths import HqPaths
from fieldkit.hq.repository import sqlite_url
from tests.hq.web.support import WorkspaceHq, add_accounts, hq_demo

POINTS = 24
"""Records near Gao (ML-7) with coordinates; with the demo records that get some, 27."""
FIRST = 40
"""The number of the first of them (hq_demo's record ids: ``de`` then zeros then the number)."""


def build_map_hq(folder: Path) -> WorkspaceHq:
    demo = hq_demo()
    records = demo.demo_records()
    extra = []
    for i in range(POINTS):
        data = copy.deepcopy(records[i % 3].data)
        data["geo_precision"] = "2"
        data["coordinates"] = f"{16.27 + (i % 6) * 0.02:.4f}, {-0.04 + (i // 6) * 0.03:.4f}"
        extra.append(dataclasses.replace(records[i % 3], number=FIRST + i, data=data))
    for record in records:
        if record.version == "2" and record.number % 2:
            record.data["geo_precision"] = "2"
            record.data["coordinates"] = "16.2700, -0.0400"
    with pytest.MonkeyPatch.context():
        demo.build(folder, [*records, *extra])
    root = folder / "hq"
    url = sqlite_url(HqPaths(root).database)
    add_accounts(url)
    return WorkspaceHq(root, url, demo.PASSPHRASE)
