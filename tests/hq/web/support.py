"""The workspace for tests: a demonstration HQ with three accounts, a real ``fieldkit-hq web``
process over TLS on 127.0.0.1, signed-in HTTP clients and browsers.

Other test modules use :data:`PASSWORDS`, :class:`WebServer` (to start a server of their own with
other options) and :class:`WorkspaceClient`.
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from fieldkit.hq import accounts
from fieldkit.hq.paths import HqPaths
from fieldkit.hq.repository import open_repository, sqlite_url

ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT = 60.0
_MAIN = "import sys; from fieldkit.hq.cli import main; sys.exit(main(sys.argv[1:]))"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

PASSWORDS = {
    "admin": "copper kettle marsh lantern 71",
    "analyst": "violet quarry heron window 38",
    "viewer": "amber tundra pickle harbour 54",
}
"""The accounts of the workspace HQ, by name; each has the role of its name."""

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def hq_demo() -> ModuleType:
    """``scripts/hq_demo.py`` as a module."""
    if "hq_demo" in sys.modules:
        return sys.modules["hq_demo"]
    spec = importlib.util.spec_from_file_location("hq_demo", ROOT / "scripts" / "hq_demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("hq_demo", module)  # its dataclasses look their module up
    spec.loader.exec_module(sys.modules["hq_demo"])
    return module


@dataclass(frozen=True)
class WorkspaceHq:
    """An HQ folder with records and accounts, and its repository's address."""

    root: Path
    db_url: str
    passphrase: str

    @property
    def paths(self) -> HqPaths:
        return HqPaths(self.root)


def add_accounts(db_url: str) -> None:
    repository = open_repository(db_url)
    try:
        for name, password in PASSWORDS.items():
            accounts.add_user(repository, name, accounts.Role(name), password)
    finally:
        repository.close()


def build_workspace_hq(folder: Path, db_url: str | None = None) -> WorkspaceHq:
    """The demonstration HQ (records, reviews, victims) in ``folder`` plus the three accounts.

    With ``db_url`` the repository is that database (PostgreSQL) instead of the SQLite file."""
    demo = hq_demo()
    with pytest.MonkeyPatch.context() as patch:
        if db_url is not None:
            patch.setenv("FIELDKIT_HQ_DB", db_url)
        demo.build(folder)
    root = folder / "hq"
    url = db_url or sqlite_url(HqPaths(root).database)
    add_accounts(url)
    return WorkspaceHq(root, url, demo.PASSPHRASE)


class WorkspaceClient(httpx.Client):
    """An HTTP client of the workspace that trusts its certificate; ``csrf(path)`` reads the
    token of the form on ``path``. It may be used in a ``with`` block after its first request."""

    def __enter__(self) -> WorkspaceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def csrf(self, path: str = "/account") -> str:
        answer = self.get(path)
        found = _CSRF.search(answer.text)
        assert found, f"no CSRF field on {path} ({answer.status_code})"
        return found.group(1)

    def sign_in(self, name: str, password: str) -> httpx.Response:
        token = self.csrf("/sign-in")
        return self.post("/sign-in", data={"name": name, "password": password, "csrf": token})


class WebServer:
    """One ``fieldkit-hq web`` process over TLS; ``start`` waits until it answers."""

    def __init__(self, hq: WorkspaceHq, log: Path, *args: str) -> None:
        self.hq = hq
        self.port = _free_port()
        self.log = log
        self.args = args
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def cert(self) -> Path:
        return self.hq.paths.tls_cert

    def output(self) -> str:
        """What the server wrote to stdout and stderr so far."""
        return self.log.read_text("utf-8", "replace")

    def client(self) -> WorkspaceClient:
        context = ssl.create_default_context(cafile=str(self.cert))
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        return WorkspaceClient(
            base_url=self.base_url, verify=context, timeout=30.0, follow_redirects=False
        )

    def signed_in(self, name: str, password: str | None = None) -> WorkspaceClient:
        client = self.client()
        answer = client.sign_in(name, password or PASSWORDS[name])
        assert answer.status_code == 303, answer.text
        return client

    def start(self) -> WebServer:
        env = dict(os.environ, FIELDKIT_HQ_PASSPHRASE=self.hq.passphrase, PYTHONUNBUFFERED="1")
        command = [sys.executable, "-c", _MAIN, "-v", "--hq", str(self.hq.root)]
        command += ["--db", self.hq.db_url, "web", "--listen", f"127.0.0.1:{self.port}"]
        command += ["--cert", str(self.cert), "--key", str(self.hq.paths.tls_key)]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                command + list(self.args), stdout=out, stderr=out, env=env
            )
        deadline = time.monotonic() + START_TIMEOUT
        with self.client() as client:
            while True:
                if self.process.poll() is not None:
                    pytest.fail(f"the workspace stopped: {self.output()[-2000:]}")
                try:
                    client.get("/sign-in")
                    return self
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"the workspace did not start: {self.output()[-2000:]}")
                    time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
