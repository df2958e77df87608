"""The workspace's own CSS and JavaScript, and vendored libraries, with content-hashed URLs.

``static("css/workspace.css")`` gives ``/static/css/workspace.css?v=<hash>``: browsers may keep
such a response for a year, since another content has another URL. Only files found under
``static/`` at start-up are served (no path from a request reaches the file system).
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

STATIC = Path(__file__).resolve().parent / "static"
PREFIX = "/static/"
IMMUTABLE = "public, max-age=31536000, immutable"
TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
}


@dataclass(frozen=True)
class Asset:
    path: Path
    version: str
    media_type: str


@cache
def assets() -> dict[str, Asset]:
    """Every file under ``static/`` (but the vendored licences' texts), by its relative path."""
    found: dict[str, Asset] = {}
    for path in sorted(STATIC.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        relative = path.relative_to(STATIC).as_posix()
        media_type = TYPES.get(path.suffix) or (
            mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        )
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        found[relative] = Asset(path, digest, media_type)
    return found


def static_url(relative: str) -> str:
    """The hashed URL of a static file; a name not found is an error of the template."""
    asset = assets().get(relative)
    if asset is None:
        raise LookupError(f"no static file {relative}")
    return f"{PREFIX}{relative}?v={asset.version}"


async def serve_static(request: Request) -> Response:
    request.scope["fieldkit.route"] = "/static"
    asset = assets().get(request.path_params["path"])
    if asset is None:
        return PlainTextResponse("Not found", status_code=404)
    current = request.query_params.get("v") == asset.version
    return Response(
        asset.path.read_bytes(),
        media_type=asset.media_type,
        headers={"Cache-Control": IMMUTABLE if current else "no-cache"},
    )


routes = [Route(PREFIX + "{path:path}", serve_static, methods=["GET"], name="static")]
