"""A server of its own with short limits: sessions idle for 2 seconds end, and one address may
try to sign in 3 times a minute."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.hq.web.support import PASSWORDS, WebServer, WorkspaceHq


@pytest.fixture(scope="module")
def strict_server(
    workspace_hq: WorkspaceHq, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebServer]:
    log = tmp_path_factory.mktemp("strict") / "web.log"
    args = ("--idle-timeout", "2", "--sign-ins-per-minute", "3")
    running = WebServer(workspace_hq, log, *args).start()
    yield running
    running.stop()


def test_an_idle_session_ends(strict_server: WebServer) -> None:
    with strict_server.signed_in("viewer") as client:
        assert client.get("/account").status_code == 200
        time.sleep(3)
        answer = client.get("/account")
        assert answer.status_code == 303 and answer.headers["location"] == "/sign-in"
        dropped = answer.headers.get("set-cookie", "")
        assert dropped.startswith("__Host-fk_session=") and "Max-Age=0" in dropped


def test_sign_in_attempts_are_limited_per_address(strict_server: WebServer) -> None:
    with strict_server.client() as client:
        for _ in range(2):  # with the sign-in of the test before: 3
            assert client.sign_in("viewer", "not the password at all 99").status_code == 400
        limited = client.sign_in("viewer", PASSWORDS["viewer"])
    assert limited.status_code == 429 and "Too many attempts" in limited.text
    assert "fk_session" not in limited.headers.get("set-cookie", "")


def test_bad_options_are_refused_in_one_line(workspace_hq: WorkspaceHq) -> None:
    import subprocess
    import sys

    from tests.hq.web.support import _MAIN

    for args, message in (
        (["--listen", "0.0.0.0:8080"], "loopback address only"),
        (["--cert", "x.pem"], "Give --cert and --key together."),
        (["--idle-timeout", "0"], "--idle-timeout must be 1 or more."),
    ):
        done = subprocess.run(
            [sys.executable, "-c", _MAIN, "--hq", str(workspace_hq.root), "web", *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert done.returncode == 1 and message in done.stderr, done.stderr
        assert done.stderr.count("\n") == 1
