"""Running the workspace: uvicorn in this process, TLS 1.3 when given a certificate.

Without a certificate the workspace listens on a loopback address only, for a reverse proxy on
the same machine that does TLS; the proxy's ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are
then trusted from 127.0.0.1 and ::1 alone.
"""

from __future__ import annotations

import uvicorn

from fieldkit.hq.server.run import Tls13Config
from fieldkit.hq.tls import TlsFiles
from fieldkit.hq.web.app import create_app
from fieldkit.hq.web.state import WebState

LOOPBACK_PROXIES = "127.0.0.1,::1"


def serve(state: WebState, host: str, port: int, tls: TlsFiles | None) -> None:
    config = Tls13Config(
        create_app(state),
        host=host,
        port=port,
        ssl_certfile=None if tls is None else str(tls.cert),
        ssl_keyfile=None if tls is None else str(tls.key),
        log_level="info",
        access_log=False,  # concrete paths and queries are not logged; see security.py
        server_header=False,
        date_header=False,
        proxy_headers=tls is None,
        forwarded_allow_ips=LOOPBACK_PROXIES,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run()
