"""security.md, "Network sync", a stolen session token: tokens are random (32 bytes) and only
their SHA-256 is stored. Against a real ``fieldkit-hq serve`` on SQLite, whose database files lie
in HQ's folder: the token a device is given appears nowhere on HQ's disk, its SHA-256 does and
names the device."""

from __future__ import annotations

import base64
import time

from fieldkit.hq.server.sessions import token_hash
from tests.hq.support import Hq, holds
from tests.hq.sync_server import Server, Upload, enrolled, server, shared_hq, sign_in

__all__ = ["server", "shared_hq"]


def _token(headers: dict[str, str]) -> str:
    scheme, token = headers["Authorization"].split()
    assert scheme == "Bearer"
    return token


def test_only_the_sha256_of_a_random_token_reaches_hqs_disk(server: Server, shared_hq: Hq) -> None:
    device = enrolled(shared_hq.repository)
    with server.client() as client:
        headers = sign_in(client, shared_hq, device)
        again = sign_in(client, shared_hq, device)
        assert Upload(client, headers, b"x" * 10).create().status_code == 201  # it works
    token = _token(headers)
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert len(raw) == 32
    assert _token(again) != token
    hashed = token_hash(token)
    assert shared_hq.repository.token_device(hashed, int(time.time())) == device.key.key_id
    # The search sees the database (the hash is found); the token itself is nowhere.
    assert holds(shared_hq.paths.root, hashed) != []
    assert holds(shared_hq.paths.root, token) == []
    assert holds(shared_hq.paths.root, raw) == []
