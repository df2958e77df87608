"""The ``route`` decorator: every page's session, role and CSRF checks, in one place.

A page is a plain function ``(request, account)`` (``(request, account, form)`` for a POST). The
decorator makes it a Starlette route that, in a worker thread and in the request's language:

1. finds the session from its cookie (none, or not signed in: 303 to ``/sign-in``; a temporary
   password: 303 to ``/account`` until it is changed);
2. refuses a role below the route's with the 403 page, never the data;
3. on every method but GET and HEAD, compares the form's ``csrf`` field (or the
   ``X-CSRF-Token`` header) with the session's token in constant time (403 when they differ);
4. calls the page, and turns fieldkit's one-line errors into the 400/404/409 page with the line.

A route with ``role=None`` is public (the sign-in pages): its CSRF token is a random cookie that
the form must repeat.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from fieldkit.errors import ConflictError, FieldkitError, InvalidInputError, NotFoundError
from fieldkit.hq.accounts import Role, Session, Stage, find_session
from fieldkit.hq.web import cookies
from fieldkit.hq.web.context import workspace
from fieldkit.i18n import _, using_language

__all__ = ["Account", "Role", "route"]

log = logging.getLogger("fieldkit.hq.web")

MAX_FIELDS = 1000
MAX_FILES = 20
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD"})
ACCOUNT_PATHS = ("/account", "/sign-out", "/language")
"""What an account with a temporary password may reach before it changes it."""


@dataclass(frozen=True)
class Account:
    name: str
    role: Role

    def may(self, role: Role | str) -> bool:
        """Whether this account has ``role`` or a higher one."""
        return self.role.includes(role)


Page = Callable[..., Response]


def route(
    path: str,
    *,
    role: Role | None = Role.VIEWER,
    methods: Sequence[str] = ("GET",),
    name: str | None = None,
) -> Callable[[Page], Route]:
    """Make ``page`` a route at ``path`` for ``role`` and above (``None``: anyone)."""

    def decorate(page: Page) -> Route:
        async def endpoint(request: Request) -> Response:
            request.scope["fieldkit.route"] = path
            form: FormData | None = None
            if request.method == "POST":
                try:
                    form = await request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS)
                except Exception:  # starlette: malformed or too many parts
                    form = None
                    request.state.bad_form = True
            language = cookies.language(request)
            return await run_in_threadpool(_handle, page, role, request, form, language)

        endpoint.__name__ = page.__name__
        endpoint.__doc__ = page.__doc__
        return Route(path, endpoint, methods=list(methods), name=name or page.__name__)

    return decorate


def _handle(
    page: Page, role: Role | None, request: Request, form: FormData | None, language: str
) -> Response:
    from fieldkit.hq.web.templating import error_page

    with using_language(language):
        request.state.lang = language
        try:
            response = _guarded(page, role, request, form)
        except NotFoundError as error:
            response = error_page(request, 404, str(error))
        except ConflictError as error:
            response = error_page(request, 409, str(error))
        except (InvalidInputError, FieldkitError) as error:
            response = error_page(request, 400, str(error))
        except Exception as error:
            log.error(
                "%s %s failed: %s",
                request.method,
                request.scope.get("fieldkit.route"),
                type(error).__name__,
            )
            response = error_page(request, 500)
        return finish(request, response)


def finish(request: Request, response: Response) -> Response:
    """Set the new pre-sign-in CSRF cookie, or drop a dead session's cookie, as found."""
    fresh = getattr(request.state, "new_csrf_cookie", None)
    if fresh:
        cookies.put(response, cookies.CSRF, fresh, workspace(request).settings)
    if getattr(request.state, "drop_session_cookie", False):
        cookies.drop(response, cookies.SESSION, workspace(request).settings)
    return response


def _guarded(page: Page, role: Role | None, request: Request, form: FormData | None) -> Response:
    from fieldkit.hq.web.templating import error_page

    signed_in = identify(request)
    account: Account | None = request.state.account
    if role is not None:
        if signed_in is None or account is None:
            return RedirectResponse("/sign-in", status_code=303)
        if signed_in.must_change and not _reachable_before_a_change(request.url.path):
            return RedirectResponse("/account", status_code=303)
        if not account.may(role):
            return error_page(request, 403)
    if request.method not in SAFE_METHODS:
        if getattr(request.state, "bad_form", False):
            return error_page(request, 400, _("The form could not be read; nothing was changed."))
        if not _csrf_ok(request, form, signed_in):
            return error_page(
                request,
                403,
                _(
                    "The form had expired or did not come from this workspace; nothing was "
                    "changed. Load the page again and retry."
                ),
            )
    if request.method == "POST":
        return page(request, account, form if form is not None else FormData())
    return page(request, account)


def _reachable_before_a_change(path: str) -> bool:
    return any(path == allowed or path.startswith(allowed + "/") for allowed in ACCOUNT_PATHS)


def identify(request: Request) -> Session | None:
    """Find the request's session and put on ``request.state``: ``session`` (signed in),
    ``pending`` (waiting for the second factor), ``account`` and ``csrf``. Returns the
    signed-in session."""
    state = workspace(request)
    token = cookies.read(request, cookies.SESSION, state.settings)
    session = find_session(state.repository, token, state.settings.sessions) if token else None
    if token and session is None:
        request.state.drop_session_cookie = True
    signed_in = session if session is not None and session.stage == Stage.FULL else None
    request.state.pending = session if session is not None and session.stage == Stage.CODE else None
    request.state.session = signed_in
    request.state.account = (
        None if signed_in is None else Account(signed_in.user_name, signed_in.role)
    )
    request.state.csrf = signed_in.csrf if signed_in is not None else _anonymous_csrf(request)
    return signed_in


def _anonymous_csrf(request: Request) -> str:
    state = workspace(request)
    value = cookies.read(request, cookies.CSRF, state.settings)
    if value and 20 <= len(value) <= 100:
        return value
    fresh = secrets.token_urlsafe(32)
    request.state.new_csrf_cookie = fresh
    return fresh


def _csrf_ok(request: Request, form: FormData | None, session: Session | None) -> bool:
    given: Any = form.get(CSRF_FIELD) if form is not None else None
    if not isinstance(given, str) or not given:
        given = request.headers.get(CSRF_HEADER)
    if not isinstance(given, str) or not given:
        return False
    if session is not None:
        return session.csrf_matches(given)
    if getattr(request.state, "new_csrf_cookie", None):
        return False  # no cookie came with the form: it did not come from our page
    expected = str(request.state.csrf)
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode())
