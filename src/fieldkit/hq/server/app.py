"""The HTTP face of the sync server: parse a request, call a use case, shape the answer.

No logic lives here: sign-in is :class:`.sessions.Sessions`, uploads and receipts
:class:`.uploads.Uploads`, published forms :class:`.forms.Forms`, the ping :func:`.ping.ping`.
Every refusal is JSON ``{"error": code, "message": one translated line}`` with the status of its
code (a lost device's refusal also carries the erase order, ``"erase"``).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.utils import formatdate
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fieldkit.hq.server.errors import Code, SyncError, too_large
from fieldkit.hq.server.ping import ping
from fieldkit.hq.server.service import Service
from fieldkit.i18n import _

log = logging.getLogger("fieldkit.hq.server")

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,checksum,termination,expiration"
MAX_JSON = 4096
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX32 = re.compile(r"[0-9a-f]{32}")


def create_app(service: Service) -> Starlette:
    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(service.uploads.sweep, service.sweep_seconds)
            yield
            tasks.cancel_scope.cancel()

    async def get_ping(request: Request) -> Response:
        return JSONResponse(
            ping(service.hq_name, service.keys.signing_key, request.query_params.get("nonce"))
        )

    async def post_challenge(request: Request) -> Response:
        body = await _json(request)
        challenge, expires = service.sessions.challenge(_field(body, "key_id", _HEX32))
        return JSONResponse({"challenge": challenge, "expires_at": expires})

    async def post_session(request: Request) -> Response:
        body = await _json(request)
        key_id = _field(body, "key_id", _HEX32)
        challenge = _field(body, "challenge", _HEX64)
        signature = bytes.fromhex(_field(body, "signature", re.compile(r"[0-9a-f]{128}")))
        token, expires = service.sessions.sign_in(key_id, challenge, signature)
        return JSONResponse({"token": token, "expires_at": expires})

    async def options_uploads(request: Request) -> Response:
        return Response(status_code=204, headers=service_headers(service))

    async def post_upload(request: Request) -> Response:
        device = service.sessions.authenticate(request.headers.get("authorization"))
        _tus(request)
        length = _integer(request.headers.get("upload-length"), "Upload-Length")
        bundle_sha256 = _metadata_sha256(request.headers.get("upload-metadata"))
        upload = await service.uploads.create(device, length, bundle_sha256)
        headers = _upload_headers(upload.offset, upload.length, upload.expires_at)
        headers["Location"] = f"/v1/uploads/{upload.upload_id}"
        return Response(status_code=201, headers=headers)

    async def head_upload(request: Request) -> Response:
        device = service.sessions.authenticate(request.headers.get("authorization"))
        _tus(request)
        upload = service.uploads.get(device, request.path_params["upload_id"])
        headers = _upload_headers(upload.offset, upload.length, upload.expires_at)
        headers["Cache-Control"] = "no-store"
        return Response(status_code=200, headers=headers)

    async def patch_upload(request: Request) -> Response:
        device = service.sessions.authenticate(request.headers.get("authorization"))
        _tus(request)
        if request.headers.get("content-type") != "application/offset+octet-stream":
            raise SyncError(
                Code.UNSUPPORTED_MEDIA,
                _("A chunk must be sent as application/offset+octet-stream."),
            )
        declared = request.headers.get("content-length")
        if declared is not None and _integer(declared, "Content-Length") > (
            service.uploads.limits.max_chunk
        ):
            raise too_large(service.uploads.limits.max_chunk)
        upload = await service.uploads.append(
            device,
            request.path_params["upload_id"],
            _integer(request.headers.get("upload-offset"), "Upload-Offset"),
            request.headers.get("upload-checksum"),
            request.stream(),
        )
        headers = _upload_headers(upload.offset, upload.length, upload.expires_at)
        return Response(status_code=204, headers=headers)

    async def delete_upload(request: Request) -> Response:
        device = service.sessions.authenticate(request.headers.get("authorization"))
        _tus(request)
        service.uploads.terminate(device, request.path_params["upload_id"])
        return Response(status_code=204, headers={"Tus-Resumable": TUS_VERSION})

    async def get_receipt(request: Request) -> Response:
        device = service.sessions.authenticate(request.headers.get("authorization"))
        bundle_sha256 = request.path_params["bundle_sha256"]
        if not _HEX64.fullmatch(bundle_sha256):
            raise SyncError(Code.NOT_FOUND, _("HQ holds no receipt for this bundle (yet)."))
        data = await service.uploads.receipt(device, bundle_sha256)
        return Response(data, media_type="application/octet-stream")

    async def get_forms(request: Request) -> Response:
        service.sessions.authenticate(request.headers.get("authorization"))
        forms = await run_in_threadpool(service.forms.listing)
        return JSONResponse({"forms": [form.to_json() for form in forms]})

    async def get_form(request: Request) -> Response:
        device = service.sessions.authenticate(request.headers.get("authorization"))
        data = await run_in_threadpool(service.forms.deliver, device, request.path_params["name"])
        return Response(data, media_type="application/octet-stream")

    routes = [
        Route("/v1/ping", get_ping, methods=["GET"]),
        Route("/v1/session/challenge", post_challenge, methods=["POST"]),
        Route("/v1/session", post_session, methods=["POST"]),
        Route("/v1/uploads", options_uploads, methods=["OPTIONS"]),
        Route("/v1/uploads", post_upload, methods=["POST"]),
        Route("/v1/uploads/{upload_id}", head_upload, methods=["HEAD"]),
        Route("/v1/uploads/{upload_id}", patch_upload, methods=["PATCH"]),
        Route("/v1/uploads/{upload_id}", delete_upload, methods=["DELETE"]),
        Route("/v1/receipts/{bundle_sha256}", get_receipt, methods=["GET"]),
        Route("/v1/forms", get_forms, methods=["GET"]),
        Route("/v1/forms/{name:path}", get_form, methods=["GET"]),
    ]

    async def refused(_request: Request, error: Exception) -> Response:
        assert isinstance(error, SyncError)  # noqa: S101 - registered for SyncError only
        headers = {"Tus-Resumable": TUS_VERSION, "Tus-Version": TUS_VERSION}
        if error.retry_after is not None:
            headers["Retry-After"] = str(error.retry_after)
        return JSONResponse(error.to_json(), error.status, headers)

    async def disconnected(_request: Request, _error: Exception) -> Response:
        return Response(status_code=400)

    async def not_found(_request: Request, _error: Exception) -> Response:
        error = SyncError(Code.NOT_FOUND, _("No such address on this server."))
        return JSONResponse(error.to_json(), error.status)

    handlers = {SyncError: refused, ClientDisconnect: disconnected, 404: not_found}
    return Starlette(routes=routes, lifespan=lifespan, exception_handlers=handlers)


def service_headers(service: Service) -> dict[str, str]:
    return {
        "Tus-Resumable": TUS_VERSION,
        "Tus-Version": TUS_VERSION,
        "Tus-Extension": TUS_EXTENSIONS,
        "Tus-Max-Size": str(service.uploads.limits.max_upload),
        "Tus-Checksum-Algorithm": "sha256",
    }


def _upload_headers(offset: int, length: int, expires_at: int) -> dict[str, str]:
    return {
        "Tus-Resumable": TUS_VERSION,
        "Upload-Offset": str(offset),
        "Upload-Length": str(length),
        "Upload-Expires": formatdate(expires_at, usegmt=True),
    }


def _tus(request: Request) -> None:
    if request.headers.get("tus-resumable") != TUS_VERSION:
        raise SyncError(Code.TUS_VERSION, _("Send Tus-Resumable: 1.0.0 with every request."))


async def _json(request: Request) -> dict[str, Any]:
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_JSON:
            raise too_large(MAX_JSON)
    try:
        value = json.loads(data)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise SyncError(Code.BAD_REQUEST, _("The request body must be a JSON object."))
    return value


def _field(body: dict[str, Any], name: str, pattern: re.Pattern[str]) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise SyncError(Code.BAD_REQUEST, _("{field} is missing or malformed.").format(field=name))
    return value


def _integer(value: str | None, name: str) -> int:
    if value is None or not value.isdigit() or len(value) > 18:
        raise SyncError(Code.BAD_REQUEST, _("{field} is missing or malformed.").format(field=name))
    return int(value)


def _metadata_sha256(header: str | None) -> str:
    """The ``bundle-sha256`` entry of Upload-Metadata (tus: ``key base64value,...``)."""
    for entry in (header or "").split(","):
        key, _space, value = entry.strip().partition(" ")
        if key == "bundle-sha256":
            try:
                text = base64.b64decode(value, validate=True).decode("ascii")
            except (binascii.Error, UnicodeDecodeError):
                break
            if _HEX64.fullmatch(text):
                return text
    raise SyncError(
        Code.BAD_REQUEST,
        _("Upload-Metadata must name the bundle's SHA-256 as bundle-sha256."),
    )
