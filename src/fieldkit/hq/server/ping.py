"""The signed ping: proof that HQ, not a captive portal or another server, answers.

HQ signs ``PING_DOMAIN + canonical JSON {"hq_name", "nonce", "time"}`` with its signing key (the
one pinned at enrolment) over the client's fresh nonce.
"""

from __future__ import annotations

import re

from fieldkit.crypto.identity import SigningKey
from fieldkit.crypto.sync_messages import ping_message
from fieldkit.domain.records import utc_timestamp
from fieldkit.hq.server.errors import Code, SyncError
from fieldkit.i18n import _

_NONCE = re.compile(r"[0-9a-f]{32,128}")


def ping(hq_name: str, key: SigningKey, nonce: str | None) -> dict[str, str]:
    if nonce is None or not _NONCE.fullmatch(nonce):
        raise SyncError(
            Code.BAD_REQUEST, _("The nonce must be 32 to 128 lowercase hexadecimal digits.")
        )
    time = utc_timestamp()
    signature = key.sign(ping_message(hq_name, nonce, time))
    return {
        "hq_name": hq_name,
        "signing_key_id": key.key_id,
        "nonce": nonce,
        "time": time,
        "signature": signature.hex(),
    }
