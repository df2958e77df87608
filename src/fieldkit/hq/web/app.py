"""The workspace's ASGI app: every page module's routes, static files, error pages, headers."""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from fieldkit.hq.accounts import sweep_sessions
from fieldkit.hq.web import cookies, pages, static
from fieldkit.hq.web.security import SecurityHeaders
from fieldkit.hq.web.state import WebState
from fieldkit.i18n import using_language

log = logging.getLogger("fieldkit.hq.web")


def page_routes() -> list[BaseRoute]:
    """The ``routes`` of every module in :mod:`fieldkit.hq.web.pages`, by module name."""
    found: list[BaseRoute] = []
    for module in sorted(pkgutil.iter_modules(pages.__path__), key=lambda m: m.name):
        if module.name.startswith("_"):
            continue
        loaded = importlib.import_module(f"{pages.__name__}.{module.name}")
        found.extend(getattr(loaded, "routes", []))
    return found


def _error(request: Request, status: int) -> Response:
    from fieldkit.hq.web.routing import finish, identify
    from fieldkit.hq.web.templating import error_page

    with using_language(cookies.language(request)):
        try:
            identify(request)  # the navigation of the account, if signed in
        except Exception as error:
            log.error("no session for an error page: %s", type(error).__name__)
        try:
            return finish(request, error_page(request, status))
        except Exception as error:
            log.error("the error page failed: %s", type(error).__name__)
            return PlainTextResponse(str(status), status_code=status)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return await run_in_threadpool(_error, request, status if status in (404, 405) else 400)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.error("unexpected error: %s", type(exc).__name__)
    return await run_in_threadpool(_error, request, 500)


def create_app(state: WebState) -> ASGIApp:
    """The workspace over ``state`` (its repository, keys and settings)."""

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        ended = await run_in_threadpool(sweep_sessions, state.repository, state.settings.sessions)
        if ended:
            log.info("ended %d expired sessions", ended)
        yield

    app = Starlette(
        routes=[*static.routes, *page_routes()],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
        lifespan=lifespan,
    )
    app.state.workspace = state
    return SecurityHeaders(app, tls=state.settings.tls)


def app_of(asgi: Any) -> Starlette:
    """The Starlette app inside :func:`create_app`'s answer (for tests)."""
    inner: Starlette = asgi.app
    return inner
