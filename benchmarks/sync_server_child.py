"""The sync server of the network benchmarks, with one extra route for the baseline.

``python -m benchmarks.sync_server_child HQ_DIR DB_URL PORT PUT_FOLDER`` (passphrase in
``$FIELDKIT_HQ_PASSPHRASE``) runs the app of ``fieldkit.hq.server`` (its own app factory and
service, one process) under uvicorn with the same TLS settings as ``fieldkit-hq serve``, plus
``PUT /bench/put``: the request body streamed into a file in PUT_FOLDER and made durable (written
as it arrives, then fsync), as the upload store writes an upload's bytes. That route exists here
only, to measure a plain HTTPS upload against tus on the same server process.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import uvicorn
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fieldkit.hq import keys
from fieldkit.hq.paths import PASSPHRASE_ENV, HqPaths
from fieldkit.hq.repository import open_repository
from fieldkit.hq.server.app import create_app
from fieldkit.hq.server.run import Tls13Config
from fieldkit.hq.server.service import Service, Settings


def main(hq_dir: str, db_url: str, port: str, put_folder: str) -> None:
    paths = HqPaths(Path(hq_dir))
    secret = keys.unlock(paths, os.environ[PASSPHRASE_ENV])
    open_repository(db_url).close()  # migrated before the server starts, as serve does
    # No rate limit here: the default (120 requests a minute per device) would hold a big
    # upload in 1 MiB chunks to 2 MiB/s, which is not what is measured.
    settings = Settings.of(paths.root, db_url, secret, requests_per_minute=1_000_000)
    app = create_app(Service(settings))
    folder = Path(put_folder)

    async def put(request: Request) -> Response:
        target = folder / "put.part"
        with target.open("wb") as handle:
            async for piece in request.stream():
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        return Response(status_code=204)

    app.router.routes.insert(0, Route("/bench/put", put, methods=["PUT"]))
    config = Tls13Config(  # as fieldkit.hq.server.run.serve, one worker
        app,
        host="127.0.0.1",
        port=int(port),
        ssl_certfile=str(paths.tls_cert),
        ssl_keyfile=str(paths.tls_key),
        log_level="warning",
        access_log=False,
        server_header=False,
        proxy_headers=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main(*sys.argv[1:5])
