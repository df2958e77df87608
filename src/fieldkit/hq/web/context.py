"""What a page reads from its request: the workspace, the session, the language."""

from __future__ import annotations

from starlette.requests import Request

from fieldkit.hq.accounts import Session
from fieldkit.hq.web.state import WebState


def workspace(request: Request) -> WebState:
    """The app's :class:`WebState`."""
    state: WebState = request.app.state.workspace
    return state


def current_session(request: Request) -> Session:
    """The signed-in session of a request (inside a route that needs a role)."""
    session: Session | None = getattr(request.state, "session", None)
    if session is None:
        raise LookupError("no session on this request")
    return session
