"""Running the sync server: uvicorn, TLS 1.3 only, one or more worker processes."""

from __future__ import annotations

import ssl
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from fieldkit.hq.server.service import Service, Settings
from fieldkit.hq.tls import TlsFiles


class LazyApp:
    """The ASGI app, built in the worker process that runs it (picklable until then)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._app: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"_settings": self._settings, "_app": None}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._app is None:  # at the lifespan start-up, before any request
            from fieldkit.hardening import no_crash_dumps
            from fieldkit.hq.server.app import create_app

            no_crash_dumps()  # a worker started afresh holds HQ's keys too

            self._app = create_app(Service(self._settings))
        await self._app(scope, receive, send)


class Tls13Config(uvicorn.Config):
    """uvicorn's configuration, with its TLS context limited to TLS 1.3."""

    def load(self) -> None:
        super().load()
        if self.ssl is not None:
            self.ssl.minimum_version = ssl.TLSVersion.TLSv1_3


def serve(settings: Settings, tls: TlsFiles, host: str, port: int, workers: int) -> None:
    config = Tls13Config(
        LazyApp(settings),
        host=host,
        port=port,
        workers=workers,
        ssl_certfile=str(tls.cert),
        ssl_keyfile=str(tls.key),
        log_level="info",
        access_log=False,  # request lines name upload ids and receipts: not kept
        server_header=False,
        proxy_headers=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    if workers > 1:
        sock = config.bind_socket()
        Multiprocess(config, sockets=[sock]).run()
    else:
        uvicorn.Server(config).run()
