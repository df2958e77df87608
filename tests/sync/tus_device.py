"""A bare tus upload with httpx (sign in, create, PATCH from the server's offset, receipt)."""

from __future__ import annotations

import httpx

from tests.hq.support import Hq
from tests.hq.sync_server import Upload, pinned_context, sign_in
from tests.sync.harness import Bundle, Deliver, FieldDevice


class RefusedError(Exception):
    pass


def tus_deliver(hq: Hq, url: str, chunk: int = 64 * 1024) -> Deliver:
    def deliver(field_device: FieldDevice, bundle: Bundle) -> bytes | None:
        context = pinned_context(hq.paths.tls_cert)
        with httpx.Client(base_url=url, verify=context, timeout=10.0) as client:
            headers = sign_in(client, hq, field_device.device)
            upload = Upload(client, headers, bundle.path.read_bytes())
            answer = upload.create()
            if answer.status_code != 201:
                raise RefusedError(answer.status_code)
            location = answer.headers["Location"]
            offset = int(answer.headers["Upload-Offset"])
            while offset < len(upload.data):
                answer = upload.patch(location, offset, min(offset + chunk, len(upload.data)))
                if answer.status_code != 204:
                    raise RefusedError(answer.status_code)
                offset = int(answer.headers["Upload-Offset"])
            answer = client.get(f"/v1/receipts/{bundle.sha256}", headers=headers)
            return answer.content if answer.status_code == 200 else None

    return deliver


RETRYABLE = (httpx.TransportError, RefusedError, AssertionError)
