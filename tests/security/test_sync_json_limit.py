"""security.md, "Network sync", a device or an attacker exhausting the server: JSON bodies are
limited to 4 KiB. Against a real ``fieldkit-hq serve``: a sign-in request over the limit is
refused 413 ``too-large`` (with or without a declared length), one at the limit is read."""

from __future__ import annotations

import json
from collections.abc import Iterator

from tests.hq.sync_server import Server, server, shared_hq

__all__ = ["server", "shared_hq"]

LIMIT = 4096


def _body(size: int) -> bytes:
    """A JSON object of exactly ``size`` bytes naming a device HQ does not know."""
    head = {"key_id": "0" * 32, "padding": ""}
    padding = size - len(json.dumps(head).encode())
    body = json.dumps({**head, "padding": "x" * padding}).encode()
    assert len(body) == size
    return body


def test_a_json_body_over_4_kib_is_refused_and_one_at_the_limit_is_read(server: Server) -> None:
    over = _body(LIMIT + 1)

    def streamed() -> Iterator[bytes]:  # no Content-Length: the server counts as it reads
        for start in range(0, len(over), 1000):
            yield over[start : start + 1000]

    headers = {"Content-Type": "application/json"}
    with server.client() as client:
        at_limit = client.post("/v1/session/challenge", content=_body(LIMIT), headers=headers)
        declared = client.post("/v1/session/challenge", content=over, headers=headers)
        chunked = client.post("/v1/session/challenge", content=streamed(), headers=headers)
    assert at_limit.status_code == 403 and at_limit.json()["error"] == "unknown-device"
    for refused in (declared, chunked):
        assert refused.status_code == 413, refused.text
        assert refused.json()["error"] == "too-large"
