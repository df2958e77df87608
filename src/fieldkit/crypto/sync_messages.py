"""What the device and HQ sign to each other over the sync protocol (``docs/sync.md``).

- Sign-in: the device signs ``SESSION_DOMAIN + canonical JSON {"challenge", "hq", "key_id"}``,
  where ``hq`` is HQ's signing key id, so a signature is good for this HQ and this challenge only.
- The ping: HQ signs ``PING_DOMAIN + canonical JSON {"hq_name", "nonce", "time"}`` over the
  device's fresh nonce, with the signing key the device pinned at enrolment.
"""

from __future__ import annotations

from fieldkit.domain.records import canonical_json

SESSION_DOMAIN = b"fieldkit-sync-session-v1\n"
PING_DOMAIN = b"fieldkit-sync-ping-v1\n"


def session_message(challenge: str, hq_key_id: str, key_id: str) -> bytes:
    """What a device signs to sign in."""
    body = {"challenge": challenge, "hq": hq_key_id, "key_id": key_id}
    return SESSION_DOMAIN + canonical_json(body)


def ping_message(hq_name: str, nonce: str, time: str) -> bytes:
    """What HQ signs to answer a ping."""
    return PING_DOMAIN + canonical_json({"hq_name": hq_name, "nonce": nonce, "time": time})
