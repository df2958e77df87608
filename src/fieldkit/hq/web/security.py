"""Headers on every response, and one log line per request (no concrete path, no query).

``Server-Timing: app;dur=<ms>`` gives the time the server took until the answer started, as
the log line does; it tells nothing of the content.

The Content Security Policy allows scripts, styles, fonts and connections from the workspace
itself only: no inline script or style, no ``eval``, no framing, forms posted only to itself.
Pages and data answer ``Cache-Control: no-store``; only content-hashed static files may be kept.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("fieldkit.hq.web")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
HSTS = "max-age=31536000"


class SecurityHeaders:
    """Pure ASGI middleware: the headers above on every HTTP response, errors included."""

    def __init__(self, app: ASGIApp, *, tls: bool) -> None:
        self.app = app
        self.tls = tls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status: dict[str, Any] = {}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                if self.tls:
                    headers["Strict-Transport-Security"] = HSTS
                if "cache-control" not in headers or scope.get("fieldkit.route") != "/static":
                    headers["Cache-Control"] = "no-store"
                # the server's time until the answer starts (a page is whole by then): a figure
                # for the benchmarks and the browser's developer tools, nothing of the content
                elapsed = (time.monotonic() - started) * 1000
                headers["Server-Timing"] = f"app;dur={elapsed:.1f}"
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            log.info(
                "%s %s %s %.0fms",
                scope.get("method", "-"),
                scope.get("fieldkit.route", "(no route)"),
                status.get("code", "-"),
                (time.monotonic() - started) * 1000,
            )
