"""fieldkit-cli sync and sync status against a real ``fieldkit-hq serve`` over TLS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fieldkit.bundle import read_device_identity_file
from fieldkit.cli import commands_sync
from fieldkit.sync.client import HqClient
from fieldkit.sync.errors import BundleRejectedError
from tests.cli.conftest import Run
from tests.conftest import all_types_answers, write_json
from tests.hq.support import Hq
from tests.hq.sync_server import Server, free_port, server, shared_hq
from tests.services.sync_support import enrolment_file

__all__ = ["server", "shared_hq"]


def _enrol(run: Run, hq: Hq, tmp_path: Path, address: str | None) -> None:
    folder = tmp_path / "enrol"
    folder.mkdir()
    path = enrolment_file(hq, folder, address)
    run("enroll", str(path), "--fingerprint", hq.keys.hq_signing.public.fingerprint)
    identity = folder / "device.json"
    run("identity", "export", "--out", str(identity))
    hq.repository.add_device(
        read_device_identity_file(identity.read_bytes()), "2026-03-14T09:00:00Z"
    )


def _seal(run: Run, tmp_path: Path, n: int = 1) -> None:
    answers = write_json(tmp_path / "answers.json", all_types_answers())
    for _ in range(n):
        run("record", "new", "all-types", "--data", str(answers), "--final")


def test_sync_once_then_status_in_text_and_json(
    run: Run, shared_hq: Hq, server: Server, tmp_path: Path
) -> None:
    run("sync", "--once", code=1)
    assert "not enrolled" in run.err
    _enrol(run, shared_hq, tmp_path, server.base_url)
    assert "nothing waits" in run("sync", "status")
    _seal(run, tmp_path, 2)
    out = run("sync", "--once")
    assert "Bundle 1 (2 revisions" in out and "delivered" in out
    assert "Everything sealed is delivered to headquarters." in out
    status = run("sync", "status")
    assert "Bundle" in status and "2 revisions" in status and "delivered 20" in status
    [item] = json.loads(run("sync", "status", "--json"))
    assert (item["sequence"], item["kind"], item["revisions"], item["state"]) == (
        1,
        "records",
        2,
        "delivered",
    )
    assert item["sent"] == item["size"] > 0 and item["delivered_at"]
    again = run("sync", "--once")  # nothing new: nothing sent
    assert "Bundle" not in again and "delivered to headquarters" in again
    assert len(json.loads(run("sync", "status", "--json"))) == 1


def test_sync_without_once_keeps_going_until_nothing_waits(
    run: Run, shared_hq: Hq, server: Server, tmp_path: Path
) -> None:
    _enrol(run, shared_hq, tmp_path, server.base_url)
    _seal(run, tmp_path)
    out = run("sync", "--no-text-first")
    assert "Bundle 1 (1 revision" in out and "Everything sealed is delivered" in out


def test_sync_needs_an_address_and_says_so(
    run: Run, shared_hq: Hq, server: Server, tmp_path: Path
) -> None:
    _enrol(run, shared_hq, tmp_path, None)
    _seal(run, tmp_path)
    run("sync", "--once", code=1)
    assert "no network address" in run.err and "--address" in run.err
    run("sync", "--once", "--address", "http://127.0.0.1:1", code=1)
    assert "must begin with https://" in run.err
    assert json.loads(run("sync", "status", "--json")) == []  # nothing changed
    assert "delivered" in run("sync", "--once", "--address", server.base_url)


def test_an_unreachable_hq_is_one_line_and_exit_1(
    run: Run, shared_hq: Hq, server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _enrol(run, shared_hq, tmp_path, server.base_url)
    _seal(run, tmp_path)
    nowhere = f"https://127.0.0.1:{free_port()}"
    run("sync", "--once", "--address", nowhere, code=1)
    assert "cannot be reached" in run.err and nowhere in run.err
    assert json.loads(run("sync", "status", "--json")) == []

    waits: list[float] = []

    def interrupted(seconds: float) -> None:
        waits.append(seconds)
        raise KeyboardInterrupt

    monkeypatch.setattr(commands_sync, "sleep", interrupted)
    run("sync", "--address", nowhere, code=130)  # keeps trying until Ctrl+C
    assert "Next try in 1 min." in run.err and "stopped" in run.err
    assert 54 <= waits[0] <= 66


def test_a_lost_device_is_erased_and_the_cli_says_why(
    run: Run, shared_hq: Hq, server: Server, tmp_path: Path
) -> None:
    from fieldkit.hq.lost import declare_lost

    _enrol(run, shared_hq, tmp_path, server.base_url)
    device = json.loads(run("identity", "show", "--json"))["key_id"]
    declare_lost(shared_hq.repository, device, 1, "2026-12-07T09:00:00Z")
    run("sync", "--once", code=1)
    assert "This vault was erased on" in run.err and "reported this device lost" in run.err
    assert "Test HQ" in run.err
    run("sync", "status", code=1)  # it no longer opens, and says why
    assert "reported this device lost" in run.err


def test_a_revoked_or_unknown_device_is_told_at_once_not_retried(
    run: Run, shared_hq: Hq, server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_waiting(seconds: float) -> None:
        raise AssertionError("a refusal that waiting cannot cure is not retried")

    monkeypatch.setattr(commands_sync, "sleep", no_waiting)
    folder = tmp_path / "enrol"
    folder.mkdir()
    path = enrolment_file(shared_hq, folder, server.base_url)
    run("enroll", str(path), "--fingerprint", shared_hq.keys.hq_signing.public.fingerprint)
    _seal(run, tmp_path)
    run("sync", code=1)  # HQ never registered this device
    assert "does not know this device" in run.err
    identity = folder / "device.json"
    run("identity", "export", "--out", str(identity))
    registered = read_device_identity_file(identity.read_bytes())
    shared_hq.repository.add_device(registered, "2026-03-14T09:00:00Z")
    shared_hq.repository.revoke_device(registered.key_id, 1, "2026-12-07T09:00:00Z")
    run("sync", code=1)
    assert "revoked this device" in run.err
    assert [item["state"] for item in json.loads(run("sync", "status", "--json"))] == ["waiting"]


def test_export_to_a_stick_copies_the_bundles_waiting_in_the_outbox(
    run: Run, shared_hq: Hq, server: Server, tmp_path: Path, env: Path
) -> None:
    from fieldkit.services import outbox
    from fieldkit.services.vaults import unlock_vault
    from tests.conftest import PASSPHRASE

    _enrol(run, shared_hq, tmp_path, server.base_url)
    _seal(run, tmp_path, 2)
    vault = unlock_vault(env, PASSPHRASE)
    try:
        [waiting] = outbox.prepare(vault)  # written, not sent yet
    finally:
        vault.close()
    _seal(run, tmp_path)
    stick = tmp_path / "stick"
    stick.mkdir()
    printed = run("export", "--to", str(stick)).split()
    assert printed[0] == str(stick / waiting.file_name) and len(printed) == 2
    assert "1 bundle waiting to be sent over the network was copied" in run.err
    assert "1 revision in bundle 2." in run.err
    assert sorted(p.name for p in stick.iterdir()) == sorted(Path(p).name for p in printed)


def test_a_refused_bundle_is_exit_1_with_where_to_read_why(
    run: Run, shared_hq: Hq, server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _enrol(run, shared_hq, tmp_path, server.base_url)
    _seal(run, tmp_path)

    def refuse(*args: object, **kwargs: object) -> None:
        raise BundleRejectedError("its chain of sequence numbers is broken")

    monkeypatch.setattr(HqClient, "upload", refuse)
    run("sync", "--once", code=1)
    assert "refused 1 bundle" in run.err and "sync status" in run.err
    assert "refused: its chain of sequence numbers is broken" in run("sync", "status")
    run("sync", code=1)  # its revisions go into a new bundle, refused as well
    assert "refused 1 bundle" in run.err
    states = [item["state"] for item in json.loads(run("sync", "status", "--json"))]
    assert states == ["refused", "refused"]
