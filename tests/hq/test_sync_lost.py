"""A device HQ declared lost (``fieldkit-hq devices lost``), on the real server: every sign-in
step and every request with a token is answered 403 ``lost-device`` with HQ's signed erase
order for that device; other devices go on as before."""

from __future__ import annotations

import json
import subprocess
import sys

from fieldkit.bundle.erase_order import verify_erase_order
from fieldkit.hq.server.sessions import session_message
from tests.conftest import PASSPHRASE
from tests.hq.support import Hq
from tests.hq.sync_server import Server, Upload, enrolled, server, shared_hq, sign_in

__all__ = ["server", "shared_hq"]

_MAIN = "import sys; from fieldkit.hq.cli import main; sys.exit(main(sys.argv[1:]))"


def _hq(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", _MAIN, "--hq", str(server.hq.paths.root)]
    command += ["--db", server.db_url, *args]
    env = {"FIELDKIT_HQ_PASSPHRASE": PASSPHRASE, "PATH": "/usr/bin:/bin"}
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


def test_a_lost_device_is_sent_its_erase_order_at_every_request(
    server: Server, shared_hq: Hq
) -> None:
    lost, other = enrolled(shared_hq.repository), enrolled(shared_hq.repository)
    key_id = lost.key.key_id
    with server.client() as client:
        headers = sign_in(client, shared_hq, lost)
        other_headers = sign_in(client, shared_hq, other)
        challenge = client.post("/v1/session/challenge", json={"key_id": key_id}).json()
        declared = _hq(server, "devices", "lost", key_id[:10])
        assert declared.returncode == 0, declared.stderr
        signature = lost.key.sign(
            session_message(challenge["challenge"], shared_hq.keys.hq_signing.key_id, key_id)
        )
        upload = Upload(client, headers, b"x" * 100)
        answers = {
            "challenge": client.post("/v1/session/challenge", json={"key_id": key_id}),
            "session": client.post(
                "/v1/session",
                json={
                    "key_id": key_id,
                    "challenge": challenge["challenge"],
                    "signature": signature.hex(),
                },
            ),
            "create": upload.create(),
            "receipt": client.get("/v1/receipts/" + "0" * 64, headers=headers),
            "forms": client.get("/v1/forms", headers=headers),
            "form": client.get("/v1/forms/any-1.fkf", headers=headers),
            "patch": client.patch(
                "/v1/uploads/" + "0" * 32,
                headers=dict(headers, **{"Upload-Offset": "0"}),
                content=b"x",
            ),
        }
        still = client.get("/v1/forms", headers=other_headers)
    assert "is declared lost" in declared.stdout and "every bundle it signs" in declared.stdout
    orders = []
    for step, answer in answers.items():
        assert answer.status_code == 403, (step, answer.text)
        body = answer.json()
        assert body["error"] == "lost-device", step
        assert "reported this device lost" in body["message"]
        order = verify_erase_order(
            body["erase"], shared_hq.keys.hq_signing.public.public_key, key_id
        )
        orders.append(body["erase"])
    assert all(o == orders[0] for o in orders)  # one order, the time the device was declared lost
    device = shared_hq.repository.device(key_id)
    assert device is not None and device.lost_at == order.issued and device.revoked_from == 1
    assert still.status_code == 200  # the other device is not affected
    listed = json.loads(_hq(server, "devices", "list", "--json").stdout)
    assert {d["key_id"]: d["lost_at"] for d in listed}[key_id] == order.issued
    assert "lost" in _hq(server, "devices", "list").stdout


def test_declaring_an_unknown_device_lost_changes_nothing(server: Server) -> None:
    refused = _hq(server, "devices", "lost", "0123456789abcdef")
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "No device with key id" in refused.stderr
