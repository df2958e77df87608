"""``fieldkit-hq review``, ``victims`` and ``audit`` on a real HQ folder (SQLite): what each
prints, exit statuses 0, 1 (one line) and 2, and a tampered log refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from fieldkit.hq import keys
from fieldkit.hq.cli import main as hq_main
from fieldkit.hq.paths import HqPaths
from fieldkit.hq.repository import open_repository, sqlite_url
from tests.bundle.factory import Keys
from tests.conftest import PASSPHRASE
from tests.hq.judging import attack, drop_append_only_guard, ingest, victim
from tests.hq.support import Device, Hq, Run

pytestmark = pytest.mark.slow  # an HQ folder with its passphrase-protected keys (scrypt)


def test_review_victims_and_audit_commands(
    capsys: pytest.CaptureFixture[str], hq_dir: Path, tmp_path: Path
) -> None:
    hq = Run(capsys, hq_main, "fieldkit-hq")
    hq("init", "--name", "Mission HQ")
    paths = HqPaths(hq_dir)
    secrets, config = keys.unlock(paths, PASSPHRASE), keys.load_config(paths)
    repository = open_repository(sqlite_url(paths.database))
    held = Keys(
        hq_signing=secrets.signing_key, hq=(secrets.ingest_identity, config.ingest_recipient)
    )
    site = Hq(tmp_path, repository, held)
    device = Device()
    device.register(repository)
    first, second = ingest(
        site, device, attack(victim("Awa Traoré", "V-1")), attack(victim("awa TRAORE", "V-2"))
    )
    repository.close()
    a, b = f"{first}.1", f"{second}.1"

    shown = hq(
        "review", "set", first[:8], "--status", "verified", "--grade-source", "b",
        "--grade-info", "2", "--note", "two sources", "--by", "ana",
    )  # fmt: skip
    assert f"Record {first}: verified (source B, information 2); signed" in shown
    again = hq("review", "set", first, "--status", "verified", "--by", "ana")
    assert "already verified (source B, information 2); nothing was changed" in again
    sheet = json.loads(hq("review", "show", first, "--json"))
    assert sheet["status"] == "verified" and len(sheet["history"]) == 1
    assert sheet["current"]["note"] == "two sources" and sheet["current"]["signature_valid"]
    assert "unreviewed" in hq("review", "show", second)
    hq("review", "set", "ffffffffff", "--status", "verified", code=1)
    assert "No record ffffffffff" in hq.err
    hq("review", "set", first, "--status", "checked", code=2)
    hq("review", "set", first, "--status", "verified", "--grade-info", "9", code=1)
    assert "--grade-info" in hq.err

    pairs = json.loads(hq("victims", "matches", "--json"))
    assert [(p["a"]["victim_id"], p["b"]["victim_id"]) for p in pairs] == [tuple(sorted((a, b)))]
    assert a in hq("victims", "matches")
    assert "Linked:" in hq("victims", "link", a, b, "--by", "ana")
    assert "already one person" in hq("victims", "link", b, a, "--by", "ana")
    assert json.loads(hq("victims", "matches", "--json")) == []
    assert hq("victims", "matches").startswith("No candidate pairs")
    assert "Unlinked:" in hq("victims", "unlink", a, b, "--by", "ben")
    assert "already recorded as different persons" in hq("victims", "unlink", a, b)
    hq("victims", "link", a, f"{first}.4", code=1)
    assert "No victim" in hq.err and "Did you mean" in hq.err
    assert "2 records read; 2 named victims hashed." in hq("victims", "index", "--by", "ana")

    entries = json.loads(hq("audit", "--json"))
    assert [e["action"] for e in entries] == [
        "review_set",
        "victims_linked",
        "victims_unlinked",
        "victims_indexed",
    ]
    assert "Traor" not in json.dumps(entries) and "two sources" not in json.dumps(entries)
    assert "victims_linked" in hq("audit")
    assert "4 entries signed by this headquarters" in hq("audit", "--verify")
    assert json.loads(hq("audit", "--verify", "--json"))["ok"] is True

    engine = sa.create_engine(sqlite_url(paths.database))
    with engine.begin() as conn:
        drop_append_only_guard(conn)
        conn.execute(sa.text("UPDATE audit_log SET subject = 'x' WHERE id = 2"))
    engine.dispose()
    hq("audit", "--verify", code=1)
    assert "audit entry 2" in hq.err and "changed after it was signed" in hq.err
